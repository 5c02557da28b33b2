//! accessanalyzer rules.

pub mod analyzer_deleted;
