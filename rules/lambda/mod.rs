//! lambda rules.

pub mod code_updated;
pub mod function_policy_other_account;
pub mod function_policy_public;
pub mod function_url_public;
pub mod layer_added;
