use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty's `InstanceCredentialExfiltration.OutsideAWS` and `.InsideAWS` findings: temporary
    /// credentials an EC2 instance role issued were used from outside AWS, or from another AWS
    /// account.
    /// ## Why it matters
    /// Someone took the instance's credentials (through SSRF, a compromised process, or the
    /// metadata service) and is using them from their own machine: every permission of the role is
    /// theirs until the sessions are revoked.
    /// ## How to fix
    /// Revoke the role's active sessions now (IAM console, Revoke active sessions: an inline deny
    /// on `aws:TokenIssueTime`), then find how the credentials left the instance: require IMDSv2,
    /// look for SSRF in the application, and treat the instance as compromised. Review what the
    /// credentials were used for in CloudTrail.
    /// ## Response
    /// Planned by default (and applied with `respond = "apply"`, at or above
    /// `respond_min_severity`): `iam-revoke-sessions`.
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/compromised-creds.html
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
    INSTANCE_CREDENTIAL_EXFILTRATION {
        id: "guardduty-instance-credential-exfiltration",
        title: "Instance role credentials used elsewhere (GuardDuty)",
        severity: Severity::High,
        source: "GuardDuty",
        types: &["UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.*"],
        attack: Some("T1552.005"),
        finding_check: Some(check),
        respond: &[Action::IamRevokeSessions],
    }
}

fn check(f: &Finding, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let mut out = detect_finding(f, cx)?;
    let field = |label: &str| f.resource_fields.iter().find(|(l, _)| l == label).map(|(_, v)| v.as_str());
    let role = field("User").unwrap_or("(unknown role)");
    let place = if f.finding_type.ends_with("InsideAWS") { "from another AWS account" } else { "from outside AWS" };
    let from = f.seen.remote_ip.as_deref().map(|ip| format!(" ({ip})")).unwrap_or_default();
    for d in &mut out {
        d.summary = format!("Credentials of instance role {role} were used {place}{from}");
    }
    Ok(out)
}
