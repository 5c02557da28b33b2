//! ecr rules.
