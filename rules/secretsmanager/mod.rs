//! secretsmanager rules.
