//! efs rules.

pub mod file_system_policy_other_account;
