//! sns rules.

pub mod topic_policy_public;
