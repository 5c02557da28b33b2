use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// An EventBridge rule turned off: `DisableRule`, or `DeleteRule` (low). Rules route
    /// CloudTrail events and findings to responders and to this detector itself; rules managed
    /// by an AWS service (`ManagedBy`, names such as `AutoScalingManagedRule`) are changed by that
    /// service and the engine skips its calls.
    /// ## Why it matters
    /// Disabling the rule that forwards events to security tooling is a cheap way to go unseen
    /// while leaving the tooling itself "on". Low, because teams disable and delete rules in
    /// normal work: read it with the rule's name.
    /// ## How to fix
    /// If the rule is one of your security pipelines, enable it again
    /// (`aws events enable-rule --region <region> --name <eventbridge-rule>`) or redeploy its stack, and find out who
    /// changed it.
    /// ## References
    /// - https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DisableRule.html
    /// - https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DeleteRule.html
    /// - https://attack.mitre.org/techniques/T1562/001/
    RULE_DISABLED {
        id: "events-rule-disabled",
        title: "EventBridge rule disabled or deleted",
        severity: Severity::Low,
        source: "events.amazonaws.com",
        events: &["DisableRule", "DeleteRule"],
        attack: Some("T1562.001"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    name: Option<String>,
    event_bus_name: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let name = req.name.unwrap_or_default();
    let bus = req.event_bus_name.unwrap_or_else(|| "default".to_string());
    let verb = if ev.event_name == "DisableRule" { "disabled" } else { "deleted" };
    Ok(vec![
        Detection::new(
            format!("EventBridge rule {name} on bus {bus} was {verb} in {}", ev.aws_region),
            Resource::new(ResourceKind::EVENTBRIDGE_RULE, &name),
        )
        .field("Rule", &name)
        .field("Event bus", bus),
    ])
}
