use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// VPC traffic mirroring set up: `CreateTrafficMirrorSession` (an interface's packets copied
    /// to a target), `CreateTrafficMirrorTarget` (where copies go: an interface, a Network Load
    /// Balancer or a Gateway Load Balancer endpoint) and `CreateTrafficMirrorFilterRule` (what is
    /// copied). A session is high; targets and filter rules, the preparation, medium.
    /// ## Why it matters
    /// Mirroring sends a full copy of an instance's traffic, payloads included, to wherever the
    /// target points: passive collection of credentials and data that no host-based control
    /// sees.
    /// ## How to fix
    /// If no network team set it up: delete the session
    /// (`aws ec2 delete-traffic-mirror-session --region <region> --traffic-mirror-session-id <traffic-mirror-session>`),
    /// the target and filter, check where the target led, and restrict `ec2:CreateTrafficMirror*`.
    /// ## References
    /// - https://docs.aws.amazon.com/vpc/latest/mirroring/what-is-traffic-mirroring.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTrafficMirrorSession.html
    /// - https://attack.mitre.org/techniques/T1040/
    TRAFFIC_MIRRORING_SET_UP {
        id: "ec2-traffic-mirroring-set-up",
        title: "VPC traffic mirroring set up",
        severity: Severity::High,
        source: "ec2.amazonaws.com",
        events: &["CreateTrafficMirrorSession", "CreateTrafficMirrorTarget", "CreateTrafficMirrorFilterRule"],
        attack: Some("T1040"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    #[serde(
        rename = "CreateTrafficMirrorSessionRequest",
        alias = "CreateTrafficMirrorTargetRequest",
        alias = "CreateTrafficMirrorFilterRuleRequest"
    )]
    wrapped: Option<Mirror>,
    #[serde(flatten)]
    plain: Mirror,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Mirror {
    #[serde(alias = "networkInterfaceId")]
    network_interface_id: Option<String>,
    #[serde(alias = "trafficMirrorTargetId")]
    traffic_mirror_target_id: Option<String>,
    #[serde(alias = "networkLoadBalancerArn")]
    network_load_balancer_arn: Option<String>,
    #[serde(alias = "gatewayLoadBalancerEndpointId")]
    gateway_load_balancer_endpoint_id: Option<String>,
    #[serde(alias = "trafficMirrorFilterId")]
    traffic_mirror_filter_id: Option<String>,
    #[serde(alias = "trafficDirection")]
    traffic_direction: Option<String>,
    #[serde(alias = "destinationCidrBlock")]
    destination_cidr_block: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let m = req.wrapped.unwrap_or(req.plain);
    let (summary, resource, severity) = match ev.event_name.as_ref() {
        "CreateTrafficMirrorSession" => {
            let eni = m.network_interface_id.clone().unwrap_or_default();
            let target = m.traffic_mirror_target_id.clone().unwrap_or_default();
            (
                format!("Traffic of interface {eni} is now mirrored to target {target}"),
                Resource::new(ResourceKind::NETWORK_INTERFACE, &eni),
                Severity::High,
            )
        }
        "CreateTrafficMirrorTarget" => {
            let to = m
                .network_interface_id
                .clone()
                .or(m.network_load_balancer_arn.clone())
                .or(m.gateway_load_balancer_endpoint_id.clone())
                .unwrap_or_default();
            (
                format!("Traffic mirror target created toward {to}"),
                Resource::new(ResourceKind::TRAFFIC_MIRROR, &to),
                Severity::Medium,
            )
        }
        _ => {
            let filter = m.traffic_mirror_filter_id.clone().unwrap_or_default();
            (
                format!(
                    "Traffic mirror filter {filter} now copies {} traffic",
                    m.traffic_direction.clone().unwrap_or_default()
                ),
                Resource::new(ResourceKind::TRAFFIC_MIRROR, &filter),
                Severity::Medium,
            )
        }
    };
    let mut detection = Detection::new(summary, resource).severity(severity);
    for (label, value) in [
        ("Interface", m.network_interface_id),
        ("Target", m.traffic_mirror_target_id),
        ("Network Load Balancer", m.network_load_balancer_arn),
        ("Gateway Load Balancer endpoint", m.gateway_load_balancer_endpoint_id),
        ("Filter", m.traffic_mirror_filter_id),
        ("Direction", m.traffic_direction),
        ("Destination", m.destination_cidr_block),
    ] {
        if let Some(v) = value {
            detection = detection.field(label, v);
        }
    }
    Ok(vec![detection])
}
