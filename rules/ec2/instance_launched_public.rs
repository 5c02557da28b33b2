use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `RunInstances` call whose instances can be reached from the internet: a network
    /// interface asked for a public IP (`associatePublicIpAddress: true`) or came back with one
    /// (high), or an instance landed in a subnet that is public, i.e. whose route table (its own,
    /// or the VPC's main one) routes `0.0.0.0/0` or `::/0` to an internet gateway (medium: it
    /// gets a public IP when the subnet assigns them by default).
    /// Whether a subnet is public is live state (a fact the Lambda looks up in the event's own
    /// account and region, another account only through `facts_role_name`; replay reads it from
    /// `--facts`). **Unknown:** when nothing says whether the subnet is public, the rule stays
    /// quiet (launches are frequent; an explicit public IP still fires).
    /// ## Why it matters
    /// An instance with a public address is one security-group rule away from the internet; in
    /// a public subnet it is where attackers look first. Unexpected launches there are also how
    /// stolen credentials become crypto-mining fleets.
    /// ## How to fix
    /// If it should not be public: `aws ec2 terminate-instances --instance-ids <ec2-instance>` or move the
    /// workload to a private subnet behind a load balancer or NAT, and turn off
    /// `MapPublicIpOnLaunch` on subnets that should not hand out public IPs
    /// (`aws ec2 modify-subnet-attribute --region <region> --subnet-id <subnet-id> --no-map-public-ip-on-launch`).
    /// ## References
    /// - https://docs.aws.amazon.com/vpc/latest/userguide/configure-subnets.html
    /// - https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-9
    /// - https://attack.mitre.org/techniques/T1133/
    INSTANCE_LAUNCHED_PUBLIC {
        id: "ec2-instance-launched-public",
        title: "EC2 instance launched reachable from the internet",
        severity: Severity::Medium,
        source: "ec2.amazonaws.com",
        events: &["RunInstances"],
        attack: Some("T1133"),
        needs: Some(needs),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    subnet_id: Option<String>,
    #[serde(default)]
    network_interface_set: Items<Interface>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Interface {
    subnet_id: Option<String>,
    associate_public_ip_address: Option<bool>,
    association: Option<Association>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Association {
    public_ip: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    #[serde(default)]
    instances_set: Items<Instance>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Instance {
    instance_id: Option<String>,
    subnet_id: Option<String>,
    ip_address: Option<String>,
    #[serde(default)]
    network_interface_set: Items<Interface>,
}

/// Every subnet the call names or the instances landed in.
fn subnets(req: &Request, resp: &Response) -> Vec<String> {
    let mut out: Vec<String> = req.subnet_id.iter().cloned().collect();
    out.extend(req.network_interface_set.items.iter().filter_map(|i| i.subnet_id.clone()));
    for inst in &resp.instances_set.items {
        out.extend(inst.subnet_id.iter().cloned());
        out.extend(inst.network_interface_set.items.iter().filter_map(|i| i.subnet_id.clone()));
    }
    out.sort();
    out.dedup();
    out
}

fn needs(ev: &Event) -> Result<Vec<Question>, FieldError> {
    Ok(subnets(&ev.request()?, &ev.response()?).into_iter().map(|s| Question::subnet_is_public(ev, s)).collect())
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let resp: Response = ev.response()?;
    let instances: Vec<String> = resp.instances_set.items.iter().filter_map(|i| i.instance_id.clone()).collect();
    let mut public_ips: Vec<String> = resp.instances_set.items.iter().filter_map(|i| i.ip_address.clone()).collect();
    for inst in &resp.instances_set.items {
        public_ips
            .extend(inst.network_interface_set.items.iter().filter_map(|n| n.association.as_ref()?.public_ip.clone()));
    }
    let asked_public_ip = req.network_interface_set.items.iter().any(|n| n.associate_public_ip_address == Some(true));
    let public_subnets: Vec<String> =
        subnets(&req, &resp).into_iter().filter(|s| cx.facts.subnet_public(s) == Some(true)).collect();
    if !asked_public_ip && public_ips.is_empty() && public_subnets.is_empty() {
        return Ok(Vec::new());
    }
    let ids = if instances.is_empty() { "(no instance id)".to_string() } else { instances.join(", ") };
    let how = if !public_ips.is_empty() || asked_public_ip { "with a public IP" } else { "into a public subnet" };
    let mut finding = Detection::new(
        format!("EC2 instance {ids} was launched {how}"),
        Resource::new(ResourceKind::EC2_INSTANCE, instances.first().cloned().unwrap_or_default()),
    )
    .field("Instances", &ids);
    if !public_ips.is_empty() {
        finding = finding.field("Public IPs", public_ips.join(", "));
    }
    if asked_public_ip {
        finding = finding.field("Public IP requested", "yes (associatePublicIpAddress)");
    }
    if !public_subnets.is_empty() {
        finding = finding.field("Public subnets", public_subnets.join(", "));
    }
    if !public_ips.is_empty() || asked_public_ip {
        finding = finding.severity(Severity::High);
    }
    Ok(vec![finding])
}
