use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful `UpdateTrail` that weakens the trail, any of:
    /// - `isMultiRegionTrail: false`: events of every other region are no longer recorded;
    /// - `includeGlobalServiceEvents: false`: IAM, STS and CloudFront events are dropped;
    /// - `enableLogFileValidation: false`: digest files stop, so tampering with log files can no
    ///   longer be proven;
    /// - `kmsKeyId` set to the empty string: log files are no longer encrypted with your key.
    ///
    /// Turning any of these on, and updates that change other settings (SNS topic, CloudWatch
    /// Logs), stay quiet. A new bucket has its own rule (`cloudtrail-trail-logs-to-other-account`).
    /// ## Why it matters
    /// A trail that still "logs" but no longer covers other regions or IAM, or whose files can be
    /// edited undetected, is a quieter way to blind an investigation than stopping it, which an
    /// alert would catch.
    /// ## How to fix
    /// Restore the settings (`aws cloudtrail update-trail --region <region> --name <trail> --is-multi-region-trail --include-global-service-events --enable-log-file-validation --kms-key-id <kms-key-arn>`),
    /// find out who changed them, and deny `cloudtrail:UpdateTrail` with an SCP outside your
    /// logging pipeline.
    /// ## References
    /// - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_UpdateTrail.html
    /// - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html
    /// - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html
    /// - https://attack.mitre.org/techniques/T1562/008/
    TRAIL_WEAKENED {
        id: "cloudtrail-trail-weakened",
        title: "CloudTrail trail weakened",
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
    is_multi_region_trail: Option<Scalar>,
    include_global_service_events: Option<Scalar>,
    enable_log_file_validation: Option<Scalar>,
    kms_key_id: Option<String>,
}

fn off(v: &Option<Scalar>) -> bool {
    v.as_ref().is_some_and(|s| s.0.trim().eq_ignore_ascii_case("false"))
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let mut weakened = Vec::new();
    if off(&req.is_multi_region_trail) {
        weakened.push("no longer multi-region");
    }
    if off(&req.include_global_service_events) {
        weakened.push("global service events (IAM, STS) dropped");
    }
    if off(&req.enable_log_file_validation) {
        weakened.push("log file validation off");
    }
    if req.kms_key_id.as_deref().is_some_and(|k| k.trim().is_empty()) {
        weakened.push("KMS encryption removed");
    }
    if weakened.is_empty() {
        return Ok(Vec::new());
    }
    let trail = req.name.unwrap_or_default();
    let name = trail.rsplit_once(":trail/").map_or(trail.as_str(), |(_, n)| n).to_string();
    Ok(vec![
        Detection::new(
            format!("CloudTrail trail {name} was weakened: {}", weakened.join("; ")),
            Resource::new(ResourceKind::TRAIL, &name),
        )
        .field("Trail", &trail)
        .field("Changes", weakened.join("; ")),
    ])
}
