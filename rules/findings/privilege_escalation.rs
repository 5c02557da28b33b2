use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty's `PrivilegeEscalation:*` findings: anomalous policy attachments, role assumptions
    /// and permission changes, privileged containers and container escapes.
    /// ## Why it matters
    /// Escalation turns a small foothold into control of the account or the cluster.
    /// ## How to fix
    /// Undo the permission change (detach the policy, delete the added statement or binding),
    /// contain the principal that made it, and check what the new permissions were used for.
    /// ## Response
    /// Planned by default (and applied with `respond = "apply"`, at or above
    /// `respond_min_severity`): `iam-deactivate-access-key`, `iam-revoke-sessions`
    /// (`iam-deactivate-access-key` when the finding names an IAM user's long-term (AKIA) key;
    /// `iam-revoke-sessions` on the role when the credentials are a role's session (and on the user
    /// for a user's session credentials)).
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/compromised-creds.html
    PRIVILEGE_ESCALATION {
        id: "guardduty-privilege-escalation",
        title: "Attempt to gain permissions (GuardDuty PrivilegeEscalation)",
        severity: Severity::High,
        source: "GuardDuty",
        types: &["PrivilegeEscalation:*"],
        attack: Some("T1078"),
        respond: CREDENTIALS,
    }
}
