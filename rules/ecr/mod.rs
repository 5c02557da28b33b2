//! ecr rules.

pub mod repository_policy_public;
