//! events (EventBridge) rules.

pub mod rule_disabled;
