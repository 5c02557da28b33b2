//! sagemaker rules.

pub mod lifecycle_config_changed;
