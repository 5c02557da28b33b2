use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `PutKeyPolicy` or `CreateKey` whose policy has an `Allow` statement for an AWS principal of another account:
    /// not the account the event belongs to, not one of `trusted_accounts`, and not limited by an
    /// `aws:PrincipalOrgID`, `aws:SourceAccount` or `aws:SourceArn` condition to your own account
    /// or organisation. Service principals and `Deny` statements never count; a grant to everyone
    /// is `kms-key-policy-public`'s case. This fires at its own level beside that rule.
    /// ## Why it matters
    /// A key another account can use decrypts every snapshot, volume, secret and object encrypted with it once they are shared or copied there; granting it is the step that makes encrypted data portable.
    /// ## How to fix
    /// If the account is not a partner you know: put back a policy without the statement (`aws kms put-key-policy --region <region> --key-id <kms-key> --policy-name default --policy file://policy.json`), check the key's grants, and find out who wrote the policy. Add
    /// accounts you do share with to `trusted_accounts`.
    /// ## References
    /// - https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
    /// - https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html
    /// - https://attack.mitre.org/techniques/T1537/
    KMS_KEY_POLICY_OTHER_ACCOUNT {
        id: "kms-key-policy-other-account",
        title: "KMS key policy grants another account",
        severity: Severity::Medium,
        source: "kms.amazonaws.com",
        events: &["PutKeyPolicy", "CreateKey"],
        attack: Some("T1537"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    key_id: Option<String>,
    policy: Option<PolicyText>,
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let key = req.key_id.unwrap_or_else(|| "(new key)".to_string());
    policy_grant_alert(
        ev,
        &cx.config.trusted_accounts,
        req.policy.as_ref(),
        "requestParameters.policy",
        "KMS key",
        ResourceKind::KMS_KEY,
        &key,
    )
}
