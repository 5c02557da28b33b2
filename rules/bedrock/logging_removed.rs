use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Bedrock's safety and audit controls removed: `DeleteModelInvocationLoggingConfiguration`
    /// (prompts and responses stop being logged for the whole region) and `DeleteGuardrail`
    /// (a guardrail, or one version of it, deleted).
    /// ## Why it matters
    /// Invocation logs are the only record of what was asked of the models and what they
    /// answered; guardrails are what keep them from leaking data or producing harmful output.
    /// Removing either before abusing the models is defence evasion.
    /// ## How to fix
    /// Turn logging back on (`aws bedrock put-model-invocation-logging-configuration --region <region> --logging-config file://logging.json`)
    /// or recreate the guardrail from source control, and find out who removed it. Allow these
    /// actions only to the team that owns Bedrock.
    /// ## References
    /// - https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html
    /// - https://docs.aws.amazon.com/bedrock/latest/APIReference/API_DeleteGuardrail.html
    /// - https://attack.mitre.org/techniques/T1562/008/
    LOGGING_REMOVED {
        id: "bedrock-logging-or-guardrail-removed",
        title: "Bedrock invocation logging or guardrail deleted",
        severity: Severity::High,
        source: "bedrock.amazonaws.com",
        events: &["DeleteModelInvocationLoggingConfiguration", "DeleteGuardrail"],
        attack: Some("T1562.008"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    guardrail_identifier: Option<String>,
    guardrail_version: Option<Scalar>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    if ev.event_name == "DeleteGuardrail" {
        let req: Request = ev.request()?;
        let guardrail = req.guardrail_identifier.unwrap_or_default();
        let mut detection = Detection::new(
            format!("Bedrock guardrail {guardrail} was deleted in {}", ev.aws_region),
            Resource::new(ResourceKind::BEDROCK_GUARDRAIL, &guardrail),
        )
        .severity(Severity::Medium)
        .field("Guardrail", &guardrail);
        if let Some(v) = req.guardrail_version {
            detection = detection.field("Version", v.0);
        }
        return Ok(vec![detection]);
    }
    let account = ev.account_id.to_string();
    Ok(vec![
        Detection::new(
            format!("Bedrock model invocation logging was deleted in {}", ev.aws_region),
            Resource::new(ResourceKind::ACCOUNT, &account),
        )
        .field("Region", ev.aws_region.as_ref()),
    ])
}
