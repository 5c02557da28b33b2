//! backup rules.
