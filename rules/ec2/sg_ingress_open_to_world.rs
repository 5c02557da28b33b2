use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// An `AuthorizeSecurityGroupIngress` call that lets the whole internet (IPv4 `0.0.0.0/0` or
    /// IPv6 `::/0`) reach a port that is not on the ingress allowlist (default: tcp/80, tcp/443;
    /// `ingress_allowed_ports`). A port range fires unless every port in it is allowlisted
    /// (22-443 fires although 443 is allowed); protocol `-1` opens every port of every protocol.
    /// CIDRs are parsed, not compared as text: `203.0.113.7/0` is the whole internet, and ranges
    /// granted in one call add up (`0.0.0.0/1` + `128.0.0.0/1`). Sources that are other security
    /// groups or prefix lists are not address ranges and never fire. Severity is critical when
    /// every protocol or a remote-administration or database port (22, 3389, 3306, 5432, ...) is
    /// exposed, high otherwise.
    /// ## Why it matters
    /// Internet-wide scanners find an exposed SSH, RDP or database port within minutes; brute
    /// force and exploitation follow. It is the most common way EC2 instances are compromised.
    /// ## How to fix
    /// Revoke the rule (`aws ec2 revoke-security-group-ingress --region <region> --group-id <security-group> --ip-permissions <ip-permissions>`)
    /// and grant the port to known ranges only, or reach instances through SSM Session Manager or
    /// EC2 Instance Connect Endpoint instead of opening SSH/RDP.
    /// ## Response
    /// Planned by default (and applied with `respond = "apply"`, at or above
    /// `respond_min_severity`): `ec2-revoke-ingress`.
    /// ## References
    /// - https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
    /// - https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-19
    /// - https://attack.mitre.org/techniques/T1133/
    SG_INGRESS_OPEN_TO_WORLD {
        id: "ec2-sg-ingress-open-to-world",
        title: "Security group ingress opened to the internet",
        severity: Severity::High,
        source: "ec2.amazonaws.com",
        events: &["AuthorizeSecurityGroupIngress"],
        attack: Some("T1133"),
        respond: &[Action::Ec2RevokeIngress],
    }
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: SecurityGroupRequest = ev.request()?;
    let grants = req.grants()?;
    let open = exposures(&grants, &cx.config.ingress_allowed_ports);
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let group = req.group();
    let services: Vec<String> = open.iter().map(Exposure::service).collect();
    let finding = Detection::new(
        format!("Security group {group} opened {} to {}", services.join(", "), open[0].internet()),
        Resource::new(ResourceKind::SECURITY_GROUP, &group),
    )
    .field("Security group", &group)
    .param("group-id", &group)
    .param("ip-permissions", permissions_json(&grants, &open))
    .field("Exposed to the internet", describe(&open))
    .field("Allowlisted ingress ports", cx.config.ingress_allowed_ports.to_string())
    .severity(if critical_exposure(&open) { Severity::Critical } else { Severity::High });
    Ok(vec![finding])
}
