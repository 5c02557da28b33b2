use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `ModifySnapshotAttribute` call that lets other AWS accounts create volumes from an EBS
    /// snapshot. The account the snapshot lives in and the accounts in `trusted_accounts` (your
    /// backup or DR accounts) do not count. Making it public is `ec2-snapshot-made-public`.
    /// ## Why it matters
    /// Sharing a snapshot with an account you do not control hands over the disk's contents; it
    /// is a quiet way to exfiltrate a database or a file server in one API call.
    /// ## How to fix
    /// If the account is not yours: `aws ec2 modify-snapshot-attribute --region <region> --snapshot-id <ebs-snapshot>
    /// --attribute createVolumePermission --operation-type remove --user-ids <account-ids>`. If it is, add it
    /// to `trusted_accounts`.
    /// ## References
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html
    /// - https://attack.mitre.org/techniques/T1537/
    SNAPSHOT_SHARED {
        id: "ec2-snapshot-shared",
        title: "EBS snapshot shared with another account",
        severity: Severity::Medium,
        source: "ec2.amazonaws.com",
        events: &["ModifySnapshotAttribute"],
        attack: Some("T1537"),
    }
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: SnapshotPermissionRequest = ev.request()?;
    let to = Grantees::of_permissions(&req.create_volume_permission, ev, &cx.config.trusted_accounts);
    if to.accounts.is_empty() {
        return Ok(Vec::new());
    }
    let id = req.snapshot_id.unwrap_or_default();
    let accounts = to.accounts.join(", ");
    Ok(vec![
        Detection::new(
            format!("EBS snapshot {id} was shared with {accounts}"),
            Resource::new(ResourceKind::EBS_SNAPSHOT, &id),
        )
        .field("Snapshot", &id)
        .field("Shared with accounts", accounts),
    ])
}
