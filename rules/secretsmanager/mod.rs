//! secretsmanager rules.

pub mod secret_deleted;
pub mod secret_policy_other_account;
