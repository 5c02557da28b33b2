use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Route 53 Resolver query logging switched off: a successful
    /// `DeleteResolverQueryLogConfig` (the configuration, and every VPC's logging through it,
    /// is gone) or `DisassociateResolverQueryLogConfig` (one VPC stops logging its DNS queries).
    /// ## Why it matters
    /// Resolver query logs record every DNS name the workloads in a VPC look up: the trace of
    /// command-and-control beacons, DNS tunnelling and data staged to attacker domains. Turning
    /// them off before acting is defence evasion (Stratus Red Team's "delete DNS query logs").
    /// ## How to fix
    /// Recreate the configuration and associate it again
    /// (`aws route53resolver create-resolver-query-log-config --region <region> --name <name> --destination-arn <destination-arn>`,
    /// then `aws route53resolver associate-resolver-query-log-config --region <region> --resolver-query-log-config-id <resolver-query-log-config> --resource-id <vpc-id>`),
    /// find out who removed it, and deny these actions with an SCP outside your network tooling.
    /// ## References
    /// - https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_DeleteResolverQueryLogConfig.html
    /// - https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_DisassociateResolverQueryLogConfig.html
    /// - https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-query-logs.html
    /// - https://attack.mitre.org/techniques/T1562/008/
    QUERY_LOGGING_REMOVED {
        id: "route53resolver-query-logging-removed",
        title: "Route 53 Resolver query logging removed",
        severity: Severity::High,
        source: "route53resolver.amazonaws.com",
        events: &["DeleteResolverQueryLogConfig", "DisassociateResolverQueryLogConfig"],
        attack: Some("T1562.008"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    resolver_query_log_config_id: Option<String>,
    resource_id: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let config = req.resolver_query_log_config_id.unwrap_or_default();
    let resource = Resource::new(ResourceKind::RESOLVER_QUERY_LOG_CONFIG, &config);
    let detection = match req.resource_id {
        Some(vpc) if ev.event_name == "DisassociateResolverQueryLogConfig" => Detection::new(
            format!("DNS query logging {config} was disassociated from {vpc} in {}", ev.aws_region),
            resource,
        )
        .field("Query log configuration", &config)
        .field("VPC", vpc),
        _ => Detection::new(format!("DNS query logging {config} was deleted in {}", ev.aws_region), resource)
            .field("Query log configuration", &config),
    };
    Ok(vec![detection])
}
