//! logs rules.

pub mod log_group_deleted;
