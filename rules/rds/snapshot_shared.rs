use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `ModifyDBSnapshotAttribute` or `ModifyDBClusterSnapshotAttribute` call that adds other
    /// AWS accounts to a DB snapshot's `restore` attribute. The snapshot's own account and
    /// `trusted_accounts` do not count; making it public is `rds-snapshot-made-public`.
    /// ## Why it matters
    /// The grantee can restore the database in their own account: a whole database exfiltrated
    /// in one call, without a byte crossing your network.
    /// ## How to fix
    /// If the account is not yours, take it out of the restore attribute. For a DB instance
    /// snapshot: `aws rds modify-db-snapshot-attribute --region <region> --db-snapshot-identifier <rds-snapshot>
    /// --attribute-name restore --values-to-remove ACCOUNT`; for a DB cluster snapshot (Aurora,
    /// Multi-AZ clusters): `aws rds modify-db-cluster-snapshot-attribute
    /// --db-cluster-snapshot-identifier <rds-cluster-snapshot> --attribute-name restore --values-to-remove ACCOUNT`.
    /// The alert says which kind it is and gives the matching command. If the account is yours,
    /// add it to `trusted_accounts`.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ShareSnapshot.html
    /// - https://attack.mitre.org/techniques/T1537/
    RDS_SNAPSHOT_SHARED {
        id: "rds-snapshot-shared",
        title: "RDS snapshot shared with another account",
        severity: Severity::Medium,
        source: "rds.amazonaws.com",
        events: &["ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute"],
        attack: Some("T1537"),
    }
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: DbSnapshotAttributeRequest = ev.request()?;
    let to = req.grantees(ev, &cx.config.trusted_accounts);
    if to.accounts.is_empty() {
        return Ok(Vec::new());
    }
    let resource = req.resource();
    let id = if resource.id.is_empty() { "(unknown id)".to_string() } else { resource.id.clone() };
    let accounts = to.accounts.join(", ");
    let revoke = req.revoke_command("ACCOUNT");
    Ok(vec![
        Detection::new(format!("RDS snapshot {id} was shared with {accounts}"), resource)
            .field("Snapshot", id)
            .field("Snapshot type", req.kind_label())
            .field("Shared with accounts", accounts)
            .field("Revoke with", revoke),
    ])
}
