use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Every successful `CreateVpcPeeringConnection`: a request to peer one of your VPCs with
    /// another VPC. Medium when the accepter VPC belongs to another AWS account
    /// (`peerOwnerId` differs from the event's account and is not in `trusted_accounts`); low
    /// when it is in the same account (no `peerOwnerId`, or your own id) or in a trusted account,
    /// where it is a change notification for the audit trail. Failed calls stay quiet.
    ///
    /// A request alone moves no traffic: the accepter must accept it and both sides must add
    /// routes. A request from another account to yours shows up in that account's trail, and
    /// accepting it (`AcceptVpcPeeringConnection`) is not covered here. Deleting a peering
    /// connection is in `vpc-network-changed`.
    /// ## Why it matters
    /// Peering joins two private networks: once accepted and routed, hosts in the peer VPC can
    /// reach yours (as far as security groups and NACLs allow) without crossing the internet or
    /// your perimeter controls. Peering with an account you do not know is a way to bridge your
    /// network to an attacker's, or to move data out along a private path that egress monitoring
    /// does not see.
    /// ## How to fix
    /// If the peer account is not yours, delete the request before it is accepted (or the
    /// connection after): `aws ec2 delete-vpc-peering-connection --vpc-peering-connection-id
    /// <vpc-peering-connection>`, and remove any routes to it (`aws ec2 delete-route --region <region> --route-table-id <route-table-id>
    /// --destination-cidr-block <cidr>`). If the account is a partner you trust, add it to
    /// `trusted_accounts`.
    /// ## References
    /// - https://docs.aws.amazon.com/vpc/latest/peering/what-is-vpc-peering.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpcPeeringConnection.html
    PEERING_CONNECTION_CREATED {
        id: "vpc-peering-connection-created",
        title: "VPC peering connection requested",
        severity: Severity::Medium,
        source: "ec2.amazonaws.com",
        events: &["CreateVpcPeeringConnection"],
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    vpc_id: Option<String>,
    peer_vpc_id: Option<String>,
    peer_owner_id: Option<Scalar>,
    peer_region: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    vpc_peering_connection: Option<Connection>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connection {
    vpc_peering_connection_id: Option<String>,
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let res: Response = ev.response()?;
    let id = res
        .vpc_peering_connection
        .and_then(|c| c.vpc_peering_connection_id)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "(id not recorded)".to_string());
    let vpc = req.vpc_id.unwrap_or_default();
    let peer_vpc = req.peer_vpc_id.unwrap_or_default();
    // Without peerOwnerId the accepter is in the requester's own account.
    let owner = req.peer_owner_id.map(|s| s.0.trim().to_string()).filter(|s| !s.is_empty());
    let owner = owner.unwrap_or_else(|| ev.account_id.to_string());
    let outside = owner != ev.account_id && !cx.config.trusted_accounts.contains(&owner);
    let whose = if owner == ev.account_id {
        "in the same account".to_string()
    } else if outside {
        format!("in another account, {owner}")
    } else {
        format!("in trusted account {owner}")
    };
    let mut finding = Detection::new(
        format!("VPC {vpc} requested peering connection {id} with VPC {peer_vpc} {whose}"),
        Resource::new(ResourceKind::VPC_PEERING_CONNECTION, &id),
    )
    .field("Peering connection", &id)
    .field("Requester VPC", vpc)
    .field("Accepter VPC", peer_vpc)
    .field("Accepter account", owner);
    if let Some(region) = req.peer_region {
        finding = finding.field("Accepter region", region);
    }
    if !outside {
        finding = finding.severity(Severity::Low);
    }
    Ok(vec![finding])
}
