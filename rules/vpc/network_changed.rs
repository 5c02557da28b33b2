use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Every successful call that creates or deletes a piece of VPC plumbing: VPCs (`CreateVpc`,
    /// `DeleteVpc`), subnets (`CreateSubnet`, `DeleteSubnet`), NAT gateways (`CreateNatGateway`,
    /// `DeleteNatGateway`), route tables (`CreateRouteTable`, `DeleteRouteTable`), network ACLs
    /// (`CreateNetworkAcl`, `DeleteNetworkAcl`), Elastic IP addresses (`AllocateAddress`,
    /// `ReleaseAddress`), VPC peering connections (`DeleteVpcPeeringConnection`) and VPC endpoints
    /// (`DeleteVpcEndpoints`). The alert names the resource ids the call created or removed (read
    /// from the response for creations, from the request for deletions).
    ///
    /// This is a change notification, not a misconfiguration finding: it fires on every such call
    /// at info, so the inbox keeps an audit trail of who reshaped the network and when.
    /// `DeleteVpcEndpoints` is raised to low. Failed calls stay quiet. The calls with real risk in
    /// them have their own rules: routes to an internet gateway (`vpc-route-to-internet-gateway`),
    /// network ACL entries open to the world (`vpc-nacl-entry-open-to-world`), peering requests
    /// (`vpc-peering-connection-created`) and internet gateways attached
    /// (`vpc-internet-gateway-attached`).
    /// ## Why it matters
    /// Network layout changes are rare outside planned deployments, and each one changes what can
    /// reach what. An unexpected NAT gateway or Elastic IP can be an exfiltration path; a deleted
    /// route table, NACL or subnet can take an application down. Deleting a VPC endpoint removes
    /// its endpoint policy (often the guard that keeps S3 or other service traffic inside your
    /// data perimeter) and can send that traffic over the internet instead, hence low rather than
    /// info. Matching these alerts against your change calendar or infrastructure-as-code runs is
    /// the point.
    /// ## How to fix
    /// Nothing, if the change was planned. Otherwise undo it: `aws ec2 delete-vpc --region <region> --vpc-id <vpc>`,
    /// `aws ec2 delete-subnet --region <region> --subnet-id <subnet>`, `aws ec2 delete-nat-gateway --nat-gateway-id <nat-gateway>`,
    /// `aws ec2 delete-route-table --region <region> --route-table-id <route-table>`, `aws ec2 delete-network-acl
    /// --network-acl-id <network-acl>`, `aws ec2 release-address --region <region> --allocation-id <elastic-ip>` for unexpected
    /// creations. Deletions cannot be reversed in place: recreate the resource from your
    /// infrastructure-as-code (for example `terraform apply`), then re-associate route tables and
    /// NACLs with their subnets and restore endpoint policies. Ask the caller why.
    /// ## References
    /// - https://docs.aws.amazon.com/vpc/latest/userguide/what-is-amazon-vpc.html
    /// - https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/OperationList-query-vpc.html
    NETWORK_CHANGED {
        id: "vpc-network-changed",
        title: "VPC network resource created or deleted",
        severity: Severity::Info,
        source: "ec2.amazonaws.com",
        events: &[
            "CreateVpc",
            "DeleteVpc",
            "CreateSubnet",
            "DeleteSubnet",
            "CreateNatGateway",
            "DeleteNatGateway",
            "CreateRouteTable",
            "DeleteRouteTable",
            "CreateNetworkAcl",
            "DeleteNetworkAcl",
            "AllocateAddress",
            "ReleaseAddress",
            "DeleteVpcPeeringConnection",
            "DeleteVpcEndpoints",
        ],
    }
}

/// The request fields of every event name above (each call sets only its own).
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    vpc_id: Option<String>,
    subnet_id: Option<String>,
    cidr_block: Option<String>,
    ipv6_cidr_block: Option<String>,
    availability_zone: Option<String>,
    route_table_id: Option<String>,
    network_acl_id: Option<String>,
    allocation_id: Option<String>,
    public_ip: Option<String>,
    vpc_peering_connection_id: Option<String>,
    /// NAT gateway and VPC endpoint calls are recorded in the API's own PascalCase shape.
    #[serde(rename = "CreateNatGatewayRequest")]
    create_nat_gateway: Option<NatGatewayRequest>,
    #[serde(rename = "DeleteNatGatewayRequest")]
    delete_nat_gateway: Option<NatGatewayRequest>,
    #[serde(rename = "DeleteVpcEndpointsRequest")]
    delete_vpc_endpoints: Option<DeleteVpcEndpointsRequest>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NatGatewayRequest {
    nat_gateway_id: Option<String>,
    subnet_id: Option<String>,
    allocation_id: Option<String>,
    connectivity_type: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteVpcEndpointsRequest {
    vpc_endpoint_id: Option<OneOrMany>,
}

/// `VpcEndpointId` is one `{"tag": 1, "content": "vpce-…"}` for one endpoint, a list of them
/// for several (and a plain string in some records).
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(TaggedId),
    Many(Vec<TaggedId>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TaggedId {
    Plain(String),
    Tagged { content: String },
}

impl OneOrMany {
    fn ids(&self) -> Vec<String> {
        let text = |t: &TaggedId| match t {
            TaggedId::Plain(s) | TaggedId::Tagged { content: s } => s.clone(),
        };
        match self {
            OneOrMany::One(t) => vec![text(t)],
            OneOrMany::Many(v) => v.iter().map(text).collect(),
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    vpc: Option<Created>,
    subnet: Option<Created>,
    route_table: Option<Created>,
    network_acl: Option<Created>,
    #[serde(rename = "CreateNatGatewayResponse")]
    create_nat_gateway: Option<NatGatewayResponse>,
    /// `AllocateAddress` answers at the top level.
    allocation_id: Option<String>,
    public_ip: Option<String>,
    domain: Option<String>,
}

/// What a create call returns about the new resource (each sets the id of its own kind).
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    vpc_id: Option<String>,
    subnet_id: Option<String>,
    route_table_id: Option<String>,
    network_acl_id: Option<String>,
    cidr_block: Option<String>,
    availability_zone: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NatGatewayResponse {
    nat_gateway: Option<NatGateway>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NatGateway {
    nat_gateway_id: Option<String>,
    vpc_id: Option<String>,
    subnet_id: Option<String>,
}

/// A resource id as shown in the alert; absent ids (a record without its response) say so.
fn shown(id: Option<&String>) -> String {
    id.filter(|s| !s.is_empty()).cloned().unwrap_or_else(|| "(id not recorded)".to_string())
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let name = ev.event_name.as_ref();
    let creates = name.starts_with("Create") || name == "AllocateAddress";
    let res: Response = if creates { ev.response()? } else { Response::default() };
    let finding = match name {
        "CreateVpc" => {
            let vpc = res.vpc.unwrap_or_default();
            let id = shown(vpc.vpc_id.as_ref());
            let cidr = vpc.cidr_block.or(req.cidr_block).unwrap_or_default();
            Detection::new(format!("VPC {id} ({cidr}) was created"), Resource::new(ResourceKind::VPC, &id))
                .field("VPC", &id)
                .field("CIDR block", cidr)
        }
        "DeleteVpc" => {
            let id = shown(req.vpc_id.as_ref());
            Detection::new(format!("VPC {id} was deleted"), Resource::new(ResourceKind::VPC, &id)).field("VPC", &id)
        }
        "CreateSubnet" => {
            let subnet = res.subnet.unwrap_or_default();
            let id = shown(subnet.subnet_id.as_ref());
            let vpc = shown(subnet.vpc_id.as_ref().or(req.vpc_id.as_ref()));
            let cidr = subnet.cidr_block.or(req.cidr_block).or(req.ipv6_cidr_block).unwrap_or_default();
            let zone = subnet.availability_zone.or(req.availability_zone).unwrap_or_default();
            Detection::new(
                format!("Subnet {id} ({cidr}) was created in VPC {vpc}"),
                Resource::new(ResourceKind::SUBNET, &id),
            )
            .field("Subnet", &id)
            .field("VPC", vpc)
            .field("CIDR block", cidr)
            .field("Availability zone", zone)
        }
        "DeleteSubnet" => {
            let id = shown(req.subnet_id.as_ref());
            Detection::new(format!("Subnet {id} was deleted"), Resource::new(ResourceKind::SUBNET, &id))
                .field("Subnet", &id)
        }
        "CreateNatGateway" => {
            let asked = req.create_nat_gateway.unwrap_or_default();
            let nat = res.create_nat_gateway.and_then(|r| r.nat_gateway).unwrap_or_default();
            let id = shown(nat.nat_gateway_id.as_ref());
            let subnet = shown(nat.subnet_id.as_ref().or(asked.subnet_id.as_ref()));
            let mut f = Detection::new(
                format!("NAT gateway {id} was created in subnet {subnet}"),
                Resource::new(ResourceKind::NAT_GATEWAY, &id),
            )
            .field("NAT gateway", &id)
            .field("Subnet", subnet)
            .field("VPC", shown(nat.vpc_id.as_ref()));
            if let Some(alloc) = asked.allocation_id {
                f = f.field("Elastic IP allocation", alloc);
            }
            if let Some(kind) = asked.connectivity_type {
                f = f.field("Connectivity", kind);
            }
            f
        }
        "DeleteNatGateway" => {
            let id = shown(req.delete_nat_gateway.unwrap_or_default().nat_gateway_id.as_ref());
            Detection::new(format!("NAT gateway {id} was deleted"), Resource::new(ResourceKind::NAT_GATEWAY, &id))
                .field("NAT gateway", &id)
        }
        "CreateRouteTable" => {
            let table = res.route_table.unwrap_or_default();
            let id = shown(table.route_table_id.as_ref());
            let vpc = shown(table.vpc_id.as_ref().or(req.vpc_id.as_ref()));
            Detection::new(
                format!("Route table {id} was created in VPC {vpc}"),
                Resource::new(ResourceKind::ROUTE_TABLE, &id),
            )
            .field("Route table", &id)
            .field("VPC", vpc)
        }
        "DeleteRouteTable" => {
            let id = shown(req.route_table_id.as_ref());
            Detection::new(format!("Route table {id} was deleted"), Resource::new(ResourceKind::ROUTE_TABLE, &id))
                .field("Route table", &id)
        }
        "CreateNetworkAcl" => {
            let acl = res.network_acl.unwrap_or_default();
            let id = shown(acl.network_acl_id.as_ref());
            let vpc = shown(acl.vpc_id.as_ref().or(req.vpc_id.as_ref()));
            Detection::new(
                format!("Network ACL {id} was created in VPC {vpc}"),
                Resource::new(ResourceKind::NETWORK_ACL, &id),
            )
            .field("Network ACL", &id)
            .field("VPC", vpc)
        }
        "DeleteNetworkAcl" => {
            let id = shown(req.network_acl_id.as_ref());
            Detection::new(format!("Network ACL {id} was deleted"), Resource::new(ResourceKind::NETWORK_ACL, &id))
                .field("Network ACL", &id)
        }
        "AllocateAddress" => {
            let id = shown(res.allocation_id.as_ref().or(res.public_ip.as_ref()));
            let ip = res.public_ip.unwrap_or_default();
            Detection::new(
                format!("Elastic IP {ip} ({id}) was allocated"),
                Resource::new(ResourceKind::ELASTIC_IP, &id),
            )
            .field("Allocation ID", &id)
            .field("Public IP", ip)
            .field("Domain", res.domain.unwrap_or_default())
        }
        "ReleaseAddress" => {
            // VPC addresses are released by allocation id, EC2-Classic ones by address.
            let id = shown(req.allocation_id.as_ref().or(req.public_ip.as_ref()));
            let mut f =
                Detection::new(format!("Elastic IP {id} was released"), Resource::new(ResourceKind::ELASTIC_IP, &id))
                    .field("Allocation ID", &id);
            if let Some(ip) = req.public_ip {
                f = f.field("Public IP", ip);
            }
            f
        }
        "DeleteVpcPeeringConnection" => {
            let id = shown(req.vpc_peering_connection_id.as_ref());
            Detection::new(
                format!("VPC peering connection {id} was deleted"),
                Resource::new(ResourceKind::VPC_PEERING_CONNECTION, &id),
            )
            .field("Peering connection", &id)
        }
        "DeleteVpcEndpoints" => {
            let ids = req.delete_vpc_endpoints.and_then(|r| r.vpc_endpoint_id).map(|v| v.ids()).unwrap_or_default();
            let list = shown(Some(&ids.join(", ")));
            let what = if ids.len() > 1 { "VPC endpoints" } else { "VPC endpoint" };
            let verb = if ids.len() > 1 { "were" } else { "was" };
            Detection::new(format!("{what} {list} {verb} deleted"), Resource::new(ResourceKind::VPC_ENDPOINT, &list))
                .field("VPC endpoints", &list)
                .severity(Severity::Low)
        }
        _ => return Ok(Vec::new()),
    };
    Ok(vec![finding])
}
