use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `ModifyImageAttribute` call that lets other AWS accounts, organizations or
    /// organizational units launch an AMI. The image's own account and `trusted_accounts` do not
    /// count. Making it public is `ec2-ami-made-public`.
    /// ## Why it matters
    /// A shared AMI is a copy of its disks in someone else's hands; sharing with an unknown
    /// account is a one-call exfiltration path.
    /// ## How to fix
    /// If the grantee is not yours: `aws ec2 modify-image-attribute --region <region> --image-id <ami>
    /// --launch-permission "Remove=[{UserId=<account-ids>}]"`. If it is, add the account to `trusted_accounts`.
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-explicit.html
    /// - https://attack.mitre.org/techniques/T1537/
    AMI_SHARED {
        id: "ec2-ami-shared",
        title: "AMI shared with another account",
        severity: Severity::Medium,
        source: "ec2.amazonaws.com",
        events: &["ModifyImageAttribute"],
        attack: Some("T1537"),
    }
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: ImagePermissionRequest = ev.request()?;
    let to = Grantees::of_permissions(&req.launch_permission, ev, &cx.config.trusted_accounts);
    if to.accounts.is_empty() && to.organizations.is_empty() {
        return Ok(Vec::new());
    }
    let id = req.image_id.unwrap_or_default();
    let who: Vec<String> = to.accounts.iter().chain(&to.organizations).cloned().collect();
    let mut finding =
        Detection::new(format!("AMI {id} was shared with {}", who.join(", ")), Resource::new(ResourceKind::AMI, &id))
            .field("Image", &id);
    if !to.accounts.is_empty() {
        finding = finding.field("Shared with accounts", to.accounts.join(", "));
    }
    if !to.organizations.is_empty() {
        finding = finding.field("Shared with organizations", to.organizations.join(", "));
    }
    Ok(vec![finding])
}
