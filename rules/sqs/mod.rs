//! sqs rules.

pub mod queue_policy_other_account;
pub mod queue_policy_public;
