use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `ModifyImageAttribute` call that adds the group `all` to an AMI's `launchPermission`:
    /// anyone can launch the image.
    /// ## Why it matters
    /// An AMI carries its snapshots: whoever launches it gets a copy of the disk, with the keys,
    /// credentials and code baked into it. Public AMIs are crawled for secrets.
    /// ## How to fix
    /// `aws ec2 modify-image-attribute --region <region> --image-id <ami> --launch-permission "Remove=[{Group=all}]"`;
    /// rotate any secret the image held. Turn on "block public access for AMIs" for the region.
    /// ## Response
    /// Planned by default (and applied with `respond = "apply"`, at or above
    /// `respond_min_severity`): `ec2-unshare-image`.
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-intro.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/block-public-access-to-amis.html
    /// - https://attack.mitre.org/techniques/T1537/
    AMI_MADE_PUBLIC {
        id: "ec2-ami-made-public",
        title: "AMI made public",
        severity: Severity::High,
        source: "ec2.amazonaws.com",
        events: &["ModifyImageAttribute"],
        attack: Some("T1537"),
        respond: &[Action::Ec2UnshareImage],
    }
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: ImagePermissionRequest = ev.request()?;
    if !Grantees::of_permissions(&req.launch_permission, ev, &cx.config.trusted_accounts).public {
        return Ok(Vec::new());
    }
    let id = req.image_id.unwrap_or_default();
    Ok(vec![
        Detection::new(format!("AMI {id} was made public"), Resource::new(ResourceKind::AMI, &id))
            .field("Image", &id)
            .field("Launch permission added", "group: all (every AWS account)"),
    ])
}
