use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful RDS `StartExportTask`: a DB or cluster snapshot (or a cluster) exported to S3
    /// as Parquet files. The alert names the source, the bucket and prefix, and the IAM role and
    /// KMS key used.
    /// ## Why it matters
    /// Export turns a whole database into files in a bucket, ready to copy anywhere; attackers use
    /// it because it needs no database credentials and no network path to the database.
    /// ## How to fix
    /// If the export was not expected: cancel it (`aws rds cancel-export-task --region <region> --export-task-identifier <export-task>`),
    /// check the bucket's owner and policy, delete the files, and restrict `rds:StartExportTask`
    /// and `iam:PassRole` on export roles.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_StartExportTask.html
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html
    /// - https://attack.mitre.org/techniques/T1537/
    SNAPSHOT_EXPORTED {
        id: "rds-snapshot-exported",
        title: "RDS snapshot exported to S3",
        severity: Severity::Medium,
        source: "rds.amazonaws.com",
        events: &["StartExportTask"],
        attack: Some("T1537"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    export_task_identifier: Option<String>,
    source_arn: Option<String>,
    s3_bucket_name: Option<String>,
    s3_prefix: Option<String>,
    iam_role_arn: Option<String>,
    kms_key_id: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let source = req.source_arn.unwrap_or_default();
    let bucket = req.s3_bucket_name.unwrap_or_default();
    let task = req.export_task_identifier.unwrap_or_default();
    let name = source.rsplit(':').next().unwrap_or_default().to_string();
    let mut detection = Detection::new(
        format!("RDS {name} is being exported to S3 bucket {bucket}"),
        Resource::new(ResourceKind::RDS_SNAPSHOT, &name).with_arn(&source),
    )
    .field("Source", &source)
    .field("Bucket", &bucket)
    .field("Export task", &task)
    .param("export-task", task);
    for (label, value) in [("Prefix", req.s3_prefix), ("Role", req.iam_role_arn), ("KMS key", req.kms_key_id)] {
        if let Some(v) = value {
            detection = detection.field(label, v);
        }
    }
    Ok(vec![detection])
}
