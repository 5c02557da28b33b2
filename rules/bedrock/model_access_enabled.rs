use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Access to Bedrock foundation models switched on: `PutUseCaseForModelAccess` (the use-case
    /// form Anthropic models need), `CreateFoundationModelAgreement` (a model's offer accepted)
    /// and `PutFoundationModelEntitlement` (the model entitled for the account). The alert names
    /// the model.
    /// ## Why it matters
    /// "LLMjacking": attackers with stolen keys enable the most expensive models in an account
    /// that never used them, then sell or use the access, running up large bills and using your
    /// account for abuse (Stratus Red Team's "invoke Bedrock model"). Accounts that use Bedrock
    /// enable models rarely and through an owner; one that does not should never see this.
    /// ## How to fix
    /// If nobody asked for the model: remove model access in the Bedrock console, deactivate the
    /// caller's credentials, and check `InvokeModel` use and cost since. Deny `bedrock:*` with
    /// an SCP in accounts that do not use it, or allow only named models.
    /// ## References
    /// - https://docs.aws.amazon.com/bedrock/latest/userguide/model-access.html
    /// - https://docs.aws.amazon.com/bedrock/latest/userguide/logging-using-cloudtrail.html
    /// - https://stratus-red-team.cloud/attack-techniques/AWS/aws.impact.bedrock-invoke-model/
    /// - https://attack.mitre.org/techniques/T1496/
    MODEL_ACCESS_ENABLED {
        id: "bedrock-model-access-enabled",
        title: "Bedrock foundation model access enabled",
        severity: Severity::Medium,
        source: "bedrock.amazonaws.com",
        events: &["PutUseCaseForModelAccess", "CreateFoundationModelAgreement", "PutFoundationModelEntitlement"],
        attack: Some("T1496"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    model_id: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let model = ev.request::<Request>()?.model_id;
    let account = ev.account_id.to_string();
    let what = match ev.event_name.as_ref() {
        "PutUseCaseForModelAccess" => "submitted a model-access use case",
        "CreateFoundationModelAgreement" => "accepted a model agreement",
        _ => "entitled a model",
    };
    let mut detection = Detection::new(
        match &model {
            Some(m) => format!("{} {what} for {m} in {}", ev.user_identity.name(), ev.aws_region),
            None => format!("{} {what} in {}", ev.user_identity.name(), ev.aws_region),
        },
        Resource::new(ResourceKind::BEDROCK_MODEL, model.as_deref().unwrap_or(&account)),
    );
    if let Some(m) = model {
        detection = detection.field("Model", m);
    }
    Ok(vec![detection])
}
