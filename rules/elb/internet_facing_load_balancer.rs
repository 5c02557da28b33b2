use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `CreateLoadBalancer` call (Application, Network, Gateway or Classic Load Balancer) whose
    /// scheme is `internet-facing`. Both APIs default to internet-facing when no scheme is given,
    /// so only an explicit `internal` scheme stays quiet.
    /// ## Why it matters
    /// An internet-facing load balancer puts whatever is behind it on the internet. That is the
    /// point for a public website, and an exposure for an admin panel, an internal API or a
    /// database proxy. New internet entry points belong in the security team's inventory.
    /// ## How to fix
    /// If it should not be public, delete it (`aws elbv2 delete-load-balancer --region <region> --load-balancer-arn <load-balancer>`
    /// or `aws elb delete-load-balancer --region <region> --load-balancer-name <load-balancer>`) and recreate it with
    /// `--scheme internal`; otherwise make sure its listeners use TLS, its security groups allow
    /// only the intended ports, and a WAF sits in front of HTTP applications. Known public load
    /// balancers can be suppressed by name.
    /// ## References
    /// - https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html
    /// - https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_CreateLoadBalancer.html
    /// - https://attack.mitre.org/techniques/T1133/
    INTERNET_FACING_LOAD_BALANCER {
        id: "elb-internet-facing-load-balancer",
        title: "Internet-facing load balancer created",
        severity: Severity::Low,
        source: "elasticloadbalancing.amazonaws.com",
        events: &["CreateLoadBalancer"],
        attack: Some("T1133"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    /// Elastic Load Balancing v2.
    name: Option<String>,
    /// Classic Load Balancer.
    load_balancer_name: Option<String>,
    scheme: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    if req.scheme.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("internal")) {
        return Ok(Vec::new());
    }
    let name = req.name.or(req.load_balancer_name).unwrap_or_default();
    let kind = req.kind.map(|k| format!("{k} load balancer")).unwrap_or_else(|| "load balancer".to_string());
    Ok(vec![
        Detection::new(
            format!("Internet-facing {kind} {name} was created"),
            Resource::new(ResourceKind::LOAD_BALANCER, &name),
        )
        .field("Load balancer", &name)
        .field("Scheme", req.scheme.unwrap_or_else(|| "internet-facing (default)".into())),
    ])
}
