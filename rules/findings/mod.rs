//! Finding rules: GuardDuty and Security Hub findings (see `crate::findings`), one file a family.

pub mod custom_action;
pub mod ec2_backdoor;
pub mod unclassified;
