//! guardduty rules.
