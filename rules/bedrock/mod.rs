//! bedrock rules.

pub mod logging_removed;
pub mod model_access_enabled;
