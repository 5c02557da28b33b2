//! config rules.
