use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `PutUserPolicy`, `PutRolePolicy` or `PutGroupPolicy` call whose inline
    /// `policyDocument` allows (in an `Allow` statement) something dangerous: full administrator
    /// access (`*` or `*:*` on every resource, or `NotAction` on every resource), every IAM or STS
    /// action (`iam:*`, `sts:*`), or a privilege-escalation action such as
    /// `iam:CreateAccessKey`, `iam:Put*Policy`, `iam:Attach*Policy`, `iam:CreatePolicyVersion`,
    /// `iam:UpdateAssumeRolePolicy`, `iam:AddUserToGroup`, or `iam:PassRole` on every role.
    /// Action names match without case and through wildcards (`iam:*AccessKey*`). Grants whose
    /// resources cannot be IAM resources (`"Action": "*"` on one S3 bucket) and `Deny`
    /// statements do not count; conditions are not evaluated. Full administrator access or
    /// `iam:*` on a user is critical; everything else is high.
    /// ## Why it matters
    /// An inline policy that lets its holder change IAM is as good as administrator access:
    /// the holder can write themselves any permission. Inline policies are also easy to miss in
    /// reviews that only look at managed policies, which makes them a favourite hiding place.
    /// Users get critical because they carry long-lived credentials.
    /// ## How to fix
    /// Delete the inline policy (`aws iam delete-user-policy --user-name <iam-user> --policy-name <policy-name>`;
    /// `delete-role-policy --role-name <iam-role>`, `delete-group-policy --group-name <iam-group>`), grant what is
    /// really needed through a reviewed managed policy, and find out who wrote it.
    /// ## References
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html
    /// - https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutUserPolicy.html
    /// - https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-1
    /// - https://attack.mitre.org/techniques/T1098/003/
    INLINE_POLICY_PRIVILEGE_ESCALATION {
        id: "iam-inline-policy-privilege-escalation",
        title: "Inline IAM policy grants administrator or privilege-escalation permissions",
        severity: Severity::High,
        source: "iam.amazonaws.com",
        events: &["PutUserPolicy", "PutRolePolicy", "PutGroupPolicy"],
        attack: Some("T1098.003"),
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: PrincipalPolicyRequest = ev.request()?;
    let Some(text) = req.policy_document.as_ref().map(PolicyText::as_str) else {
        return Ok(Vec::new());
    };
    let grants = IamPolicy::parse(text, "requestParameters.policyDocument")?.dangerous_grants();
    if grants.is_empty() {
        return Ok(Vec::new());
    }
    let (kind, label, name) = req.target();
    let policy = req.policy_name.unwrap_or_default();
    let what = describe_grants(&grants);
    let admin = grants.iter().any(|g| {
        g.danger == Danger::FullAdmin || (g.danger == Danger::ServiceWildcard && g.action.eq_ignore_ascii_case("iam:*"))
    });
    let owner = format!("IAM {} {name}", label.to_lowercase());
    let mut finding =
        Detection::new(format!("Inline policy {policy} on {owner} grants {what}"), Resource::new(kind, &name))
            .field(label, &name)
            .field("Policy name", &policy)
            .field("Dangerous grants", &what)
            .field("Written by", ev.user_identity.name());
    if admin && kind == ResourceKind::IAM_USER {
        finding = finding.severity(Severity::Critical);
    }
    Ok(vec![finding])
}
