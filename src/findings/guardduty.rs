//! GuardDuty's own finding format (schema 2.0): camelCase in EventBridge events and in the S3
//! export, PascalCase in `aws guardduty get-findings` output (read by lower-casing each key's
//! first letter, which is exactly the difference between the two).

use serde::Deserialize;
use serde_json::Value;

use super::{Finding, Format, Product, Seen, level_of_score};
use crate::detail::{Resource, ResourceKind};

/// A GuardDuty finding as written; only what alerts show or rules read is kept.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Gd {
    account_id: String,
    region: String,
    partition: String,
    arn: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    title: String,
    description: String,
    severity: Option<Score>,
    created_at: String,
    updated_at: String,
    resource: GdResource,
    service: GdService,
}

/// GuardDuty's score: a number (a numeric string is taken too).
#[derive(Deserialize)]
#[serde(untagged)]
enum Score {
    Number(f64),
    Text(String),
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct GdService {
    action: Option<Action>,
    additional_info: Option<Value>,
    event_first_seen: String,
    event_last_seen: String,
    archived: Option<bool>,
    count: Option<u64>,
    runtime_details: Option<RuntimeDetails>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RuntimeDetails {
    process: Option<Process>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Process {
    name: Option<String>,
    executable_path: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Action {
    action_type: String,
    aws_api_call_action: Option<ApiCall>,
    network_connection_action: Option<Connection>,
    dns_request_action: Option<Dns>,
    port_probe_action: Option<PortProbe>,
    kubernetes_api_call_action: Option<KubernetesCall>,
    rds_login_attempt_action: Option<RdsLogin>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ApiCall {
    api: Option<String>,
    service_name: Option<String>,
    remote_ip_details: Option<RemoteIp>,
    user_agent: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Connection {
    connection_direction: Option<String>,
    protocol: Option<String>,
    remote_ip_details: Option<RemoteIp>,
    local_port_details: Option<Port>,
    remote_port_details: Option<Port>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Dns {
    domain: Option<String>,
    protocol: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct PortProbe {
    port_probe_details: Vec<ProbeDetail>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ProbeDetail {
    local_port_details: Option<Port>,
    remote_ip_details: Option<RemoteIp>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct KubernetesCall {
    request_uri: Option<String>,
    verb: Option<String>,
    remote_ip_details: Option<RemoteIp>,
    user_agent: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RdsLogin {
    remote_ip_details: Option<RemoteIp>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Port {
    port: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RemoteIp {
    ip_address_v4: Option<String>,
    ip_address_v6: Option<String>,
    country: Option<Named>,
    city: Option<Named>,
    organization: Option<Organization>,
}

/// `{"countryName": ...}`, `{"cityName": ...}`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Named {
    country_name: Option<String>,
    city_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Organization {
    asn: Option<String>,
    asn_org: Option<String>,
    isp: Option<String>,
    org: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct GdResource {
    resource_type: String,
    instance_details: Option<Instance>,
    access_key_details: Option<AccessKey>,
    s3_bucket_details: Vec<Bucket>,
    eks_cluster_details: Option<Cluster>,
    kubernetes_details: Option<Value>,
    ecs_cluster_details: Option<Cluster>,
    lambda_details: Option<Lambda>,
    rds_db_instance_details: Option<Rds>,
    rds_db_user_details: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Instance {
    instance_id: Option<String>,
    instance_type: Option<String>,
    instance_state: Option<String>,
    availability_zone: Option<String>,
    image_id: Option<String>,
    iam_instance_profile: Option<Profile>,
    network_interfaces: Vec<Eni>,
    tags: Vec<Tag>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Profile {
    arn: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Eni {
    network_interface_id: Option<String>,
    private_ip_address: Option<String>,
    public_ip: Option<String>,
    subnet_id: Option<String>,
    vpc_id: Option<String>,
    security_groups: Vec<Group>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Group {
    group_id: Option<String>,
    group_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Tag {
    key: String,
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct AccessKey {
    access_key_id: Option<String>,
    principal_id: Option<String>,
    user_name: Option<String>,
    user_type: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Bucket {
    arn: Option<String>,
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Cluster {
    name: Option<String>,
    arn: Option<String>,
    vpc_id: Option<String>,
    task_details: Option<Task>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Task {
    arn: Option<String>,
    definition_arn: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Lambda {
    function_name: Option<String>,
    function_arn: Option<String>,
    role: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Rds {
    db_instance_identifier: Option<String>,
    db_cluster_identifier: Option<String>,
    db_instance_arn: Option<String>,
    engine: Option<String>,
}

/// PascalCase keys (`get-findings` output) to camelCase, in place, at every depth.
pub(crate) fn camel_case_keys(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let old = std::mem::take(map);
            for (k, mut inner) in old {
                camel_case_keys(&mut inner);
                let mut chars = k.chars();
                let key = match chars.next() {
                    Some(c) if c.is_ascii_uppercase() => c.to_ascii_lowercase().to_string() + chars.as_str(),
                    _ => k,
                };
                map.insert(key, inner);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(camel_case_keys),
        _ => {}
    }
}

/// Reads one GuardDuty finding (either case). `Err` names the field at fault.
pub fn from_value(mut v: Value) -> Result<Finding, String> {
    if v.get("Arn").is_some() || v.get("SchemaVersion").is_some() {
        camel_case_keys(&mut v);
    }
    let gd: Gd = serde_path_to_error::deserialize(v).map_err(|e| format!("field `{}`: {}", e.path(), e.inner()))?;
    let arn = gd.arn.filter(|a| !a.is_empty()).ok_or("field `arn`: missing (every finding has its ARN)")?;
    let kind = gd.kind.filter(|t| !t.is_empty()).ok_or("field `type`: missing")?;
    let score = match gd.severity {
        Some(Score::Number(n)) => n,
        Some(Score::Text(t)) => {
            t.trim().parse::<f64>().map_err(|_| format!("field `severity`: `{t}` is not a number"))?
        }
        None => return Err("field `severity`: missing".into()),
    };
    if !(0.0..=10.0).contains(&score) {
        return Err(format!("field `severity`: {score} is outside GuardDuty's 1.0-10.0"));
    }
    let service = gd.service;
    let sample = service.additional_info.as_ref().is_some_and(marks_sample);
    let (resource, resource_fields) = resource(&gd.resource, &gd.account_id);
    let mut seen = service.action.map(seen).unwrap_or_default();
    if let Some(p) = service.runtime_details.and_then(|r| r.process) {
        seen.process = p.executable_path.or(p.name).filter(|s| !s.is_empty());
    }
    Ok(Finding {
        id: arn,
        format: Format::GuardDuty,
        product: Product::GuardDuty,
        product_name: "GuardDuty".to_string(),
        product_arn: None,
        finding_type: kind,
        title: gd.title,
        description: gd.description,
        score: Some(score),
        level: level_of_score(score),
        account_id: gd.account_id,
        region: gd.region,
        partition: gd.partition,
        created_at: gd.created_at,
        updated_at: gd.updated_at,
        first_seen: service.event_first_seen,
        last_seen: service.event_last_seen,
        count: service.count.unwrap_or(1),
        sample,
        archived: service.archived.unwrap_or(false),
        workflow: None,
        record_state: None,
        control_id: None,
        compliance_status: None,
        resource_type: gd.resource.resource_type,
        resource,
        resource_fields,
        seen,
        vulnerabilities: Vec::new(),
        custom_action: None,
    })
}

/// GuardDuty's sample marker: `"sample": true` inside the JSON string `value` (today), or a
/// boolean `sample` beside it (older findings). Either key case; a string "true" counts.
fn marks_sample(info: &Value) -> bool {
    let truthy = |v: &Value| v.as_bool() == Some(true) || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"));
    if info.get("sample").is_some_and(truthy) {
        return true;
    }
    info.get("value")
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .is_some_and(|inner| inner.get("sample").is_some_and(truthy))
}

fn remote(seen: &mut Seen, ip: Option<RemoteIp>) {
    let Some(ip) = ip else { return };
    seen.remote_ip = ip.ip_address_v4.or(ip.ip_address_v6).filter(|s| !s.is_empty());
    seen.country = ip.country.and_then(|c| c.country_name).filter(|s| !s.is_empty());
    seen.city = ip.city.and_then(|c| c.city_name).filter(|s| !s.is_empty());
    seen.organization = ip.organization.and_then(|o| {
        let name = o.asn_org.or(o.org).or(o.isp).filter(|s| !s.is_empty())?;
        Some(match o.asn.filter(|a| !a.is_empty() && a != "0") {
            Some(asn) => format!("{name}, AS{asn}"),
            None => name,
        })
    });
}

/// What a GuardDuty-shaped `action` object (camelCase) saw; nothing when it is not one.
pub(crate) fn seen_of(action: Value) -> Seen {
    serde_json::from_value::<Action>(action).map(seen).unwrap_or_default()
}

fn seen(action: Action) -> Seen {
    let mut out = Seen { action: action.action_type, ..Seen::default() };
    if let Some(call) = action.aws_api_call_action {
        out.api = call.api;
        out.service = call.service_name;
        out.user_agent = call.user_agent;
        remote(&mut out, call.remote_ip_details);
    }
    if let Some(c) = action.network_connection_action {
        out.direction = c.connection_direction;
        out.protocol = c.protocol;
        out.local_port = c.local_port_details.and_then(|p| p.port);
        out.remote_port = c.remote_port_details.and_then(|p| p.port);
        remote(&mut out, c.remote_ip_details);
    }
    if let Some(d) = action.dns_request_action {
        out.domain = d.domain;
        out.protocol = d.protocol;
    }
    if let Some(probe) = action.port_probe_action
        && let Some(first) = probe.port_probe_details.into_iter().next()
    {
        out.local_port = first.local_port_details.and_then(|p| p.port);
        remote(&mut out, first.remote_ip_details);
    }
    if let Some(k) = action.kubernetes_api_call_action {
        out.api = match (k.verb, k.request_uri) {
            (Some(verb), Some(uri)) => Some(format!("{verb} {uri}")),
            (verb, uri) => verb.or(uri),
        };
        out.user_agent = k.user_agent;
        remote(&mut out, k.remote_ip_details);
    }
    if let Some(r) = action.rds_login_attempt_action {
        remote(&mut out, r.remote_ip_details);
    }
    out
}

fn push(fields: &mut Vec<(String, String)>, label: &str, value: Option<String>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        fields.push((label.to_string(), v));
    }
}

fn joined<T>(items: &[T], f: impl Fn(&T) -> Option<String>) -> Option<String> {
    let parts: Vec<String> = items.iter().filter_map(f).filter(|s| !s.is_empty()).collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// `resource`, with its ARN when the finding gives one.
fn resource_with(resource: Resource, arn: Option<String>) -> Resource {
    match arn {
        Some(arn) => resource.with_arn(arn),
        None => resource,
    }
}

/// The resource hit and what the finding says of it.
fn resource(r: &GdResource, account: &str) -> (Resource, Vec<(String, String)>) {
    let mut fields = Vec::new();
    let unknown = || Resource::new(ResourceKind::ACCOUNT, account.to_string());
    let resource = match r.resource_type.as_str() {
        "Instance" | "EC2Instance" => {
            let Some(i) = &r.instance_details else { return (unknown(), fields) };
            let name = i.tags.iter().find(|t| t.key == "Name").map(|t| t.value.clone());
            push(&mut fields, "Name", name);
            push(&mut fields, "Instance type", i.instance_type.clone());
            push(&mut fields, "State", i.instance_state.clone());
            push(&mut fields, "Availability zone", i.availability_zone.clone());
            push(&mut fields, "Image", i.image_id.clone());
            push(&mut fields, "Instance profile", i.iam_instance_profile.as_ref().and_then(|p| p.arn.clone()));
            let enis = &i.network_interfaces;
            push(&mut fields, "Network interfaces", joined(enis, |e| e.network_interface_id.clone()));
            push(&mut fields, "Private IPs", joined(enis, |e| e.private_ip_address.clone()));
            push(&mut fields, "Public IPs", joined(enis, |e| e.public_ip.clone()));
            let groups: Vec<&Group> = enis.iter().flat_map(|e| &e.security_groups).collect();
            push(
                &mut fields,
                "Security groups",
                joined(&groups, |g| match (&g.group_id, &g.group_name) {
                    (Some(id), Some(name)) if !name.is_empty() => Some(format!("{id} ({name})")),
                    (id, _) => id.clone(),
                }),
            );
            push(&mut fields, "VPC", joined(enis, |e| e.vpc_id.clone()));
            push(&mut fields, "Subnet", joined(enis, |e| e.subnet_id.clone()));
            Resource::new(ResourceKind::EC2_INSTANCE, i.instance_id.clone().unwrap_or_default())
        }
        "AccessKey" => {
            let Some(k) = &r.access_key_details else { return (unknown(), fields) };
            push(&mut fields, "User", k.user_name.clone());
            push(&mut fields, "User type", k.user_type.clone());
            push(&mut fields, "Principal id", k.principal_id.clone());
            Resource::new(ResourceKind::IAM_ACCESS_KEY, k.access_key_id.clone().unwrap_or_default())
        }
        "S3Bucket" | "S3Object" => {
            let Some(first) = r.s3_bucket_details.first() else { return (unknown(), fields) };
            push(&mut fields, "Buckets", joined(&r.s3_bucket_details, |b| b.name.clone()));
            push(&mut fields, "Bucket type", first.kind.clone());
            resource_with(
                Resource::new(ResourceKind::S3_BUCKET, first.name.clone().unwrap_or_default()),
                first.arn.clone(),
            )
        }
        "EKSCluster" | "KubernetesCluster" => {
            let c = r.eks_cluster_details.as_ref();
            push(&mut fields, "VPC", c.and_then(|c| c.vpc_id.clone()));
            if let Some(k) = &r.kubernetes_details {
                let user = k.pointer("/kubernetesUserDetails/username").and_then(Value::as_str);
                push(&mut fields, "Kubernetes user", user.map(str::to_string));
                let w = |f: &str| k.pointer(&format!("/kubernetesWorkloadDetails/{f}")).and_then(Value::as_str);
                let workload = match (w("namespace"), w("name")) {
                    (Some(ns), Some(name)) => Some(format!("{ns}/{name}")),
                    (_, name) => name.map(str::to_string),
                };
                push(&mut fields, "Workload", workload);
            }
            resource_with(
                Resource::new(ResourceKind::EKS_CLUSTER, c.and_then(|c| c.name.clone()).unwrap_or_default()),
                c.and_then(|c| c.arn.clone()),
            )
        }
        "ECSCluster" | "Container" => {
            let c = r.ecs_cluster_details.as_ref();
            push(&mut fields, "Task", c.and_then(|c| c.task_details.as_ref()).and_then(|t| t.arn.clone()));
            push(
                &mut fields,
                "Task definition",
                c.and_then(|c| c.task_details.as_ref()).and_then(|t| t.definition_arn.clone()),
            );
            resource_with(
                Resource::new(ResourceKind::ECS_CLUSTER, c.and_then(|c| c.name.clone()).unwrap_or_default()),
                c.and_then(|c| c.arn.clone()),
            )
        }
        "Lambda" => {
            let l = r.lambda_details.as_ref();
            push(&mut fields, "Role", l.and_then(|l| l.role.clone()));
            resource_with(
                Resource::new(
                    ResourceKind::LAMBDA_FUNCTION,
                    l.and_then(|l| l.function_name.clone()).unwrap_or_default(),
                ),
                l.and_then(|l| l.function_arn.clone()),
            )
        }
        "RDSDBInstance" | "RDSLimitlessDB" => {
            let d = r.rds_db_instance_details.as_ref();
            push(&mut fields, "Engine", d.and_then(|d| d.engine.clone()));
            push(&mut fields, "Cluster", d.and_then(|d| d.db_cluster_identifier.clone()));
            if let Some(u) = &r.rds_db_user_details {
                push(&mut fields, "Database user", u.get("user").and_then(Value::as_str).map(str::to_string));
            }
            resource_with(
                Resource::new(
                    ResourceKind::RDS_INSTANCE,
                    d.and_then(|d| d.db_instance_identifier.clone()).unwrap_or_default(),
                ),
                d.and_then(|d| d.db_instance_arn.clone()),
            )
        }
        _ => {
            // Another type: name what the finding gives, most specific first.
            if let Some(k) = &r.access_key_details {
                push(&mut fields, "User", k.user_name.clone());
            }
            unknown()
        }
    };
    (resource, fields)
}
