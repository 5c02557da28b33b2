use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// An `AttachUserPolicy`, `AttachRolePolicy` or `AttachGroupPolicy` call attaching one of the
    /// AWS managed policies that hand over the account: `AdministratorAccess` (critical on a
    /// user, high on a role or group), `IAMFullAccess` (high: whoever can change IAM can make
    /// themselves administrator) or `PowerUserAccess` (medium: every service but IAM and
    /// Organizations). Matched on the policy ARN `arn:<partition>:iam::aws:policy/<name>`;
    /// customer managed policies, whatever their name, and other AWS managed policies stay
    /// quiet (inline grants are `iam-inline-policy-privilege-escalation`).
    /// ## Why it matters
    /// Attaching `AdministratorAccess` to a fresh user or role is the quickest way to keep full
    /// control of a compromised account (Stratus Red Team's "create admin user" and "create
    /// backdoor role"). Users are worse than roles because their keys never expire.
    /// ## How to fix
    /// Detach the policy (`aws iam detach-user-policy --user-name <iam-user> --policy-arn <policy-arn>`;
    /// `detach-role-policy --role-name <iam-role>`, `detach-group-policy --group-name <iam-group>`), then check what
    /// the principal did with it and who attached it.
    /// ## References
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_job-functions.html
    /// - https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachUserPolicy.html
    /// - https://attack.mitre.org/techniques/T1098/003/
    PRIVILEGED_MANAGED_POLICY_ATTACHED {
        id: "iam-privileged-managed-policy-attached",
        title: "Administrator-level AWS managed policy attached",
        severity: Severity::High,
        source: "iam.amazonaws.com",
        events: &["AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy"],
        attack: Some("T1098.003"),
    }
}

/// The AWS managed policy's name when `arn` is `arn:<partition>:iam::aws:policy/<name>`.
fn aws_managed_name(arn: &str) -> Option<&str> {
    let mut parts = arn.trim().splitn(6, ':');
    let (arn_, _partition, service, region, account, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if arn_ != "arn" || service != "iam" || !region.is_empty() || account != "aws" {
        return None;
    }
    resource.strip_prefix("policy/")
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: PrincipalPolicyRequest = ev.request()?;
    let arn = req.policy_arn.clone().unwrap_or_default();
    let (kind, label, name) = req.target();
    let (policy, severity) = match aws_managed_name(&arn) {
        Some(p @ "AdministratorAccess") if kind == ResourceKind::IAM_USER => (p, Severity::Critical),
        Some(p @ ("AdministratorAccess" | "IAMFullAccess")) => (p, Severity::High),
        Some(p @ "PowerUserAccess") => (p, Severity::Medium),
        _ => return Ok(Vec::new()),
    };
    let owner = format!("IAM {} {name}", label.to_lowercase());
    Ok(vec![
        Detection::new(
            format!("{policy} was attached to {owner} by {}", ev.user_identity.name()),
            Resource::new(kind, &name),
        )
        .field(label, &name)
        .field("Policy", &arn)
        .field("Attached by", ev.user_identity.name())
        .severity(severity),
    ])
}
