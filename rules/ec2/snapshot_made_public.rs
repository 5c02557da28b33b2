use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `ModifySnapshotAttribute` call that adds the group `all` to an EBS snapshot's
    /// `createVolumePermission`: the snapshot becomes public.
    /// ## Why it matters
    /// Anyone with an AWS account can create a volume from a public snapshot and read the whole
    /// disk, with every key, password and customer record on it, in their own account. Public
    /// snapshots are searched for continuously.
    /// ## How to fix
    /// `aws ec2 modify-snapshot-attribute --region <region> --snapshot-id <ebs-snapshot> --attribute createVolumePermission
    /// --operation-type remove --group-names all`, then assume the data was copied: rotate the
    /// secrets on the disk. Turn on EBS "block public access for snapshots" for the region.
    /// ## Response
    /// Planned by default (and applied with `respond = "apply"`, at or above
    /// `respond_min_severity`): `ec2-unshare-snapshot`.
    /// ## References
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/block-public-access-snapshots.html
    /// - https://attack.mitre.org/techniques/T1537/
    SNAPSHOT_MADE_PUBLIC {
        id: "ec2-snapshot-made-public",
        title: "EBS snapshot made public",
        severity: Severity::Critical,
        source: "ec2.amazonaws.com",
        events: &["ModifySnapshotAttribute"],
        attack: Some("T1537"),
        respond: &[Action::Ec2UnshareSnapshot],
    }
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: SnapshotPermissionRequest = ev.request()?;
    if !Grantees::of_permissions(&req.create_volume_permission, ev, &cx.config.trusted_accounts).public {
        return Ok(Vec::new());
    }
    let id = req.snapshot_id.unwrap_or_default();
    Ok(vec![
        Detection::new(format!("EBS snapshot {id} was made public"), Resource::new(ResourceKind::EBS_SNAPSHOT, &id))
            .field("Snapshot", &id)
            .field("Create-volume permission added", "group: all (every AWS account)"),
    ])
}
