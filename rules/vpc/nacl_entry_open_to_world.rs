use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful `CreateNetworkAclEntry` that adds an inbound rule (`egress: false`) with
    /// `ruleAction: allow` for the whole internet: `cidrBlock` or `ipv6CidrBlock` with a prefix
    /// length of 0 (`0.0.0.0/0`, `::/0`, and host-bit variants such as `203.0.113.7/0`, which AWS
    /// canonicalises to `0.0.0.0/0`). The alert names the ACL, the rule number and the traffic
    /// (protocol and ports) the entry lets in.
    ///
    /// Quiet: `deny` entries, outbound (egress) entries, and entries for any narrower range
    /// (including halves of the internet such as `0.0.0.0/1`: each entry is judged alone).
    /// Replacing an entry with `ReplaceNetworkAclEntry` is not covered here. Creating or deleting
    /// whole ACLs is in `vpc-network-changed`.
    /// ## Why it matters
    /// Network ACLs are the subnet-level firewall behind security groups. An allow-from-anywhere
    /// entry placed before the deny rules removes that layer for the ports it covers, so a
    /// security group mistake is all that is left between the internet and the subnet. Low: the
    /// default ACL already allows all traffic and security groups still apply, but an explicit
    /// new opening in a restrictive ACL is worth knowing about.
    /// ## How to fix
    /// If the opening is not intended, delete the entry
    /// (`aws ec2 delete-network-acl-entry --region <region> --network-acl-id <network-acl> --ingress --rule-number N`) or
    /// narrow it (`aws ec2 replace-network-acl-entry --region <region> --network-acl-id <network-acl> --ingress
    /// --rule-number N --protocol tcp --port-range From=443,To=443 --cidr-block 10.0.0.0/8
    /// --rule-action allow`).
    /// ## References
    /// - https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateNetworkAclEntry.html
    /// - https://attack.mitre.org/techniques/T1562/007/
    NACL_ENTRY_OPEN_TO_WORLD {
        id: "vpc-nacl-entry-open-to-world",
        title: "Network ACL entry allows inbound traffic from the internet",
        severity: Severity::Low,
        source: "ec2.amazonaws.com",
        events: &["CreateNetworkAclEntry"],
        attack: Some("T1562.007"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    network_acl_id: Option<String>,
    rule_number: Option<Scalar>,
    egress: Option<Scalar>,
    rule_action: Option<String>,
    acl_protocol: Option<Scalar>,
    #[serde(default)]
    port_range: PortRange,
    cidr_block: Option<String>,
    ipv6_cidr_block: Option<String>,
}

/// `portRange`: `{"from": 22, "to": 22}`, or `{}` for protocols without ports.
#[derive(Default, Deserialize)]
struct PortRange {
    from: Option<Scalar>,
    to: Option<Scalar>,
}

/// The CIDR when its prefix length is 0 (the whole address space).
fn world(text: Option<&String>, field: &str) -> Result<Option<String>, FieldError> {
    let Some(text) = text else { return Ok(None) };
    let net: ipnet::IpNet =
        text.trim().parse().map_err(|_| FieldError::new(field, format!("`{text}` is not a CIDR range")))?;
    Ok((net.prefix_len() == 0).then(|| text.clone()))
}

/// `tcp/22`, `udp/1000-2000`, `icmp`, `all traffic`, `protocol 47`.
fn traffic(req: &Request) -> String {
    let proto = req.acl_protocol.as_ref().map(|p| p.0.trim().to_ascii_lowercase()).unwrap_or_default();
    let name = match proto.as_str() {
        "-1" | "all" | "" => return "all traffic".to_string(),
        "6" | "tcp" => "tcp",
        "17" | "udp" => "udp",
        "1" | "icmp" => return "icmp".to_string(),
        "58" | "icmpv6" => return "icmpv6".to_string(),
        other => return format!("protocol {other} (all ports)"),
    };
    match (&req.port_range.from, &req.port_range.to) {
        (Some(a), Some(b)) if a == b => format!("{name}/{}", a.0),
        (Some(a), Some(b)) => format!("{name}/{}-{}", a.0, b.0),
        _ => format!("{name}/all ports"),
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let allow = req.rule_action.as_deref().is_some_and(|a| a.trim().eq_ignore_ascii_case("allow"));
    let egress = req.egress.as_ref().is_some_and(|e| e.0.trim().eq_ignore_ascii_case("true"));
    if !allow || egress {
        return Ok(Vec::new());
    }
    let ranges: Vec<String> = [
        world(req.cidr_block.as_ref(), "requestParameters.cidrBlock")?,
        world(req.ipv6_cidr_block.as_ref(), "requestParameters.ipv6CidrBlock")?,
    ]
    .into_iter()
    .flatten()
    .collect();
    if ranges.is_empty() {
        return Ok(Vec::new());
    }
    let acl = req.network_acl_id.clone().unwrap_or_default();
    let rule = req.rule_number.as_ref().map(|n| n.0.clone()).unwrap_or_default();
    let what = traffic(&req);
    let from = ranges.join(", ");
    Ok(vec![
        Detection::new(
            format!("Network ACL {acl} rule {rule} allows {what} inbound from {from}"),
            Resource::new(ResourceKind::NETWORK_ACL, &acl),
        )
        .field("Network ACL", &acl)
        .field("Rule number", rule)
        .field("Traffic", what)
        .field("Source", from),
    ])
}
