//! rolesanywhere rules.

pub mod trust_changed;
