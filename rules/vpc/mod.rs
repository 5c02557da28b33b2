//! vpc rules.
