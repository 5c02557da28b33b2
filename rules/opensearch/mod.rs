//! opensearch rules.

pub mod domain_policy_other_account;
