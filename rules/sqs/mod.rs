//! sqs rules.
