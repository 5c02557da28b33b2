//! sns rules.
