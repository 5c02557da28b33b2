//! cloudwatch rules.

pub mod alarms_silenced;
