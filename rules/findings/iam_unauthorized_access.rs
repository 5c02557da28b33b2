use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty's `UnauthorizedAccess:IAMUser/*` findings: console logins and API calls from
    /// unusual places, Tor exit nodes or malicious addresses, and anomalous behaviour of a
    /// principal.
    /// ## Why it matters
    /// Credentials used from where their owner never is are usually stolen credentials.
    /// ## How to fix
    /// Ask the principal's owner whether it was them. If not: deactivate the access key (or revoke
    /// the role's sessions, reset the user's password and MFA), review the principal's CloudTrail
    /// activity since the first sighting, and undo what the attacker changed.
    /// ## Response
    /// Planned by default (and applied with `respond = "apply"`, at or above
    /// `respond_min_severity`): `iam-deactivate-access-key`, `iam-revoke-sessions`
    /// (`iam-deactivate-access-key` when the finding names an IAM user's long-term (AKIA) key;
    /// `iam-revoke-sessions` on the role when the credentials are a role's session (and on the user
    /// for a user's session credentials)).
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/compromised-creds.html
    IAM_UNAUTHORIZED_ACCESS {
        id: "guardduty-iam-unauthorized-access",
        title: "Credentials used in an unauthorized way (GuardDuty)",
        severity: Severity::Medium,
        source: "GuardDuty",
        types: &["UnauthorizedAccess:IAMUser/*"],
        attack: Some("T1078"),
        respond: CREDENTIALS,
    }
}
