//! guardduty rules.

pub mod detector_disabled;
