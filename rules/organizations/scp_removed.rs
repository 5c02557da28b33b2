use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Guardrails removed from an AWS Organization: a successful `DetachPolicy` or
    /// `DeletePolicy` of an organization policy, or `DisablePolicyType` for
    /// `SERVICE_CONTROL_POLICY` (every SCP in a root switched off at once). Detaching
    /// `p-FullAWSAccess`, the AWS-managed allow-all policy, restricts rather than loosens and
    /// stays quiet, as does disabling another policy type. A detach names only the policy id, not
    /// its type: tag and backup policies detached are reported too, with the id to check.
    /// ## Why it matters
    /// SCPs are what stop member accounts from turning off CloudTrail, leaving the organization
    /// or using unapproved regions. Removing one silently lifts those limits for every account
    /// under the target.
    /// ## How to fix
    /// Attach the policy again (`aws organizations attach-policy --policy-id <organization-policy> --target-id <target-id>`),
    /// or recreate it from source control if it was deleted, and find out who removed it.
    /// Keep policy changes to a pipeline role in the management account.
    /// ## References
    /// - https://docs.aws.amazon.com/organizations/latest/APIReference/API_DetachPolicy.html
    /// - https://docs.aws.amazon.com/organizations/latest/APIReference/API_DeletePolicy.html
    /// - https://docs.aws.amazon.com/organizations/latest/APIReference/API_DisablePolicyType.html
    /// - https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
    /// - https://attack.mitre.org/techniques/T1562/001/
    SCP_REMOVED {
        id: "organizations-scp-removed",
        title: "Organization guardrail policy detached, deleted or disabled",
        severity: Severity::High,
        source: "organizations.amazonaws.com",
        events: &["DetachPolicy", "DeletePolicy", "DisablePolicyType"],
        attack: Some("T1562.001"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    policy_id: Option<String>,
    target_id: Option<String>,
    root_id: Option<String>,
    policy_type: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    if ev.event_name == "DisablePolicyType" {
        if req.policy_type.as_deref() != Some("SERVICE_CONTROL_POLICY") {
            return Ok(Vec::new());
        }
        let root = req.root_id.unwrap_or_default();
        return Ok(vec![
            Detection::new(
                format!("Service control policies were disabled for organization root {root}"),
                Resource::new(ResourceKind::ORGANIZATION_POLICY, "SERVICE_CONTROL_POLICY"),
            )
            .severity(Severity::Critical)
            .field("Root", root),
        ]);
    }
    let policy = req.policy_id.unwrap_or_default();
    if policy.eq_ignore_ascii_case("p-FullAWSAccess") {
        return Ok(Vec::new());
    }
    let resource = Resource::new(ResourceKind::ORGANIZATION_POLICY, &policy);
    Ok(vec![match req.target_id {
        Some(target) if ev.event_name == "DetachPolicy" => {
            Detection::new(format!("Organization policy {policy} was detached from {target}"), resource)
                .field("Policy", &policy)
                .field("Target", &target)
                .param("target-id", target)
        }
        _ => Detection::new(format!("Organization policy {policy} was deleted"), resource).field("Policy", &policy),
    }])
}
