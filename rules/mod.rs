//! The rule library: one folder per AWS service, one file per rule.

pub mod cloudtrail;
pub mod ec2;
pub mod rds;
pub mod signin;
