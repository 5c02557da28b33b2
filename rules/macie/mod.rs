//! macie rules.

pub mod disabled;
