//! Finding rules: GuardDuty and Security Hub findings (see `crate::findings`), one file a family.

pub mod attack_sequence;
pub mod credential_access;
pub mod custom_action;
pub mod ec2_backdoor;
pub mod ec2_cryptocurrency;
pub mod ec2_impact;
pub mod ec2_malware_execution;
pub mod ec2_trojan;
pub mod ec2_unauthorized_access;
pub mod ecs_runtime_threat;
pub mod eks_threat;
pub mod iam_unauthorized_access;
pub mod inspector_vulnerability;
pub mod instance_credential_exfiltration;
pub mod lambda_threat;
pub mod macie_sensitive_data;
pub mod persistence;
pub mod privilege_escalation;
pub mod rds_threat;
pub mod runtime_threat;
pub mod s3_exfiltration;
pub mod s3_impact;
pub mod s3_policy;
pub mod securityhub_control_failed;
pub mod stealth;
pub mod unclassified;
