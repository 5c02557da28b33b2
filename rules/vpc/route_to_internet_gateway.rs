use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful `CreateRoute` that sends the default route (`destinationCidrBlock`
    /// `0.0.0.0/0` or `destinationIpv6CidrBlock` `::/0`; any prefix of length 0, so
    /// `203.0.113.7/0` counts too) to an internet gateway (`gatewayId` starting with `igw-`).
    /// Every subnet associated with that route table becomes a public subnet.
    ///
    /// Quiet: routes to anything else (NAT gateways, transit gateways, peering connections,
    /// virtual private gateways, egress-only internet gateways `eigw-`, VPC endpoints, network
    /// interfaces), routes to an internet gateway for a narrower destination, and routes to a
    /// prefix list. Changing an existing route with `ReplaceRoute` is not covered here. Route
    /// tables and VPCs created or deleted are in `vpc-network-changed`.
    /// ## Why it matters
    /// A default route to an internet gateway is what makes a subnet public: any instance there
    /// with a public or Elastic IP address can be reached from the internet (as far as its security
    /// groups allow) and can send data out directly, bypassing the NAT gateway, proxy or firewall
    /// that private subnets go through. Putting it on a private subnet's route table exposes
    /// workloads that were designed never to face the internet. Medium: it needs public
    /// addresses and open security groups to become an exposure.
    /// ## How to fix
    /// If the subnets behind this route table must stay private, remove the route
    /// (`aws ec2 delete-route --region <region> --route-table-id <route-table> --destination-cidr-block 0.0.0.0/0`, or
    /// `--destination-ipv6-cidr-block ::/0`) or point it back at the NAT gateway
    /// (`aws ec2 replace-route --region <region> --route-table-id <route-table> --destination-cidr-block 0.0.0.0/0
    /// --nat-gateway-id <nat-gateway-id>`). Check which subnets use the table with
    /// `aws ec2 describe-route-tables --region <region> --route-table-ids <route-table>`.
    /// ## References
    /// - https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html
    /// - https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Internet_Gateway.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateRoute.html
    ROUTE_TO_INTERNET_GATEWAY {
        id: "vpc-route-to-internet-gateway",
        title: "Default route to an internet gateway created",
        severity: Severity::Medium,
        source: "ec2.amazonaws.com",
        events: &["CreateRoute"],
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    route_table_id: Option<String>,
    destination_cidr_block: Option<String>,
    destination_ipv6_cidr_block: Option<String>,
    gateway_id: Option<String>,
}

/// True when `text` is a CIDR range whose prefix length is 0 (the whole address space).
fn whole_internet(text: &str, field: &str) -> Result<bool, FieldError> {
    let net: ipnet::IpNet =
        text.trim().parse().map_err(|_| FieldError::new(field, format!("`{text}` is not a CIDR range")))?;
    Ok(net.prefix_len() == 0)
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let gateway = req.gateway_id.unwrap_or_default();
    if !gateway.starts_with("igw-") {
        return Ok(Vec::new());
    }
    let mut destinations = Vec::new();
    if let Some(c) = &req.destination_cidr_block
        && whole_internet(c, "requestParameters.destinationCidrBlock")?
    {
        destinations.push(c.clone());
    }
    if let Some(c) = &req.destination_ipv6_cidr_block
        && whole_internet(c, "requestParameters.destinationIpv6CidrBlock")?
    {
        destinations.push(c.clone());
    }
    if destinations.is_empty() {
        return Ok(Vec::new());
    }
    let table = req.route_table_id.unwrap_or_default();
    let destination = destinations.join(", ");
    Ok(vec![
        Detection::new(
            format!("Route table {table} now sends {destination} to internet gateway {gateway}"),
            Resource::new(ResourceKind::ROUTE_TABLE, &table),
        )
        .field("Route table", &table)
        .field("Destination", destination)
        .field("Internet gateway", gateway),
    ])
}
