use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `ModifyInstanceAttribute` call that replaces an instance's security groups (`groupSet`)
    /// with groups that, together, open a port outside the ingress allowlist to the whole
    /// internet, on an instance that has a public IP. Both are live state (facts): the
    /// instance's network interfaces and public IPs, and the current rules of each new group,
    /// asked in the event's own account and region (another account only through
    /// `facts_role_name`).
    /// Judged like `ec2-sg-ingress-open-to-world` (the groups' rules add up, as they do on the
    /// instance); critical for every protocol or administration and database ports, high
    /// otherwise. Other attribute changes stay quiet.
    /// **Unknown:** when the instance's public IPs are not known, or no new group's rules are,
    /// the rule stays quiet (groups of unknown rules are left out of the union).
    /// ## Why it matters
    /// Swapping a public instance onto a permissive group exposes it without touching any
    /// security group: the group-change rules never fire, and the instance is reachable at once.
    /// ## How to fix
    /// Put the previous groups back (`aws ec2 modify-instance-attribute --instance-id <ec2-instance> --groups
    /// <previous-group-ids>`), or narrow the new group's rules; check the instance for signs of access
    /// since the change.
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/changing-security-group.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html
    /// - https://attack.mitre.org/techniques/T1133/
    INSTANCE_EXPOSED_BY_GROUP_CHANGE {
        id: "ec2-instance-exposed-by-group-change",
        title: "Public instance moved onto a security group open to the internet",
        severity: Severity::High,
        source: "ec2.amazonaws.com",
        events: &["ModifyInstanceAttribute"],
        attack: Some("T1133"),
        needs: Some(needs),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    instance_id: Option<String>,
    group_set: Option<Items<GroupItem>>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupItem {
    group_id: Option<String>,
}

impl Request {
    fn groups(&self) -> Vec<String> {
        self.group_set.iter().flat_map(|s| s.items.iter().filter_map(|g| g.group_id.clone())).collect()
    }
}

fn needs(ev: &Event) -> Result<Vec<Question>, FieldError> {
    let req: Request = ev.request()?;
    let (Some(instance), groups) = (req.instance_id.clone(), req.groups()) else { return Ok(Vec::new()) };
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let mut questions = vec![Question::instance_network(ev, instance)];
    questions.extend(groups.into_iter().map(|g| Question::security_group_ingress(ev, g)));
    Ok(questions)
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let groups = req.groups();
    let Some(instance) = req.instance_id.filter(|_| !groups.is_empty()) else { return Ok(Vec::new()) };
    let Some(network) = cx.facts.instance(&instance) else { return Ok(Vec::new()) };
    if network.public_ips.is_empty() {
        return Ok(Vec::new());
    }
    let grants: Vec<Grant> = groups.iter().filter_map(|g| cx.facts.security_group_ingress(g)).flatten().collect();
    let open = exposures(&grants, &cx.config.ingress_allowed_ports);
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let services: Vec<String> = open.iter().map(Exposure::service).collect();
    let finding = Detection::new(
        format!(
            "Instance {instance} ({}) now allows {} from the internet",
            network.public_ips.join(", "),
            services.join(", ")
        ),
        Resource::new(ResourceKind::EC2_INSTANCE, &instance),
    )
    .field("Instance", &instance)
    .field("Public IPs", network.public_ips.join(", "))
    .field("New security groups", groups.join(", "))
    .field("Exposed to the internet", describe(&open))
    .severity(if critical_exposure(&open) { Severity::Critical } else { Severity::High });
    Ok(vec![finding])
}
