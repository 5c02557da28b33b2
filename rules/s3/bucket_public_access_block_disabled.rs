use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `PutBucketPublicAccessBlock` call that leaves any of the bucket's four Block Public
    /// Access settings (`BlockPublicAcls`, `IgnorePublicAcls`, `BlockPublicPolicy`,
    /// `RestrictPublicBuckets`) off, and every `DeleteBucketPublicAccessBlock` (all four off).
    /// A setting left out of the configuration is off, as the API treats it; values are read
    /// whether CloudTrail wrote them as booleans or as "true"/"false". A configuration turning
    /// all four on stays quiet, and so does a record without any configuration (very old
    /// records omitted it): nothing can be judged. The account-wide settings are
    /// `s3-account-public-access-block-disabled`.
    /// ## Why it matters
    /// Block Public Access is the guard that overrides public ACLs and bucket policies. Turning
    /// it off exposes nothing by itself (and the account-level settings still apply), which is
    /// why this is medium, but it is the step that comes right before a bucket is made public,
    /// by mistake or by an attacker preparing to exfiltrate through it.
    /// ## How to fix
    /// Unless the bucket is meant to be public (a website bucket, better served through
    /// CloudFront), turn the settings back on: `aws s3api put-public-access-block --bucket <s3-bucket>
    /// --public-access-block-configuration
    /// BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`,
    /// then check the bucket's ACL and policy for public grants made meanwhile.
    /// ## Response
    /// Planned by default (and applied with `respond = "apply"`, at or above
    /// `respond_min_severity`): `s3-block-public-access`.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
    /// - https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutPublicAccessBlock.html
    /// - https://attack.mitre.org/techniques/T1562/007/
    BUCKET_PUBLIC_ACCESS_BLOCK_DISABLED {
        id: "s3-bucket-public-access-block-disabled",
        title: "S3 bucket Block Public Access turned off",
        severity: Severity::Medium,
        source: "s3.amazonaws.com",
        events: &["PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock"],
        attack: Some("T1562.007"),
        respond: &[Action::S3BlockPublicAccess],
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: PublicAccessBlockRequest = ev.request()?;
    let bucket = req.bucket_name.clone().unwrap_or_default();
    let Some((summary, settings)) = req.weakening(&ev.event_name, &format!("S3 bucket {bucket}")) else {
        return Ok(Vec::new());
    };
    Ok(vec![
        Detection::new(
            summary,
            Resource::new(ResourceKind::S3_BUCKET, &bucket).with_arn(format!("arn:aws:s3:::{bucket}")),
        )
        .field("Bucket", &bucket)
        .field("Settings off", settings),
    ])
}
