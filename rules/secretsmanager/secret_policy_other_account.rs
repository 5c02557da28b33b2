use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A Secrets Manager `PutResourcePolicy` whose policy has an `Allow` statement for an AWS principal of another account:
    /// not the account the event belongs to, not one of `trusted_accounts`, and not limited by an
    /// `aws:PrincipalOrgID`, `aws:SourceAccount` or `aws:SourceArn` condition to your own account
    /// or organisation. Service principals and `Deny` statements never count; a grant to everyone
    /// is `(no public rule: Secrets Manager blocks public policies by default)`'s case. This fires at its own level beside that rule.
    /// ## Why it matters
    /// Another account that can call `GetSecretValue` reads the secret (a database password, an API key) directly, and keeps reading its rotations.
    /// ## How to fix
    /// If the account is not a partner you know: remove the statement (`aws secretsmanager delete-resource-policy --region <region> --secret-id <secret>`, then put back your own), rotate the secret, and find out who wrote the policy. Add
    /// accounts you do share with to `trusted_accounts`.
    /// ## References
    /// - https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html
    /// - https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutResourcePolicy.html
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html
    /// - https://attack.mitre.org/techniques/T1537/
    SECRETSMANAGER_SECRET_POLICY_OTHER_ACCOUNT {
        id: "secretsmanager-secret-policy-other-account",
        title: "Secrets Manager secret policy grants another account",
        severity: Severity::Medium,
        source: "secretsmanager.amazonaws.com",
        events: &["PutResourcePolicy"],
        attack: Some("T1537"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    secret_id: Option<String>,
    resource_policy: Option<PolicyText>,
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let secret = req.secret_id.unwrap_or_default();
    policy_grant_alert(
        ev,
        &cx.config.trusted_accounts,
        req.resource_policy.as_ref(),
        "requestParameters.resourcePolicy",
        "Secret",
        ResourceKind::SECRET,
        &secret,
    )
}
