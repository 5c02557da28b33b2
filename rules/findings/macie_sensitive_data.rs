use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// Amazon Macie's sensitive-data findings forwarded by Security Hub: personal, financial or
    /// credential data found in an S3 object.
    /// ## Why it matters
    /// Sensitive data in the wrong bucket is the breach waiting to happen, and the one regulators
    /// ask about.
    /// ## How to fix
    /// Check who can read the bucket (public access, cross-account grants), move or delete the data
    /// if it does not belong there, and encrypt and restrict it if it does. Credentials found must
    /// be rotated.
    /// ## References
    /// - https://docs.aws.amazon.com/macie/latest/user/findings-types.html
    /// - https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-internal-providers.html
    MACIE_SENSITIVE_DATA {
        id: "macie-sensitive-data",
        title: "Sensitive data found in S3 (Macie)",
        severity: Severity::High,
        source: "Macie",
        types: &["Sensitive Data Identifications/*"],
        attack: Some("T1530"),
    }
}
