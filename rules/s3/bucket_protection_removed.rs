use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A bucket's audit or encryption setting removed: `PutBucketLogging` with an empty
    /// `BucketLoggingStatus` (server access logging turned off; a configuration that names a
    /// target bucket stays quiet), and `DeleteBucketEncryption` (the bucket's default encryption
    /// configuration deleted; S3 falls back to SSE-S3, so a customer-managed key no longer
    /// applies to new objects).
    /// ## Why it matters
    /// Server access logs record every request to the bucket, including the data reads that
    /// CloudTrail management events never show; turning them off before reading or deleting
    /// data hides it. Removing default encryption drops the KMS key whose policy and audit
    /// trail guarded the data.
    /// ## How to fix
    /// Turn logging back on (`aws s3api put-bucket-logging --bucket <s3-bucket> --bucket-logging-status file://logging.json`)
    /// or restore the encryption configuration (`aws s3api put-bucket-encryption --bucket <s3-bucket> --server-side-encryption-configuration file://sse.json`),
    /// and find out who changed it.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLogging.html
    /// - https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketEncryption.html
    /// - https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html
    /// - https://attack.mitre.org/techniques/T1562/008/
    BUCKET_PROTECTION_REMOVED {
        id: "s3-bucket-logging-or-encryption-removed",
        title: "S3 server access logging or default encryption removed",
        severity: Severity::Medium,
        source: "s3.amazonaws.com",
        events: &["PutBucketLogging", "DeleteBucketEncryption"],
        attack: Some("T1562.008"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    bucket_name: Option<String>,
    #[serde(rename = "BucketLoggingStatus")]
    logging: Option<LoggingStatus>,
}

#[derive(Default, Deserialize)]
struct LoggingStatus {
    #[serde(rename = "LoggingEnabled")]
    enabled: Option<serde::de::IgnoredAny>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let bucket = req.bucket_name.unwrap_or_default();
    let what = if ev.event_name == "DeleteBucketEncryption" {
        "default encryption configuration was deleted"
    } else if req.logging.is_some_and(|l| l.enabled.is_none()) {
        "server access logging was turned off"
    } else {
        return Ok(Vec::new());
    };
    Ok(vec![
        Detection::new(format!("S3 bucket {bucket}: {what}"), Resource::new(ResourceKind::S3_BUCKET, &bucket))
            .field("Bucket", &bucket),
    ])
}
