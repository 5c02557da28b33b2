use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `CreateRole` or `UpdateAssumeRolePolicy` call whose trust policy lets someone outside the account
    /// assume the role: an `Allow` statement covering `sts:AssumeRole` whose principal is `*`
    /// (`"Principal": "*"` or `{"AWS": "*"}`: critical), or an `AWS` principal in another account
    /// (an account id, `arn:aws:iam::ACCOUNT:root`, or a role, user or session ARN) that is not
    /// the event's account and not in `trusted_accounts` (high). A `*` principal limited by a
    /// condition on `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`, `aws:PrincipalAccount`,
    /// `aws:PrincipalArn` or `aws:SourceAccount` is high, not critical (the condition's values are
    /// not checked). Trust in AWS services, federated identity providers, principals of the
    /// same account or trusted accounts, and principals shown as unique ids (`AROA…`, a deleted
    /// principal) stays quiet.
    /// ## Why it matters
    /// A role's trust policy decides who can become the role. Adding an outside account is the
    /// Stratus Red Team "backdoor role" technique: the attacker keeps the role's permissions from
    /// their own account, with no credentials in yours to find or rotate. A `*` principal lets any
    /// AWS account in the world assume it.
    /// ## How to fix
    /// Put back the previous trust policy
    /// (`aws iam update-assume-role-policy --role-name <iam-role> --policy-document file://trust.json`),
    /// revoke the role's active sessions (IAM console, Roles, the role, Revoke sessions), and
    /// review what the outside principal did. If the account is a partner you trust, add it to
    /// `trusted_accounts`.
    /// ## References
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
    /// - https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAssumeRolePolicy.html
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
    /// - https://attack.mitre.org/techniques/T1098/
    ROLE_TRUSTS_EXTERNAL_PRINCIPAL {
        id: "iam-role-trusts-external-principal",
        title: "Role trust policy lets an outside principal assume the role",
        severity: Severity::High,
        source: "iam.amazonaws.com",
        events: &["CreateRole", "UpdateAssumeRolePolicy"],
        attack: Some("T1098"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    role_name: Option<String>,
    /// `policyDocument` in `UpdateAssumeRolePolicy`, `assumeRolePolicyDocument` in `CreateRole`.
    #[serde(alias = "assumeRolePolicyDocument")]
    policy_document: Option<PolicyText>,
}

/// Condition keys that narrow a `*` principal to an organization or known accounts.
const SCOPING_KEYS: &[&str] =
    &["aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:SourceAccount"];

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let Some(text) = req.policy_document.as_ref().map(PolicyText::as_str) else {
        return Ok(Vec::new());
    };
    let field = match ev.event_name.as_ref() {
        "CreateRole" => "requestParameters.assumeRolePolicyDocument",
        _ => "requestParameters.policyDocument",
    };
    let policy = IamPolicy::parse(text, field)?;
    let (mut open, mut scoped_open) = (false, Vec::new());
    let (mut principals, mut accounts) = (Vec::new(), Vec::new());
    for s in policy.allow_statements().filter(|s| s.allows("sts:AssumeRole")) {
        if s.trusts_everyone() {
            let keys = s.condition_keys();
            if keys.iter().any(|k| SCOPING_KEYS.iter().any(|s| s.eq_ignore_ascii_case(k))) {
                scoped_open.extend(keys.into_iter().map(str::to_string));
            } else {
                open = true;
            }
        }
        for p in s.principals("AWS") {
            if let Some(account) = principal_account(p)
                && account != ev.account_id
                && !cx.config.trusted_accounts.contains(account)
            {
                principals.push(p.trim().to_string());
                accounts.push(account.to_string());
            }
        }
    }
    principals.sort();
    principals.dedup();
    accounts.sort();
    accounts.dedup();
    scoped_open.sort();
    scoped_open.dedup();
    if !open && scoped_open.is_empty() && accounts.is_empty() {
        return Ok(Vec::new());
    }
    let role = req.role_name.unwrap_or_default();
    let summary = if open {
        format!("Role {role} trust policy lets any AWS principal assume it")
    } else if !scoped_open.is_empty() {
        format!("Role {role} trust policy lets any AWS principal assume it, limited by {}", scoped_open.join(", "))
    } else {
        let noun = if accounts.len() == 1 { "account" } else { "accounts" };
        format!("Role {role} trust policy lets {noun} {} assume it", accounts.join(", "))
    };
    let mut finding = Detection::new(summary, Resource::new(ResourceKind::IAM_ROLE, &role)).field("Role", &role);
    if open || !scoped_open.is_empty() {
        finding = finding.field("Principal", "*");
    }
    if !scoped_open.is_empty() {
        finding = finding.field("Limited by conditions on", scoped_open.join(", "));
    }
    if !accounts.is_empty() {
        finding =
            finding.field("Outside principals", principals.join(", ")).field("Outside accounts", accounts.join(", "));
    }
    finding = finding.field("Changed by", ev.user_identity.name());
    if open {
        finding = finding.severity(Severity::Critical);
    }
    Ok(vec![finding])
}
