//! ebs (EBS direct APIs) rules.

pub mod snapshot_read_directly;
