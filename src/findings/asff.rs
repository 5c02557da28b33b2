//! The AWS Security Finding Format (ASFF, PascalCase): Security Hub's findings, from any product.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::{Finding, Format, Product, Seen, level_of_label, level_of_score};
use crate::detail::{Resource, ResourceKind, Severity};

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Asff {
    id: Option<String>,
    product_arn: Option<String>,
    product_name: String,
    generator_id: String,
    aws_account_id: String,
    region: String,
    types: Vec<String>,
    first_observed_at: String,
    last_observed_at: String,
    created_at: String,
    updated_at: String,
    severity: Option<AsffSeverity>,
    title: String,
    description: String,
    product_fields: BTreeMap<String, Value>,
    resources: Vec<AsffResource>,
    compliance: Option<Compliance>,
    workflow: Option<Workflow>,
    workflow_state: Option<String>,
    record_state: Option<String>,
    sample: Option<bool>,
    action: Option<Value>,
    network: Option<Network>,
    vulnerabilities: Vec<Vulnerability>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct AsffSeverity {
    label: Option<String>,
    normalized: Option<f64>,
    product: Option<f64>,
    original: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct AsffResource {
    #[serde(rename = "Type")]
    kind: String,
    id: String,
    partition: Option<String>,
    tags: BTreeMap<String, String>,
    details: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Compliance {
    status: Option<String>,
    security_control_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Workflow {
    status: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Network {
    direction: Option<String>,
    protocol: Option<String>,
    source_ip_v4: Option<String>,
    destination_port: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Vulnerability {
    id: Option<String>,
}

/// GuardDuty's finding type inside ASFF `Types`: `TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS`
/// carries `Backdoor:EC2/C&CActivity.B!DNS` (Security Hub writes the `/` as `-`; GuardDuty's
/// resource part, before it, never holds a `-`).
pub fn guardduty_type(types: &[String]) -> Option<String> {
    types.iter().find_map(|t| {
        let last = t.rsplit('/').next()?;
        let colon = last.find(':')?;
        let dash = last[colon..].find('-')? + colon;
        Some(format!("{}/{}", &last[..dash], &last[dash + 1..]))
    })
}

/// Security Hub's normalized score (0-100) as a level, for a finding without a label.
fn level_of_normalized(n: f64) -> Severity {
    match n {
        n if n >= 90.0 => Severity::Critical,
        n if n >= 70.0 => Severity::High,
        n if n >= 40.0 => Severity::Medium,
        n if n >= 1.0 => Severity::Low,
        _ => Severity::Info,
    }
}

fn product_field<'a>(fields: &'a BTreeMap<String, Value>, key: &str) -> Option<&'a str> {
    fields.get(key).and_then(Value::as_str)
}

/// Reads one ASFF finding. `Err` names the field at fault.
pub fn from_value(v: Value) -> Result<Finding, String> {
    let a: Asff = serde_path_to_error::deserialize(v).map_err(|e| format!("field `{}`: {}", e.path(), e.inner()))?;
    let id = a.id.filter(|i| !i.is_empty()).ok_or("field `Id`: missing (every ASFF finding has one)")?;
    let product_arn = a.product_arn.filter(|p| !p.is_empty()).ok_or("field `ProductArn`: missing")?;
    let product = Product::from_asff(&a.product_name, &product_arn);

    let severity = a.severity.unwrap_or_default();
    let score = severity.product.or_else(|| severity.original.as_deref().and_then(|o| o.trim().parse().ok()));
    let level = match severity.label.as_deref() {
        Some(label) => {
            level_of_label(label).ok_or_else(|| format!("field `Severity.Label`: unknown label `{label}`"))?
        }
        None => match (severity.normalized, score) {
            (Some(n), _) => level_of_normalized(n),
            (None, Some(s)) if product == Product::GuardDuty => level_of_score(s),
            _ => return Err("field `Severity`: neither `Label` nor `Normalized` is given".into()),
        },
    };
    let fields = &a.product_fields;
    let gd = |k: &str| product_field(fields, &format!("aws/guardduty/service/{k}"));
    let truthy = |v: Option<&str>| v.is_some_and(|s| s.eq_ignore_ascii_case("true"));
    let sample =
        a.sample == Some(true) || truthy(gd("additionalInfo/sample")) || truthy(product_field(fields, "sample"));
    let finding_type = match product {
        Product::GuardDuty => guardduty_type(&a.types),
        _ => None,
    }
    .or_else(|| a.types.first().cloned())
    .unwrap_or_default();
    let control_id = a
        .compliance
        .as_ref()
        .and_then(|c| c.security_control_id.clone())
        .or_else(|| product_field(fields, "ControlId").map(str::to_string))
        .or_else(|| a.generator_id.strip_prefix("security-control/").map(str::to_string));
    let mut seen = a.action.map(action).unwrap_or_default();
    if let Some(n) = a.network
        && seen.remote_ip.is_none()
    {
        seen.remote_ip = n.source_ip_v4;
        seen.direction = seen.direction.or(n.direction);
        seen.protocol = seen.protocol.or(n.protocol);
        seen.local_port = seen.local_port.or(n.destination_port);
    }
    let first = a.resources.first();
    let (resource, resource_fields) = first
        .map(resource)
        .unwrap_or_else(|| (Resource::new(ResourceKind::ACCOUNT, a.aws_account_id.clone()), Vec::new()));
    let partition = first.and_then(|r| r.partition.clone()).unwrap_or_else(|| "aws".into());
    Ok(Finding {
        id,
        format: Format::Asff,
        product,
        product_name: if a.product_name.is_empty() { product.name().to_string() } else { a.product_name },
        product_arn: Some(product_arn),
        finding_type,
        title: a.title,
        description: a.description,
        score: score.filter(|_| product == Product::GuardDuty),
        level,
        account_id: a.aws_account_id,
        region: a.region,
        partition,
        first_seen: if a.first_observed_at.is_empty() { a.created_at.clone() } else { a.first_observed_at },
        last_seen: if a.last_observed_at.is_empty() { a.updated_at.clone() } else { a.last_observed_at },
        created_at: a.created_at,
        updated_at: a.updated_at,
        count: gd("count").and_then(|c| c.parse().ok()).unwrap_or(1),
        sample,
        archived: truthy(gd("archived")),
        workflow: a.workflow.and_then(|w| w.status).or(a.workflow_state),
        record_state: a.record_state,
        control_id,
        compliance_status: a.compliance.and_then(|c| c.status),
        resource_type: first.map(|r| r.kind.clone()).unwrap_or_default(),
        resource,
        resource_fields,
        seen,
        vulnerabilities: a.vulnerabilities.into_iter().filter_map(|v| v.id).collect(),
        custom_action: None,
    })
}

/// ASFF's `Action` has GuardDuty's shape in PascalCase: read it with GuardDuty's reader.
fn action(mut v: Value) -> Seen {
    super::guardduty::camel_case_keys(&mut v);
    super::guardduty::seen_of(v)
}

/// The resource kind of an ASFF resource type, and how its id is written.
fn kind_of(asff_type: &str) -> ResourceKind {
    match asff_type {
        "AwsEc2Instance" => ResourceKind::EC2_INSTANCE,
        "AwsIamAccessKey" => ResourceKind::IAM_ACCESS_KEY,
        "AwsS3Bucket" | "AwsS3Object" => ResourceKind::S3_BUCKET,
        "AwsEksCluster" => ResourceKind::EKS_CLUSTER,
        "AwsEcsCluster" | "AwsEcsTask" | "Container" => ResourceKind::ECS_CLUSTER,
        "AwsLambdaFunction" => ResourceKind::LAMBDA_FUNCTION,
        "AwsRdsDbInstance" => ResourceKind::RDS_INSTANCE,
        "AwsRdsDbCluster" => ResourceKind::RDS_CLUSTER,
        "AwsIamUser" => ResourceKind::IAM_USER,
        "AwsIamRole" => ResourceKind::IAM_ROLE,
        "AwsEc2SecurityGroup" => ResourceKind::SECURITY_GROUP,
        "AwsEc2Vpc" => ResourceKind::VPC,
        "AwsEc2Subnet" => ResourceKind::SUBNET,
        "AwsEc2NetworkAcl" => ResourceKind::NETWORK_ACL,
        "AwsAccount" => ResourceKind::ACCOUNT,
        "AwsEcrContainerImage" => ResourceKind::ECR_IMAGE,
        "AwsEcrRepository" => ResourceKind::ECR_REPOSITORY,
        "AwsKmsKey" => ResourceKind::KMS_KEY,
        "AwsCloudTrailTrail" => ResourceKind::TRAIL,
        "AwsSnsTopic" => ResourceKind::SNS_TOPIC,
        "AwsSqsQueue" => ResourceKind::SQS_QUEUE,
        "AwsSecretsManagerSecret" => ResourceKind::SECRET,
        _ => ResourceKind::AWS_RESOURCE,
    }
}

/// The short id inside an ARN: `i-0abc` of `...:instance/i-0abc`, the bucket of
/// `arn:aws:s3:::bucket`, the function of `...:function:name`.
fn short_id(kind: ResourceKind, id: &str) -> String {
    if kind == ResourceKind::AWS_RESOURCE || !id.starts_with("arn:") {
        return id.to_string();
    }
    let resource = id.splitn(6, ':').nth(5).unwrap_or(id);
    if kind == ResourceKind::S3_BUCKET {
        return resource.split('/').next().unwrap_or(resource).to_string();
    }
    resource.rsplit(['/', ':']).next().unwrap_or(resource).to_string()
}

fn resource(r: &AsffResource) -> (Resource, Vec<(String, String)>) {
    let kind = kind_of(&r.kind);
    let mut out = Resource::new(kind, short_id(kind, &r.id));
    if r.id.starts_with("arn:") {
        out = out.with_arn(r.id.clone());
    }
    let mut fields = Vec::new();
    if let Some(name) = r.tags.get("Name").filter(|n| !n.is_empty()) {
        fields.push(("Name".to_string(), name.clone()));
    }
    if kind == ResourceKind::AWS_RESOURCE {
        fields.push(("Resource type".to_string(), r.kind.clone()));
    }
    let details = r.details.as_ref().and_then(|d| d.get(&r.kind));
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .filter_map(|i| {
                    i.as_str().map(str::to_string).or_else(|| {
                        i.get("NetworkInterfaceId")
                            .or_else(|| i.get("GroupId"))
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    })
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        _ => None,
    };
    if let Some(d) = details {
        for (key, label) in [
            ("Type", "Instance type"),
            ("ImageId", "Image"),
            ("IamInstanceProfileArn", "Instance profile"),
            ("NetworkInterfaces", "Network interfaces"),
            ("IpV4Addresses", "IP addresses"),
            ("VpcId", "VPC"),
            ("SubnetId", "Subnet"),
            ("UserName", "User"),
            ("PrincipalName", "User"),
            ("PrincipalType", "User type"),
            ("Runtime", "Runtime"),
            ("Engine", "Engine"),
        ] {
            if let Some(value) = d.get(key).and_then(text).filter(|v| !v.is_empty())
                && !fields.iter().any(|(l, _)| l == label)
            {
                fields.push((label.to_string(), value));
            }
        }
    }
    (out, fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guardduty_types_are_recovered() {
        let t = |s: &str| guardduty_type(&[s.to_string()]);
        assert_eq!(
            t("TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS").as_deref(),
            Some("Backdoor:EC2/C&CActivity.B!DNS")
        );
        assert_eq!(
            t("TTPs/Initial Access/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration.OutsideAWS").as_deref(),
            Some("UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS")
        );
        assert_eq!(t("Software and Configuration Checks/Vulnerabilities/CVE"), None);
    }

    #[test]
    fn short_ids() {
        assert_eq!(
            short_id(ResourceKind::EC2_INSTANCE, "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc"),
            "i-0abc"
        );
        assert_eq!(short_id(ResourceKind::S3_BUCKET, "arn:aws:s3:::my-bucket"), "my-bucket");
        assert_eq!(short_id(ResourceKind::LAMBDA_FUNCTION, "arn:aws:lambda:us-east-1:1:function:fn"), "fn");
        assert_eq!(short_id(ResourceKind::IAM_ACCESS_KEY, "AKIAEXAMPLE"), "AKIAEXAMPLE");
    }
}
