use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful CloudWatch Logs `DeleteLogGroup` call, at medium. It fires at high when the
    /// group's name (compared in lower case) looks like an audit log: it contains `cloudtrail`,
    /// `flowlogs`, `flow-logs`, `guardduty`, `securityhub` or `waf` (broad on purpose: AWS WAF
    /// groups are `aws-waf-logs-…`, and a false high is cheaper than a missed one), or
    /// `/aws/lambda/trailwarden` (this detector's own logs). Failed calls stay quiet.
    /// ## Why it matters
    /// Deleting a log group deletes every event in it, at once and for good. For an
    /// application group that is lost history; for CloudTrail, VPC flow log, WAF or GuardDuty
    /// groups it is evidence destroyed, and often the log a CloudWatch alarm was watching.
    /// ## How to fix
    /// The events cannot be recovered from CloudWatch Logs; look for copies (the trail's S3
    /// bucket, subscriptions to Kinesis or OpenSearch, exports). Recreate the group (`aws logs
    /// create-log-group --log-group-name <log-group>`, then `aws logs put-retention-policy`) and its
    /// metric filters, subscriptions and alarms, and check that its producer still writes to
    /// it. Deny `logs:DeleteLogGroup` on audit groups with an SCP.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DeleteLogGroup.html
    /// - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html
    /// - https://attack.mitre.org/techniques/T1562/008/
    LOG_GROUP_DELETED {
        id: "logs-log-group-deleted",
        title: "CloudWatch Logs log group deleted",
        severity: Severity::Medium,
        source: "logs.amazonaws.com",
        events: &["DeleteLogGroup"],
        attack: Some("T1562.008"),
    }
}

/// Name fragments (lower case) of log groups that hold audit or security logs.
const AUDIT_MARKERS: &[&str] =
    &["cloudtrail", "flowlogs", "flow-logs", "guardduty", "securityhub", "waf", "/aws/lambda/trailwarden"];

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    log_group_name: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let group = ev.request::<Request>()?.log_group_name.unwrap_or_default();
    let lower = group.to_ascii_lowercase();
    let marker = AUDIT_MARKERS.iter().find(|m| lower.contains(*m));
    let region = ev.aws_region.as_ref();
    let finding = Detection::new(
        format!("CloudWatch Logs log group {group} was deleted in {region}"),
        Resource::new(ResourceKind::LOG_GROUP, &group),
    )
    .field("Log group", &group)
    .field("Region", region);
    Ok(vec![match marker {
        Some(m) => finding.field("Looks like audit logs", format!("name contains \"{m}\"")).severity(Severity::High),
        None => finding,
    }])
}
