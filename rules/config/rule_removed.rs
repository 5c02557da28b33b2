use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// An AWS Config rule taken out of service: a successful `DeleteConfigRule`, or a
    /// `PutConfigRule` whose `configRule.configRuleState` is set to anything but `ACTIVE`
    /// (compared without regard to case). A `PutConfigRule` that leaves the state out or sets
    /// `ACTIVE` (creating or editing a rule) stays quiet, as do failed calls. Stopping the
    /// whole recorder is `config-recording-stopped`.
    /// ## Why it matters
    /// Config rules are the standing checks that flag drift: public buckets, unencrypted
    /// volumes, disabled trails. Removing the one that would catch a change is a quiet way to
    /// make that change go unnoticed. Medium: one check is gone, not the recording itself.
    /// ## How to fix
    /// Put the rule back (`aws configservice put-config-rule --config-rule file://rule.json`,
    /// or redeploy the conformance pack or stack that owns it) and re-evaluate it with `aws
    /// configservice start-config-rules-evaluation --config-rule-names <config-rule>`. Deny
    /// `config:DeleteConfigRule` and `config:PutConfigRule` with an SCP outside your security
    /// tooling.
    /// ## References
    /// - https://docs.aws.amazon.com/config/latest/APIReference/API_DeleteConfigRule.html
    /// - https://docs.aws.amazon.com/config/latest/APIReference/API_ConfigRule.html
    /// - https://attack.mitre.org/techniques/T1562/001/
    RULE_REMOVED {
        id: "config-rule-removed",
        title: "AWS Config rule deleted or deactivated",
        severity: Severity::Medium,
        source: "config.amazonaws.com",
        events: &["DeleteConfigRule", "PutConfigRule"],
        attack: Some("T1562.001"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    config_rule_name: Option<String>,
    config_rule: Option<ConfigRule>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigRule {
    config_rule_name: Option<String>,
    config_rule_state: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let region = ev.aws_region.as_ref();
    if ev.event_name == "DeleteConfigRule" {
        let name = req.config_rule_name.unwrap_or_default();
        return Ok(vec![
            Detection::new(
                format!("AWS Config rule {name} was deleted in {region}"),
                Resource::new(ResourceKind::CONFIG_RULE, &name),
            )
            .field("Config rule", &name)
            .field("Region", region),
        ]);
    }
    let rule = req.config_rule.unwrap_or_default();
    let state = match rule.config_rule_state {
        Some(s) if !s.trim().eq_ignore_ascii_case("ACTIVE") => s,
        _ => return Ok(Vec::new()),
    };
    let name = rule.config_rule_name.unwrap_or_default();
    Ok(vec![
        Detection::new(
            format!("AWS Config rule {name} was set to state {state} in {region}"),
            Resource::new(ResourceKind::CONFIG_RULE, &name),
        )
        .field("Config rule", &name)
        .field("New state", state)
        .field("Region", region),
    ])
}
