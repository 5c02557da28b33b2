use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A snapshot's blocks listed through the EBS direct APIs: `ListSnapshotBlocks` or
    /// `ListChangedBlocks`, the first step of reading a snapshot's contents without creating a
    /// volume. These arrive when the trail records them (CloudTrail logs the EBS direct APIs;
    /// `GetSnapshotBlock`, one call per block, is not watched, so a read gives one alert per
    /// listing and not thousands).
    /// ## Why it matters
    /// The direct APIs let a principal copy a snapshot's data block by block from outside the
    /// account's VPCs, with no volume, instance or share to notice; backup tools use them, so
    /// the caller is what matters.
    /// ## How to fix
    /// If the caller is not your backup software: deactivate its credentials, and restrict
    /// `ebs:ListSnapshotBlocks`, `ebs:ListChangedBlocks` and `ebs:GetSnapshotBlock` to backup
    /// roles.
    /// ## References
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/ebs-accessing-snapshot.html
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/logging-ebs-apis-using-cloudtrail.html
    /// - https://attack.mitre.org/techniques/T1530/
    SNAPSHOT_READ_DIRECTLY {
        id: "ebs-snapshot-read-directly",
        title: "EBS snapshot read through the direct APIs",
        severity: Severity::Medium,
        source: "ebs.amazonaws.com",
        events: &["ListSnapshotBlocks", "ListChangedBlocks"],
        attack: Some("T1530"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    snapshot_id: Option<String>,
    second_snapshot_id: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let snapshot = req.second_snapshot_id.or(req.snapshot_id).unwrap_or_default();
    Ok(vec![
        Detection::new(
            format!("Blocks of snapshot {snapshot} were listed for direct reading by {}", ev.user_identity.name()),
            Resource::new(ResourceKind::EBS_SNAPSHOT, &snapshot),
        )
        .field("Snapshot", &snapshot),
    ])
}
