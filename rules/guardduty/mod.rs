//! guardduty rules.

pub mod detector_disabled;
pub mod findings_auto_archived;
pub mod trusted_ip_list;
