//! lambda rules.

pub mod code_updated;
pub mod function_policy_public;
pub mod layer_added;
