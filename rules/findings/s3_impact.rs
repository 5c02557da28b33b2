use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty's `Impact:S3/*` findings: objects deleted, overwritten or re-encrypted from a
    /// malicious address or in an anomalous pattern (ransomware's pattern).
    /// ## Why it matters
    /// Deleting or re-encrypting your data and asking for money is a ransomware crew's business
    /// model.
    /// ## How to fix
    /// Contain the principal, block the address, and restore from versions or backups (turn on
    /// versioning and Object Lock where it is off). Check whether data was read out first.
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-s3.html
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/compromised-s3.html
    S3_IMPACT {
        id: "guardduty-s3-impact",
        title: "Data in S3 destroyed or tampered with (GuardDuty Impact:S3)",
        severity: Severity::High,
        source: "GuardDuty",
        types: &["Impact:S3/*"],
        attack: Some("T1485"),
    }
}
