use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty's `Stealth:*` findings: logging turned off (CloudTrail, S3 server access logging),
    /// password policies weakened, anomalous calls that hide tracks, and anonymising proxies.
    /// ## Why it matters
    /// An attacker covers tracks before or while doing the real damage: what happens after this is
    /// harder to see.
    /// ## How to fix
    /// Turn the logging back on first, then contain the principal that turned it off and review its
    /// activity from the other sources still logging (EventBridge, VPC flow logs, GuardDuty).
    /// ## Response
    /// Planned by default (and applied with `respond = "apply"`, at or above
    /// `respond_min_severity`): `iam-deactivate-access-key`, `iam-revoke-sessions`
    /// (`iam-deactivate-access-key` when the finding names an IAM user's long-term (AKIA) key;
    /// `iam-revoke-sessions` on the role when the credentials are a role's session (and on the user
    /// for a user's session credentials)).
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-s3.html
    STEALTH {
        id: "guardduty-stealth",
        title: "Attempt to hide activity (GuardDuty Stealth)",
        severity: Severity::Medium,
        source: "GuardDuty",
        types: &["Stealth:*"],
        attack: Some("T1562.008"),
        respond: CREDENTIALS,
    }
}
