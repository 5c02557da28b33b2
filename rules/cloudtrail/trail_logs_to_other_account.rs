use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful `UpdateTrail` that sets `s3BucketName`: the trail's log files now go to the
    /// named bucket. CloudTrail records neither the bucket's owner nor the bucket the trail used
    /// before, so the rule cannot tell a bucket in another account (the case it is named for)
    /// from a move between your own buckets, or from a request that repeats the current bucket:
    /// it fires on every one and names the new bucket, and the responder checks who owns it.
    /// An `UpdateTrail` without `s3BucketName` (log file validation, SNS topic, CloudWatch Logs
    /// settings) stays quiet, as do failed calls.
    /// ## Why it matters
    /// Pointing a trail at a bucket the attacker owns moves the audit record out of your reach
    /// while the trail still shows as logging: you lose the logs, and they gain a feed of
    /// everything done in the account. Moving it to one of your own buckets can still break the
    /// pipelines (and this detector) that read the old one.
    /// ## How to fix
    /// Check the owner: `aws s3api head-bucket --bucket <new bucket> --expected-bucket-owner
    /// <your account id>` fails with 403 when someone else owns it. If the move was not
    /// planned, point the trail back: `aws cloudtrail update-trail --region <region> --name <trail> --s3-bucket-name
    /// <your bucket>`, and find out who changed it. Deny `cloudtrail:UpdateTrail` with an SCP
    /// outside your logging pipeline, or use an organization trail.
    /// ## References
    /// - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_UpdateTrail.html
    /// - https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html
    /// - https://attack.mitre.org/techniques/T1562/008/
    TRAIL_LOGS_TO_OTHER_ACCOUNT {
        id: "cloudtrail-trail-logs-to-other-account",
        title: "CloudTrail trail log delivery moved to another S3 bucket",
        severity: Severity::High,
        source: "cloudtrail.amazonaws.com",
        events: &["UpdateTrail"],
        attack: Some("T1562.008"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    name: Option<String>,
    s3_bucket_name: Option<String>,
    s3_key_prefix: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    name: Option<String>,
    #[serde(rename = "trailARN")]
    trail_arn: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let Some(bucket) = req.s3_bucket_name.filter(|b| !b.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let resp: Response = ev.response()?;
    let trail = resp.name.or(req.name).unwrap_or_default();
    let mut resource = Resource::new(ResourceKind::TRAIL, &trail);
    if let Some(arn) = &resp.trail_arn {
        resource = resource.with_arn(arn);
    }
    let mut finding =
        Detection::new(format!("CloudTrail trail {trail} now delivers its log files to S3 bucket {bucket}"), resource)
            .field("Trail", &trail)
            .field("New S3 bucket", &bucket);
    if let Some(prefix) = req.s3_key_prefix.filter(|p| !p.is_empty()) {
        finding = finding.field("S3 key prefix", prefix);
    }
    Ok(vec![finding.field("Expected bucket owner", ev.account_id.as_ref())])
}
