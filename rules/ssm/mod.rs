//! ssm rules.

pub mod command_or_session;
