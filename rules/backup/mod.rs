//! backup rules.

pub mod recovery_deleted;
