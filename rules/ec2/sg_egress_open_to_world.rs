use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// An `AuthorizeSecurityGroupEgress` call that lets instances reach the whole internet
    /// (`0.0.0.0/0` or `::/0`) on a port that is not on the egress allowlist (default: tcp/80,
    /// tcp/443, tcp/587; `egress_allowed_ports`). Port ranges, protocol `-1` and CIDRs are read
    /// exactly as for the ingress rule `ec2-sg-ingress-open-to-world`.
    /// ## Why it matters
    /// Unrestricted egress is how malware calls home, how stolen data leaves (DNS tunnelling,
    /// arbitrary TCP) and how a compromised instance joins attacks on others. Groups that were
    /// locked down and are opened again deserve a look.
    /// ## How to fix
    /// Revoke the rule (`aws ec2 revoke-security-group-egress --region <region> --group-id <security-group> --ip-permissions <ip-permissions>`)
    /// and allow only the destinations and ports the workload needs, or route egress through a
    /// proxy or AWS Network Firewall.
    /// ## References
    /// - https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
    /// - https://attack.mitre.org/techniques/T1048/
    SG_EGRESS_OPEN_TO_WORLD {
        id: "ec2-sg-egress-open-to-world",
        title: "Security group egress opened to the internet",
        severity: Severity::Medium,
        source: "ec2.amazonaws.com",
        events: &["AuthorizeSecurityGroupEgress"],
        attack: Some("T1048"),
    }
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: SecurityGroupRequest = ev.request()?;
    let grants = req.grants()?;
    let open = exposures(&grants, &cx.config.egress_allowed_ports);
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let group = req.group();
    let services: Vec<String> = open.iter().map(Exposure::service).collect();
    let finding = Detection::new(
        format!("Security group {group} allowed outbound {} to {}", services.join(", "), open[0].internet()),
        Resource::new(ResourceKind::SECURITY_GROUP, &group),
    )
    .field("Security group", &group)
    .param("group-id", &group)
    .param("ip-permissions", permissions_json(&grants, &open))
    .field("Open to the internet", describe(&open))
    .field("Allowlisted egress ports", cx.config.egress_allowed_ports.to_string());
    Ok(vec![finding])
}
