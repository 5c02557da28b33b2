//! codebuild rules.

pub mod project_made_public;
