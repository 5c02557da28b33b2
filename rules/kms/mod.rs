//! kms rules.

pub mod key_disabled_or_deleted;
pub mod key_policy_other_account;
pub mod key_policy_public;
