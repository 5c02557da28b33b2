use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// An EFS `PutFileSystemPolicy` whose policy has an `Allow` statement for an AWS principal of another account:
    /// not the account the event belongs to, not one of `trusted_accounts`, and not limited by an
    /// `aws:PrincipalOrgID`, `aws:SourceAccount` or `aws:SourceArn` condition to your own account
    /// or organisation. Service principals and `Deny` statements never count; a grant to everyone
    /// is `(no public rule for file systems)`'s case. This fires at its own level beside that rule.
    /// ## Why it matters
    /// Another account that can mount the file system (from a peered VPC or a shared subnet) reads and writes everything on it.
    /// ## How to fix
    /// If the account is not a partner you know: put back a policy without the statement (`aws efs put-file-system-policy --region <region> --file-system-id <efs-file-system> --policy file://policy.json`), and find out who wrote the policy. Add
    /// accounts you do share with to `trusted_accounts`.
    /// ## References
    /// - https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html
    /// - https://docs.aws.amazon.com/efs/latest/ug/API_PutFileSystemPolicy.html
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html
    /// - https://attack.mitre.org/techniques/T1537/
    EFS_FILE_SYSTEM_POLICY_OTHER_ACCOUNT {
        id: "efs-file-system-policy-other-account",
        title: "EFS file system policy grants another account",
        severity: Severity::Medium,
        source: "elasticfilesystem.amazonaws.com",
        events: &["PutFileSystemPolicy"],
        attack: Some("T1537"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    file_system_id: Option<String>,
    policy: Option<PolicyText>,
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let fs = req.file_system_id.unwrap_or_default();
    policy_grant_alert(
        ev,
        &cx.config.trusted_accounts,
        req.policy.as_ref(),
        "requestParameters.policy",
        "EFS file system",
        ResourceKind::EFS_FILE_SYSTEM,
        &fs,
    )
}
