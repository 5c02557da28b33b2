//! cloudtrail rules.

pub mod logging_stopped;
pub mod management_events_disabled;
pub mod trail_deleted;
pub mod trail_logs_to_other_account;
pub mod trail_weakened;
