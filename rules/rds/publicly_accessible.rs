use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A DB instance or Multi-AZ DB cluster created, restored or modified to be publicly
    /// accessible.
    /// - **Modified** (`ModifyDBInstance`, `ModifyDBCluster`): only when the request itself sets
    ///   `publiclyAccessible` to true. The response describes the whole database, so a storage
    ///   or password change on a database that was already public repeats `true` there without
    ///   making anything public: a looser rule that reads the response alerts on every such
    ///   change, which is noise, not risk.
    /// - **Created or restored** (`CreateDBInstance`, `CreateDBCluster`,
    ///   `RestoreDBInstanceFromDBSnapshot`, `RestoreDBInstanceToPointInTime`,
    ///   `RestoreDBInstanceFromS3`, `RestoreDBClusterFromSnapshot`,
    ///   `RestoreDBClusterToPointInTime`): the response's effective value first, because a call
    ///   that does not say inherits a default (true in a default VPC), then the request's. A
    ///   restore is a new database: restoring a snapshot into a public one is the quiet way to
    ///   publish its data.
    ///
    /// `false`, or no value anywhere, stays quiet. Only `publiclyAccessible` decides; the other
    /// fields shown (engine, endpoint: an object for instances, a hostname for clusters) are read
    /// leniently and never make the rule fail.
    /// ## Why it matters
    /// A publicly accessible database gets a public DNS name resolving to a public IP: one
    /// security-group rule away from the internet's password sprayers, and a frequent source of
    /// data breaches.
    /// ## How to fix
    /// `aws rds modify-db-instance --region <region> --db-instance-identifier <rds-instance> --no-publicly-accessible --apply-immediately`
    /// (or `modify-db-cluster --db-cluster-identifier <rds-cluster>`), and reach the database through private
    /// networking (VPN, bastion, SSM port forwarding or RDS Proxy). For a restore nobody expected,
    /// find out who restored which snapshot and delete the copy.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html#USER_VPC.Hiding
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceFromDBSnapshot.html
    /// - https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html#rds-2
    /// - https://attack.mitre.org/techniques/T1133/
    PUBLICLY_ACCESSIBLE {
        id: "rds-publicly-accessible",
        title: "RDS database made publicly accessible",
        severity: Severity::High,
        source: "rds.amazonaws.com",
        events: &[
            "CreateDBInstance",
            "ModifyDBInstance",
            "CreateDBCluster",
            "ModifyDBCluster",
            "RestoreDBInstanceFromDBSnapshot",
            "RestoreDBInstanceToPointInTime",
            "RestoreDBInstanceFromS3",
            "RestoreDBClusterFromSnapshot",
            "RestoreDBClusterToPointInTime",
        ],
        attack: Some("T1133"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    #[serde(rename = "dBInstanceIdentifier", default)]
    db_instance: Lenient<String>,
    #[serde(rename = "targetDBInstanceIdentifier", default)]
    target_db_instance: Lenient<String>,
    #[serde(rename = "dBClusterIdentifier", default)]
    db_cluster: Lenient<String>,
    #[serde(rename = "dBSnapshotIdentifier", default)]
    db_snapshot: Lenient<String>,
    #[serde(rename = "sourceDBInstanceIdentifier", default)]
    source_db_instance: Lenient<String>,
    #[serde(default)]
    snapshot_identifier: Lenient<String>,
    #[serde(rename = "sourceDBClusterIdentifier", default)]
    source_db_cluster: Lenient<String>,
    publicly_accessible: Option<bool>,
    #[serde(default)]
    engine: Lenient<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    #[serde(default)]
    publicly_accessible: Lenient<bool>,
    #[serde(default)]
    endpoint: Lenient<Endpoint>,
    #[serde(default)]
    engine: Lenient<String>,
}

/// An instance's endpoint is an object; a cluster's is its hostname.
#[derive(Deserialize)]
#[serde(untagged)]
enum Endpoint {
    Object { address: String },
    Host(String),
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    // The response only describes the database; whatever its shape, it never fails the rule.
    let resp = ev.response_or_default::<Response>();
    let public = if ev.event_name.starts_with("Modify") {
        req.publicly_accessible
    } else {
        resp.publicly_accessible.0.or(req.publicly_accessible)
    };
    if public != Some(true) {
        return Ok(Vec::new());
    }
    let instance = req.target_db_instance.0.or(req.db_instance.0);
    let (kind, id) = match (instance, req.db_cluster.0) {
        (Some(id), _) => (ResourceKind::RDS_INSTANCE, id),
        (None, Some(id)) => (ResourceKind::RDS_CLUSTER, id),
        (None, None) => (ResourceKind::RDS_INSTANCE, String::new()),
    };
    let shown = if id.is_empty() { "(unknown id)" } else { id.as_str() };
    let verb = match ev.event_name.as_ref() {
        n if n.starts_with("Create") => "was created publicly accessible",
        n if n.starts_with("Restore") => "was restored publicly accessible",
        _ => "was made publicly accessible",
    };
    let mut detection = Detection::new(format!("RDS database {shown} {verb}"), Resource::new(kind, &id))
        .field("Database", shown)
        .field("Publicly accessible", "true");
    let source = [req.db_snapshot.0, req.snapshot_identifier.0, req.source_db_instance.0, req.source_db_cluster.0]
        .into_iter()
        .flatten()
        .next();
    if let Some(source) = source {
        detection = detection.field("Restored from", source);
    }
    if let Some(engine) = resp.engine.0.or(req.engine.0) {
        detection = detection.field("Engine", engine);
    }
    match resp.endpoint.0 {
        Some(Endpoint::Object { address } | Endpoint::Host(address)) => {
            detection = detection.field("Endpoint", address)
        }
        None => {}
    }
    Ok(vec![detection])
}
