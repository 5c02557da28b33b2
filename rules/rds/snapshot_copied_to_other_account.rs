use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// `CopyDBSnapshot` or `CopyDBClusterSnapshot` whose copy goes toward another account: the
    /// target snapshot identifier is an ARN in an account other than the one the event belongs
    /// to, or the copy is encrypted with a KMS key (`kmsKeyId` ARN) of another account, whose
    /// owner can then decrypt and restore it. Accounts in `trusted_accounts` (your backup
    /// account) stay quiet, as do copies within the account with its own keys. The share rules
    /// (`rds-snapshot-shared`, `rds-snapshot-made-public`) cover the attribute route.
    /// ## Why it matters
    /// A database snapshot is the whole database; copying it under another account's key or
    /// into another account is exfiltration that never touches the network paths you watch.
    /// ## How to fix
    /// Delete the copy if it is still yours (`aws rds delete-db-snapshot --region <region> --db-snapshot-identifier <rds-snapshot>`),
    /// revoke any grant on the KMS key, and treat the data as disclosed. Restrict
    /// `rds:CopyDBSnapshot` and the use of foreign keys (`kms:ViaService`, SCPs on
    /// `kms:CallerAccount`).
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBSnapshot.html
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CopySnapshot.html#USER_CopySnapshot.AcrossAccounts
    /// - https://attack.mitre.org/techniques/T1537/
    SNAPSHOT_COPIED_TO_OTHER_ACCOUNT {
        id: "rds-snapshot-copied-to-other-account",
        title: "RDS snapshot copied toward another account",
        severity: Severity::High,
        source: "rds.amazonaws.com",
        events: &["CopyDBSnapshot", "CopyDBClusterSnapshot"],
        attack: Some("T1537"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    #[serde(rename = "sourceDBSnapshotIdentifier", alias = "sourceDBClusterSnapshotIdentifier")]
    source: Option<String>,
    #[serde(rename = "targetDBSnapshotIdentifier", alias = "targetDBClusterSnapshotIdentifier")]
    target: Option<String>,
    kms_key_id: Option<String>,
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let foreign = |arn: &Option<String>| {
        arn.as_deref()
            .filter(|a| a.starts_with("arn:"))
            .and_then(principal_account)
            .filter(|a| other_account(a, &ev.account_id, &cx.config.trusted_accounts))
            .map(str::to_string)
    };
    let (to_target, to_key) = (foreign(&req.target), foreign(&req.kms_key_id));
    let Some(account) = to_target.clone().or(to_key.clone()) else {
        return Ok(Vec::new());
    };
    let source = req.source.unwrap_or_default();
    let cluster = ev.event_name == "CopyDBClusterSnapshot";
    let kind = if cluster { ResourceKind::RDS_CLUSTER_SNAPSHOT } else { ResourceKind::RDS_SNAPSHOT };
    let name = source.rsplit(':').next().unwrap_or_default().to_string();
    let how = if to_target.is_some() { "copied into" } else { "copied under a KMS key of" };
    let mut detection =
        Detection::new(format!("RDS snapshot {name} was {how} account {account}"), Resource::new(kind, &name))
            .field("Source snapshot", &source)
            .field("Other account", &account);
    if let Some(t) = req.target {
        detection = detection.field("Target snapshot", t);
    }
    if let Some(k) = req.kms_key_id {
        detection = detection.field("KMS key", k);
    }
    Ok(vec![detection])
}
