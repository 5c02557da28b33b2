use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Every successful `AttachInternetGateway`: an internet gateway attached to a VPC. It is a
    /// change notification for the audit trail and always fires, at low. Failed calls stay quiet.
    /// The step that actually makes subnets public, a default route to the gateway, is
    /// `vpc-route-to-internet-gateway`.
    /// ## Why it matters
    /// A VPC without an internet gateway cannot reach or be reached from the internet at all;
    /// attaching one is the first step to exposing it (or to giving it a direct way out that
    /// bypasses NAT and egress filtering). On a VPC that is meant to stay private, such as a
    /// database or a build network, it deserves a question.
    /// ## How to fix
    /// If the VPC must stay private, detach the gateway
    /// (`aws ec2 detach-internet-gateway --region <region> --internet-gateway-id <internet-gateway> --vpc-id <vpc-id>`) after
    /// removing any routes to it, then delete it (`aws ec2 delete-internet-gateway
    /// --internet-gateway-id <internet-gateway>`).
    /// ## References
    /// - https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Internet_Gateway.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AttachInternetGateway.html
    INTERNET_GATEWAY_ATTACHED {
        id: "vpc-internet-gateway-attached",
        title: "Internet gateway attached to a VPC",
        severity: Severity::Low,
        source: "ec2.amazonaws.com",
        events: &["AttachInternetGateway"],
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    internet_gateway_id: Option<String>,
    vpc_id: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let gateway = req.internet_gateway_id.unwrap_or_default();
    let vpc = req.vpc_id.unwrap_or_default();
    Ok(vec![
        Detection::new(
            format!("Internet gateway {gateway} was attached to VPC {vpc}"),
            Resource::new(ResourceKind::INTERNET_GATEWAY, &gateway),
        )
        .field("Internet gateway", &gateway)
        .field("VPC", vpc),
    ])
}
