//! route53resolver rules.

pub mod query_logging_removed;
