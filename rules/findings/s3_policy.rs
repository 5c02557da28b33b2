use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty's `Policy:S3/*` findings: a bucket's Block Public Access switched off, or a bucket
    /// made publicly readable or writable through its ACL or policy
    /// (`BucketAnonymousAccessGranted`, `BucketPublicAccessGranted`).
    /// ## Why it matters
    /// A public bucket is readable (or writable) by anyone on the internet, and scanners find new
    /// ones within hours.
    /// ## How to fix
    /// Turn Block Public Access back on for the bucket (and the account), remove the public grant
    /// from the ACL or policy, and check the bucket's access logs or CloudTrail data events for
    /// reads since it opened.
    /// ## Response
    /// Planned by default (and applied with `respond = "apply"`, at or above
    /// `respond_min_severity`): `s3-block-public-access`.
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-s3.html
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/compromised-s3.html
    S3_POLICY {
        id: "guardduty-s3-policy",
        title: "S3 bucket opened up (GuardDuty Policy:S3)",
        severity: Severity::High,
        source: "GuardDuty",
        types: &["Policy:S3/*"],
        attack: Some("T1530"),
        respond: &[Action::S3BlockPublicAccess],
    }
}
