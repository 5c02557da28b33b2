use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A Glacier `SetVaultAccessPolicy` whose policy has an `Allow` statement for an AWS principal of another account:
    /// not the account the event belongs to, not one of `trusted_accounts`, and not limited by an
    /// `aws:PrincipalOrgID`, `aws:SourceAccount` or `aws:SourceArn` condition to your own account
    /// or organisation. Service principals and `Deny` statements never count; a grant to everyone
    /// is `(no public rule for vaults)`'s case. This fires at its own level beside that rule.
    /// ## Why it matters
    /// Another account that can read or delete archives in the vault gets your long-term backups, or can destroy them.
    /// ## How to fix
    /// If the account is not a partner you know: set a policy without the statement (`aws glacier set-vault-access-policy --account-id - --vault-name <glacier-vault> --policy file://policy.json`), and find out who wrote the policy. Add
    /// accounts you do share with to `trusted_accounts`.
    /// ## References
    /// - https://docs.aws.amazon.com/amazonglacier/latest/dev/vault-access-policy.html
    /// - https://docs.aws.amazon.com/amazonglacier/latest/dev/api-SetVaultAccessPolicy.html
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html
    /// - https://attack.mitre.org/techniques/T1537/
    GLACIER_VAULT_POLICY_OTHER_ACCOUNT {
        id: "glacier-vault-policy-other-account",
        title: "Glacier vault access policy grants another account",
        severity: Severity::Medium,
        source: "glacier.amazonaws.com",
        events: &["SetVaultAccessPolicy"],
        attack: Some("T1537"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    vault_name: Option<String>,
    #[serde(default)]
    policy: VaultPolicy,
}

#[derive(Default, Deserialize)]
struct VaultPolicy {
    policy: Option<PolicyText>,
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let vault = req.vault_name.unwrap_or_default();
    policy_grant_alert(
        ev,
        &cx.config.trusted_accounts,
        req.policy.policy.as_ref(),
        "requestParameters.policy.policy",
        "Glacier vault",
        ResourceKind::GLACIER_VAULT,
        &vault,
    )
}
