use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty's `Exfiltration:S3/*` findings: objects read from a known malicious address or in
    /// an anomalous pattern for the principal.
    /// ## Why it matters
    /// Data left the bucket for someone who should not have it: the incident may need disclosure.
    /// ## How to fix
    /// Contain the principal (deactivate its key, revoke its sessions), block the address, list
    /// what was read from the S3 data events, and start your data-breach process for what those
    /// objects hold.
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-s3.html
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/compromised-s3.html
    S3_EXFILTRATION {
        id: "guardduty-s3-exfiltration",
        title: "Data taken from S3 (GuardDuty Exfiltration:S3)",
        severity: Severity::High,
        source: "GuardDuty",
        types: &["Exfiltration:S3/*"],
        attack: Some("T1530"),
    }
}
