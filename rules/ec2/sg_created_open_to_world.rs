use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `CreateSecurityGroup` call whose group is open to the internet by its current ingress
    /// rules (looked up as a fact when the event is evaluated, so rules added right after
    /// creation, e.g. by the same template, count), judged exactly as
    /// `ec2-sg-ingress-open-to-world` judges a grant: any port outside the ingress allowlist
    /// reachable from `0.0.0.0/0` or `::/0`. Critical for every protocol or administration and
    /// database ports, high otherwise. The group is looked up in the event's own account and
    /// region (another account only through `facts_role_name`).
    /// **Unknown:** when the group's rules are not known, the rule stays quiet; every later
    /// `AuthorizeSecurityGroupIngress` is still judged by `ec2-sg-ingress-open-to-world`.
    /// ## Why it matters
    /// Infrastructure-as-code and console wizards create groups with their rules in one go; a
    /// group born open to the world exposes whatever is attached to it from the first minute.
    /// ## How to fix
    /// Revoke the world-open rules (`aws ec2 revoke-security-group-ingress --region <region> --group-id <security-group>
    /// --ip-permissions <ip-permissions>`) and grant known ranges only; fix the template that created it.
    /// ## References
    /// - https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
    /// - https://attack.mitre.org/techniques/T1133/
    SG_CREATED_OPEN_TO_WORLD {
        id: "ec2-sg-created-open-to-world",
        title: "Security group created open to the internet",
        severity: Severity::High,
        source: "ec2.amazonaws.com",
        events: &["CreateSecurityGroup"],
        attack: Some("T1133"),
        needs: Some(needs),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    group_name: Option<String>,
    vpc_id: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    group_id: Option<String>,
}

fn needs(ev: &Event) -> Result<Vec<Question>, FieldError> {
    Ok(ev.response::<Response>()?.group_id.map(|g| Question::security_group_ingress(ev, g)).into_iter().collect())
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let Some(group) = ev.response::<Response>()?.group_id else { return Ok(Vec::new()) };
    let Some(grants) = cx.facts.security_group_ingress(&group) else { return Ok(Vec::new()) };
    let open = exposures(&grants, &cx.config.ingress_allowed_ports);
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let services: Vec<String> = open.iter().map(Exposure::service).collect();
    let mut finding = Detection::new(
        format!("Security group {group} was created open to the internet on {}", services.join(", ")),
        Resource::new(ResourceKind::SECURITY_GROUP, &group),
    )
    .field("Security group", &group)
    .param("ip-permissions", permissions_json(&grants, &open))
    .field("Exposed to the internet", describe(&open))
    .field("Allowlisted ingress ports", cx.config.ingress_allowed_ports.to_string());
    if let Some(name) = req.group_name {
        finding = finding.field("Group name", name);
    }
    if let Some(vpc) = req.vpc_id {
        finding = finding.field("VPC", vpc);
    }
    Ok(vec![finding.severity(if critical_exposure(&open) { Severity::Critical } else { Severity::High })])
}
