use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// `PutBucketVersioning` that weakens a bucket's protection against deletion:
    /// `VersioningConfiguration.Status` `Suspended` (overwritten and deleted objects are no
    /// longer kept as versions), or `MfaDelete` `Disabled` (deleting versions no longer needs
    /// the root user's MFA). Turning versioning on (`Enabled`) or MFA delete on stays quiet.
    /// ## Why it matters
    /// Versioning is what lets you recover from ransomware and from an intruder deleting data;
    /// suspending it is the step before a destructive wipe, and removing MFA delete takes away
    /// the last brake on deleting old versions.
    /// ## How to fix
    /// Turn versioning back on (`aws s3api put-bucket-versioning --bucket <s3-bucket> --versioning-configuration Status=Enabled`);
    /// objects deleted while it was suspended are gone, so check for deletions since. Protect
    /// critical buckets with Object Lock and deny `s3:PutBucketVersioning` outside an admin role.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html
    /// - https://docs.aws.amazon.com/AmazonS3/latest/userguide/MultiFactorAuthenticationDelete.html
    /// - https://attack.mitre.org/techniques/T1485/
    VERSIONING_WEAKENED {
        id: "s3-bucket-versioning-weakened",
        title: "S3 bucket versioning suspended or MFA delete turned off",
        severity: Severity::Medium,
        source: "s3.amazonaws.com",
        events: &["PutBucketVersioning"],
        attack: Some("T1485"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    bucket_name: Option<String>,
    #[serde(rename = "VersioningConfiguration", default)]
    configuration: Configuration,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Configuration {
    status: Option<String>,
    mfa_delete: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let is = |v: &Option<String>, want: &str| v.as_deref().is_some_and(|s| s.trim().eq_ignore_ascii_case(want));
    let mut changes = Vec::new();
    if is(&req.configuration.status, "Suspended") {
        changes.push("versioning suspended");
    }
    if is(&req.configuration.mfa_delete, "Disabled") {
        changes.push("MFA delete turned off");
    }
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let bucket = req.bucket_name.unwrap_or_default();
    Ok(vec![
        Detection::new(
            format!("S3 bucket {bucket}: {}", changes.join(", ")),
            Resource::new(ResourceKind::S3_BUCKET, &bucket),
        )
        .field("Bucket", &bucket)
        .field("Changes", changes.join(", ")),
    ])
}
