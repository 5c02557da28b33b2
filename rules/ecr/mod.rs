//! ecr rules.

pub mod repository_policy_other_account;
pub mod repository_policy_public;
