use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `ModifyDBSnapshotAttribute` or `ModifyDBClusterSnapshotAttribute` call that adds `all`
    /// to the `restore` attribute: the DB snapshot becomes public.
    /// ## Why it matters
    /// Anyone with an AWS account can restore a public DB snapshot and read the whole database.
    /// ## How to fix
    /// For a DB instance snapshot: `aws rds modify-db-snapshot-attribute
    /// --db-snapshot-identifier <rds-snapshot> --attribute-name restore --values-to-remove all`; for a DB
    /// cluster snapshot (Aurora, Multi-AZ clusters): `aws rds modify-db-cluster-snapshot-attribute
    /// --db-cluster-snapshot-identifier <rds-cluster-snapshot> --attribute-name restore --values-to-remove all`. The
    /// alert says which kind it is and gives the matching command. Then treat the data as
    /// disclosed. Encrypted snapshots cannot be made public: encrypt with a customer-managed key.
    /// ## Response
    /// Planned by default (and applied with `respond = "apply"`, at or above
    /// `respond_min_severity`): `rds-unshare-snapshot`.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ShareSnapshot.html
    /// - https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html#rds-1
    /// - https://attack.mitre.org/techniques/T1537/
    RDS_SNAPSHOT_MADE_PUBLIC {
        id: "rds-snapshot-made-public",
        title: "RDS snapshot made public",
        severity: Severity::Critical,
        source: "rds.amazonaws.com",
        events: &["ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute"],
        attack: Some("T1537"),
        respond: &[Action::RdsUnshareSnapshot],
    }
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: DbSnapshotAttributeRequest = ev.request()?;
    if !req.grantees(ev, &cx.config.trusted_accounts).public {
        return Ok(Vec::new());
    }
    let resource = req.resource();
    let id = if resource.id.is_empty() { "(unknown id)".to_string() } else { resource.id.clone() };
    Ok(vec![
        Detection::new(format!("RDS snapshot {id} was made public"), resource)
            .field("Snapshot", id)
            .field("Snapshot type", req.kind_label())
            .field("Restore permission added", "all (every AWS account)")
            .field("Revoke with", req.revoke_command("all")),
    ])
}
