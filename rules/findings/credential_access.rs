use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty's `CredentialAccess:*` findings: anomalous calls that read secrets, keys or
    /// passwords (`GetSecretValue`, `GetPasswordData`, `GetAuthorizationToken`), and credential
    /// attacks on databases (RDS findings have their own rule).
    /// ## Why it matters
    /// Reading credentials is how an attacker with a foothold reaches the next system; the secrets
    /// read must be treated as known to them.
    /// ## How to fix
    /// Confirm with the principal's owner. If it was not them, contain the principal (deactivate
    /// its keys or revoke its sessions) and rotate every secret and key it read, then check where
    /// those were used.
    /// ## Response
    /// Planned by default (and applied with `respond = "apply"`, at or above
    /// `respond_min_severity`): `iam-deactivate-access-key`, `iam-revoke-sessions`
    /// (`iam-deactivate-access-key` when the finding names an IAM user's long-term (AKIA) key;
    /// `iam-revoke-sessions` on the role when the credentials are a role's session (and on the user
    /// for a user's session credentials)).
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/compromised-creds.html
    CREDENTIAL_ACCESS {
        id: "guardduty-credential-access",
        title: "Attempt to get credentials (GuardDuty CredentialAccess)",
        severity: Severity::Medium,
        source: "GuardDuty",
        types: &["CredentialAccess:*"],
        attack: Some("T1555"),
        respond: CREDENTIALS,
    }
}
