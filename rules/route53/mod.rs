//! route53 rules.

pub mod hosted_zone_deleted;
pub mod records_changed;
