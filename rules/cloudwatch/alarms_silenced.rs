use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// CloudWatch alarms removed or muted: `DeleteAlarms` (the alarms are gone) and
    /// `DisableAlarmActions` (they still evaluate but no longer notify or act). The alert lists
    /// the alarms. `EnableAlarmActions` is the fix and is not watched.
    /// ## Why it matters
    /// Alarms are how the CIS metric filters (root use, IAM and trail changes, console sign-in
    /// failures) and operational monitors reach people; silencing them is defence evasion that
    /// leaves the metrics in place and nobody told.
    /// ## How to fix
    /// Turn the actions back on (`aws cloudwatch enable-alarm-actions --region <region> --alarm-names <alarm-names>`)
    /// or recreate deleted alarms from your infrastructure code, and find out who changed them.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DeleteAlarms.html
    /// - https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DisableAlarmActions.html
    /// - https://attack.mitre.org/techniques/T1562/001/
    ALARMS_SILENCED {
        id: "cloudwatch-alarms-silenced",
        title: "CloudWatch alarms deleted or their actions disabled",
        severity: Severity::Medium,
        source: "monitoring.amazonaws.com",
        events: &["DeleteAlarms", "DisableAlarmActions"],
        attack: Some("T1562.001"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    #[serde(default)]
    alarm_names: OneOrMany<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let names: Vec<String> = ev.request::<Request>()?.alarm_names.iter().cloned().collect();
    let list = names.join(", ");
    let verb = if ev.event_name == "DeleteAlarms" { "deleted" } else { "muted (actions disabled)" };
    let mut detection = Detection::new(
        format!("CloudWatch alarms {verb} in {}: {list}", ev.aws_region),
        Resource::new(ResourceKind::CLOUDWATCH_ALARM, names.first().map_or("", String::as_str)),
    )
    .field("Alarms", &list);
    if let [one] = names.as_slice() {
        detection = detection.param("alarm-names", one);
    }
    Ok(vec![detection])
}
