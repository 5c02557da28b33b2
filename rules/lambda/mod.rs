//! lambda rules.

pub mod function_policy_public;
