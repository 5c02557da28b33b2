//! secretsmanager rules.

pub mod secret_deleted;
