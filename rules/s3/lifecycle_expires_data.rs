use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// `PutBucketLifecycle` (CloudTrail's name for `PutBucketLifecycleConfiguration` too) with an
    /// enabled rule that expires current objects (`Expiration.Days`, or an `Expiration.Date`
    /// already reached on the day of the call) or noncurrent versions
    /// (`NoncurrentVersionExpiration.NoncurrentDays`) within `lifecycle_expiration_days` (7 by
    /// default). The rules come as one object or a list; each is read. A configuration of
    /// transitions only, disabled rules, longer expirations, and the clean-up of incomplete
    /// multipart uploads or expired delete markers stay quiet.
    /// ## Why it matters
    /// A one-day expiration rule is a delete that S3 runs for the attacker: it wipes a bucket
    /// (backups, logs, data) within a day, with no `DeleteObject` calls to notice, and it is a
    /// known ransomware and log-destruction technique.
    /// ## How to fix
    /// Read the configuration (`aws s3api get-bucket-lifecycle-configuration --bucket <s3-bucket>`) and remove
    /// the rule at once (`aws s3api delete-bucket-lifecycle --bucket <s3-bucket>`, then put back your own rules):
    /// objects already expired are gone unless versioning or a backup kept them. Deny
    /// `s3:PutLifecycleConfiguration` outside an admin role on buckets that matter.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html
    /// - https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html
    /// - https://attack.mitre.org/techniques/T1485/
    LIFECYCLE_EXPIRES_DATA {
        id: "s3-bucket-lifecycle-expires-data",
        title: "S3 lifecycle rule deletes objects within days",
        severity: Severity::High,
        source: "s3.amazonaws.com",
        events: &["PutBucketLifecycle"],
        attack: Some("T1485"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    bucket_name: Option<String>,
    #[serde(rename = "LifecycleConfiguration", default)]
    configuration: Configuration,
}

#[derive(Default, Deserialize)]
struct Configuration {
    #[serde(rename = "Rule", alias = "Rules", default)]
    rules: OneOrMany<LifecycleRule>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LifecycleRule {
    #[serde(rename = "ID")]
    id: Option<Scalar>,
    status: Option<String>,
    expiration: Option<Expiration>,
    noncurrent_version_expiration: Option<Noncurrent>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Expiration {
    days: Option<Scalar>,
    date: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Noncurrent {
    noncurrent_days: Option<Scalar>,
}

fn days(v: &Option<Scalar>) -> Option<u64> {
    v.as_ref().and_then(|s| s.0.trim().parse().ok())
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let limit = u64::from(cx.config.lifecycle_expiration_days);
    // An expiration date is compared with the day of the call: `YYYY-MM-DD` text sorts as dates.
    let today = ev.event_time.get(..10).unwrap_or_default().to_string();
    let mut found = Vec::new();
    for rule in req.configuration.rules.iter() {
        if !rule.status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("Enabled")) {
            continue;
        }
        let name = rule.id.as_ref().map_or_else(|| "(unnamed rule)".to_string(), |i| i.0.clone());
        if let Some(exp) = &rule.expiration {
            if let Some(d) = days(&exp.days).filter(|&d| d <= limit) {
                found.push(format!("{name}: objects expire after {d} day(s)"));
            } else if let Some(date) =
                exp.date.as_deref().and_then(|d| d.get(..10)).filter(|d| !today.is_empty() && *d <= today.as_str())
            {
                found.push(format!("{name}: objects expire on {date} (already due)"));
            }
        }
        if let Some(d) =
            rule.noncurrent_version_expiration.as_ref().and_then(|n| days(&n.noncurrent_days)).filter(|&d| d <= limit)
        {
            found.push(format!("{name}: old versions expire after {d} day(s)"));
        }
    }
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let bucket = req.bucket_name.unwrap_or_default();
    Ok(vec![
        Detection::new(
            format!("S3 bucket {bucket} lifecycle now deletes data within {limit} days"),
            Resource::new(ResourceKind::S3_BUCKET, &bucket),
        )
        .field("Bucket", &bucket)
        .field("Expiring rules", found.join("; ")),
    ])
}
