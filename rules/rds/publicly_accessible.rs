use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A DB instance or Multi-AZ DB cluster created or modified to be publicly accessible
    /// (`CreateDBInstance`, `ModifyDBInstance`, `CreateDBCluster`, `ModifyDBCluster`). The
    /// response's effective `publiclyAccessible` is read first, because a create call that does
    /// not say inherits a default (true in a default VPC); the request's value counts otherwise.
    /// `false`, or no value anywhere, stays quiet.
    /// ## Why it matters
    /// A publicly accessible database gets a public DNS name resolving to a public IP: one
    /// security-group rule away from the internet's password sprayers, and a frequent source of
    /// data breaches.
    /// ## How to fix
    /// `aws rds modify-db-instance --db-instance-identifier … --no-publicly-accessible --apply-immediately`
    /// (or `modify-db-cluster`), and reach the database through private networking (VPN, bastion,
    /// SSM port forwarding or RDS Proxy).
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html#USER_VPC.Hiding
    /// - https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html#rds-2
    /// - https://attack.mitre.org/techniques/T1133/
    PUBLICLY_ACCESSIBLE {
        id: "rds-publicly-accessible",
        title: "RDS database made publicly accessible",
        severity: Severity::High,
        source: "rds.amazonaws.com",
        events: &["CreateDBInstance", "ModifyDBInstance", "CreateDBCluster", "ModifyDBCluster"],
        attack: Some("T1133"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    #[serde(rename = "dBInstanceIdentifier")]
    db_instance: Option<String>,
    #[serde(rename = "dBClusterIdentifier")]
    db_cluster: Option<String>,
    publicly_accessible: Option<bool>,
    engine: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    publicly_accessible: Option<bool>,
    endpoint: Option<Endpoint>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Endpoint {
    address: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let resp: Response = ev.response()?;
    if resp.publicly_accessible.or(req.publicly_accessible) != Some(true) {
        return Ok(Vec::new());
    }
    let (kind, id) = match (req.db_instance, req.db_cluster) {
        (Some(id), _) => (ResourceKind::RDS_INSTANCE, id),
        (None, Some(id)) => (ResourceKind::RDS_CLUSTER, id),
        (None, None) => (ResourceKind::RDS_INSTANCE, String::new()),
    };
    let verb = if ev.event_name.starts_with("Create") {
        "was created publicly accessible"
    } else {
        "was made publicly accessible"
    };
    let mut finding = Detection::new(format!("RDS database {id} {verb}"), Resource::new(kind, &id))
        .field("Database", &id)
        .field("Publicly accessible", "true");
    if let Some(engine) = req.engine {
        finding = finding.field("Engine", engine);
    }
    if let Some(address) = resp.endpoint.and_then(|e| e.address) {
        finding = finding.field("Endpoint", address);
    }
    Ok(vec![finding])
}
