//! config rules.

pub mod recording_stopped;
pub mod rule_removed;
