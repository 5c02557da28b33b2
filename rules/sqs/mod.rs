//! sqs rules.

pub mod queue_policy_public;
