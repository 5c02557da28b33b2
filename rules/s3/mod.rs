//! s3 rules.

pub mod account_public_access_block_disabled;
pub mod bucket_acl_public;
pub mod bucket_policy_other_account;
pub mod bucket_policy_public;
pub mod bucket_protection_removed;
pub mod bucket_public_access_block_disabled;
pub mod lifecycle_expires_data;
pub mod versioning_weakened;
