use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty's `Persistence:*` findings: anomalous creation of users, access keys, login
    /// profiles or roles, and Kubernetes or runtime persistence (new cron jobs, containers with
    /// host mounts).
    /// ## Why it matters
    /// An attacker who creates their own keys or users keeps access after the first credential is
    /// revoked.
    /// ## How to fix
    /// Find and remove what was created (users, keys, login profiles, roles, trust policy changes,
    /// scheduled jobs), contain the principal that created it, and review the principal's other
    /// activity.
    /// ## Response
    /// Planned by default (and applied with `respond = "apply"`, at or above
    /// `respond_min_severity`): `iam-deactivate-access-key`, `iam-revoke-sessions`
    /// (`iam-deactivate-access-key` when the finding names an IAM user's long-term (AKIA) key;
    /// `iam-revoke-sessions` on the role when the credentials are a role's session (and on the user
    /// for a user's session credentials)).
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/compromised-creds.html
    PERSISTENCE {
        id: "guardduty-persistence",
        title: "Attempt to keep access (GuardDuty Persistence)",
        severity: Severity::Medium,
        source: "GuardDuty",
        types: &["Persistence:*"],
        attack: Some("T1098"),
        respond: CREDENTIALS,
    }
}
