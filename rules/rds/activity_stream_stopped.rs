use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful RDS `StopActivityStream`: database activity streaming (every query and login,
    /// sent to Kinesis for monitoring) stopped on an Aurora cluster or RDS instance.
    /// ## Why it matters
    /// Activity streams are the database's audit trail, often kept for compliance precisely
    /// because the database administrators cannot tamper with them; stopping the stream before
    /// reading or changing data hides it.
    /// ## How to fix
    /// Start it again (`aws rds start-activity-stream --region <region> --resource-arn <resource-arn> --mode async --kms-key-id <kms-key>`),
    /// find out who stopped it, and restrict `rds:StopActivityStream` to a break-glass role.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_StopActivityStream.html
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/DBActivityStreams.html
    /// - https://attack.mitre.org/techniques/T1562/008/
    ACTIVITY_STREAM_STOPPED {
        id: "rds-activity-stream-stopped",
        title: "RDS database activity stream stopped",
        severity: Severity::High,
        source: "rds.amazonaws.com",
        events: &["StopActivityStream"],
        attack: Some("T1562.008"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    resource_arn: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let arn = ev.request::<Request>()?.resource_arn.unwrap_or_default();
    let (kind, name) = match arn.rsplit_once(":cluster:") {
        Some((_, n)) => (ResourceKind::RDS_CLUSTER, n.to_string()),
        None => (ResourceKind::RDS_INSTANCE, arn.rsplit_once(":db:").map_or(arn.as_str(), |(_, n)| n).to_string()),
    };
    Ok(vec![
        Detection::new(
            format!("Database activity stream of {name} was stopped"),
            Resource::new(kind, &name).with_arn(&arn),
        )
        .field("Database", &name)
        .param("resource-arn", arn),
    ])
}
