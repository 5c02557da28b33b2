//! organizations rules.

pub mod account_left;
pub mod scp_removed;
