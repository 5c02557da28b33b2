//! sts rules.

pub mod federation_token;
