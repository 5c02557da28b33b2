use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty RDS Protection's findings (`*:RDS/*`): anomalous or malicious-address logins to
    /// Aurora and RDS databases, successful or failed, and brute force.
    /// ## Why it matters
    /// A successful login from an unusual or malicious place is someone else in your database.
    /// ## How to fix
    /// For a successful login: change the user's password, end its sessions, and review what it
    /// queried. Take the database off the internet (no public access, tight security groups) and
    /// require IAM authentication where you can.
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/rds-protection-finding-types.html
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-remediate-compromised-rds.html
    RDS_THREAT {
        id: "guardduty-rds-threat",
        title: "Suspicious database login (GuardDuty RDS Protection)",
        severity: Severity::High,
        source: "GuardDuty",
        types: &["*:RDS/*"],
        attack: Some("T1110"),
        resource_types: &["RDSDBInstance", "RDSLimitlessDB", "AwsRdsDbInstance"],
    }
}
