use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Security Hub switched off or made to see less: `DisableSecurityHub` (the hub, its
    /// findings and integrations gone for the region), `BatchDisableStandards` (standards such as
    /// CIS or AWS Foundational Security Best Practices no longer checked; the alert lists their
    /// subscription ARNs) and `DeleteInsight` (a saved insight deleted; low).
    /// ## Why it matters
    /// Security Hub is where GuardDuty, Inspector, Macie and the standards' controls meet; turning
    /// it or its standards off silences every failed control and every forwarded finding at once.
    /// ## How to fix
    /// Turn it back on (`aws securityhub enable-security-hub --region <region>`, then
    /// `aws securityhub batch-enable-standards --region <region> --standards-subscription-requests StandardsArn=<standards-arn>`),
    /// or let the delegated administrator's central configuration re-enable it; find out who
    /// disabled it and deny these actions with an SCP.
    /// ## References
    /// - https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_DisableSecurityHub.html
    /// - https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchDisableStandards.html
    /// - https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_DeleteInsight.html
    /// - https://attack.mitre.org/techniques/T1562/001/
    DISABLED {
        id: "securityhub-disabled",
        title: "Security Hub, its standards or insights disabled",
        severity: Severity::High,
        source: "securityhub.amazonaws.com",
        events: &["DisableSecurityHub", "BatchDisableStandards", "DeleteInsight"],
        attack: Some("T1562.001"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    #[serde(alias = "standardsSubscriptionArns", default)]
    standards_subscription_arns: OneOrMany<String>,
    #[serde(alias = "insightArn")]
    insight_arn: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let region = ev.aws_region.as_ref();
    let account = ev.account_id.to_string();
    Ok(vec![
        match ev.event_name.as_ref() {
            "BatchDisableStandards" => {
                let standards: Vec<&str> = req
                    .standards_subscription_arns
                    .iter()
                    .map(|a| a.rsplit_once("/standards/").map_or(a.as_str(), |(_, s)| s))
                    .collect();
                Detection::new(
                    format!("Security Hub standards disabled in {region}: {}", standards.join(", ")),
                    Resource::new(ResourceKind::ACCOUNT, &account),
                )
                .field("Standards", standards.join(", "))
                .field("Subscriptions", req.standards_subscription_arns.iter().cloned().collect::<Vec<_>>().join(", "))
            }
            "DeleteInsight" => {
                let insight = req.insight_arn.unwrap_or_default();
                Detection::new(
                    format!("Security Hub insight {insight} was deleted"),
                    Resource::new(ResourceKind::SECURITYHUB_INSIGHT, &insight),
                )
                .severity(Severity::Low)
                .field("Insight", &insight)
            }
            _ => Detection::new(
                format!("Security Hub was disabled in {region} for account {account}"),
                Resource::new(ResourceKind::ACCOUNT, &account),
            )
            .severity(Severity::Critical),
        }
        .field("Region", region),
    ])
}
