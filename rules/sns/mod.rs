//! sns rules.

pub mod topic_policy_other_account;
pub mod topic_policy_public;
