//! securityhub rules.

pub mod disabled;
pub mod findings_suppressed;
