//! The rule library: one folder per AWS service, one file per rule.

pub mod backup;
pub mod cloudtrail;
pub mod config;
pub mod ec2;
pub mod ecr;
pub mod elb;
pub mod findings;
pub mod guardduty;
pub mod iam;
pub mod kms;
pub mod lambda;
pub mod logs;
pub mod rds;
pub mod route53;
pub mod s3;
pub mod secretsmanager;
pub mod signin;
pub mod sns;
pub mod sqs;
pub mod vpc;
