//! logs rules.
