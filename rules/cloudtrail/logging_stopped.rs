use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful `StopLogging` call: the trail still exists but records nothing.
    /// ## Why it matters
    /// It is the quiet way to blind an audit trail; the trail looks healthy in a list of trails,
    /// and everything done while it is stopped is missing from the record.
    /// ## How to fix
    /// `aws cloudtrail start-logging --region <region> --name <trail>`, then find out who stopped it and what happened
    /// while it was stopped (EventBridge and the CloudTrail event history still hold management
    /// events for 90 days). Deny `cloudtrail:StopLogging` with an SCP.
    /// ## Response
    /// Planned by default (and applied with `respond = "apply"`, at or above
    /// `respond_min_severity`): `cloudtrail-start-logging`.
    /// ## References
    /// - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopLogging.html
    /// - https://attack.mitre.org/techniques/T1562/008/
    LOGGING_STOPPED {
        id: "cloudtrail-logging-stopped",
        title: "CloudTrail logging stopped",
        severity: Severity::Critical,
        source: "cloudtrail.amazonaws.com",
        events: &["StopLogging"],
        attack: Some("T1562.008"),
        respond: &[Action::CloudtrailStartLogging],
    }
}

#[derive(Default, Deserialize)]
struct Request {
    name: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let trail = ev.request::<Request>()?.name.unwrap_or_default();
    Ok(vec![
        Detection::new(
            format!("CloudTrail logging was stopped for trail {trail}"),
            Resource::new(ResourceKind::TRAIL, &trail),
        )
        .field("Trail", &trail),
    ])
}
