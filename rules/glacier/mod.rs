//! glacier rules.

pub mod vault_policy_other_account;
