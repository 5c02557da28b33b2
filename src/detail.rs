//! The alert record and the pieces a rule fills in: data only. Joining a rule's [`Detection`]
//! with the input it was made from is the engine's job ([`crate::engine`]), so this module
//! depends on nothing else in the crate.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How urgent an alert is, lowest first (so severities compare and sort).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] =
        [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    /// Upper-case label, as in a subject line: `HIGH`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// Lower-case name, as serialized: `high`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown severity `{s}` (expected info, low, medium, high or critical)"))
    }
}

/// What kind of resource an alert is about: one of the named constants, so that two rules
/// never spell one kind two ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceKind(pub &'static str);

impl ResourceKind {
    pub const ACCESS_ANALYZER: ResourceKind = ResourceKind("access-analyzer");
    pub const ACCOUNT: ResourceKind = ResourceKind("account");
    pub const AMI: ResourceKind = ResourceKind("ami");
    /// A resource a finding names by a type trailwarden has no kind for (its id is the ARN).
    pub const AWS_RESOURCE: ResourceKind = ResourceKind("aws-resource");
    pub const BACKUP_PLAN: ResourceKind = ResourceKind("backup-plan");
    pub const BACKUP_RECOVERY_POINT: ResourceKind = ResourceKind("backup-recovery-point");
    pub const BACKUP_VAULT: ResourceKind = ResourceKind("backup-vault");
    pub const BEDROCK_GUARDRAIL: ResourceKind = ResourceKind("bedrock-guardrail");
    pub const BEDROCK_MODEL: ResourceKind = ResourceKind("bedrock-model");
    pub const CLOUDWATCH_ALARM: ResourceKind = ResourceKind("cloudwatch-alarm");
    pub const CODEBUILD_PROJECT: ResourceKind = ResourceKind("codebuild-project");
    pub const CONFIG_DELIVERY_CHANNEL: ResourceKind = ResourceKind("config-delivery-channel");
    pub const CONFIG_RECORDER: ResourceKind = ResourceKind("config-recorder");
    pub const CONFIG_RULE: ResourceKind = ResourceKind("config-rule");
    pub const EBS_SNAPSHOT: ResourceKind = ResourceKind("ebs-snapshot");
    pub const EC2_INSTANCE: ResourceKind = ResourceKind("ec2-instance");
    pub const ECR_IMAGE: ResourceKind = ResourceKind("ecr-image");
    pub const ECR_REPOSITORY: ResourceKind = ResourceKind("ecr-repository");
    pub const ECS_CLUSTER: ResourceKind = ResourceKind("ecs-cluster");
    pub const EFS_FILE_SYSTEM: ResourceKind = ResourceKind("efs-file-system");
    pub const EKS_CLUSTER: ResourceKind = ResourceKind("eks-cluster");
    pub const ELASTIC_IP: ResourceKind = ResourceKind("elastic-ip");
    pub const EVENTBRIDGE_RULE: ResourceKind = ResourceKind("eventbridge-rule");
    pub const FLOW_LOG: ResourceKind = ResourceKind("flow-log");
    pub const GLACIER_VAULT: ResourceKind = ResourceKind("glacier-vault");
    pub const GUARDDUTY_DETECTOR: ResourceKind = ResourceKind("guardduty-detector");
    pub const IAM_ACCESS_KEY: ResourceKind = ResourceKind("iam-access-key");
    pub const IAM_GROUP: ResourceKind = ResourceKind("iam-group");
    pub const IAM_POLICY: ResourceKind = ResourceKind("iam-policy");
    pub const IAM_ROLE: ResourceKind = ResourceKind("iam-role");
    pub const IAM_USER: ResourceKind = ResourceKind("iam-user");
    pub const IDENTITY_PROVIDER: ResourceKind = ResourceKind("identity-provider");
    pub const INSTANCE_PROFILE_ASSOCIATION: ResourceKind = ResourceKind("instance-profile-association");
    pub const INTERNET_GATEWAY: ResourceKind = ResourceKind("internet-gateway");
    pub const KMS_ALIAS: ResourceKind = ResourceKind("kms-alias");
    pub const KMS_KEY: ResourceKind = ResourceKind("kms-key");
    pub const LAMBDA_FUNCTION: ResourceKind = ResourceKind("lambda-function");
    pub const LOAD_BALANCER: ResourceKind = ResourceKind("load-balancer");
    pub const LOG_GROUP: ResourceKind = ResourceKind("log-group");
    pub const NAT_GATEWAY: ResourceKind = ResourceKind("nat-gateway");
    pub const NETWORK_ACL: ResourceKind = ResourceKind("network-acl");
    pub const NETWORK_INTERFACE: ResourceKind = ResourceKind("network-interface");
    pub const OPENSEARCH_DOMAIN: ResourceKind = ResourceKind("opensearch-domain");
    pub const ORGANIZATION_POLICY: ResourceKind = ResourceKind("organization-policy");
    pub const RDS_CLUSTER: ResourceKind = ResourceKind("rds-cluster");
    pub const RDS_CLUSTER_SNAPSHOT: ResourceKind = ResourceKind("rds-cluster-snapshot");
    pub const RDS_INSTANCE: ResourceKind = ResourceKind("rds-instance");
    pub const RDS_SNAPSHOT: ResourceKind = ResourceKind("rds-snapshot");
    pub const RESOLVER_QUERY_LOG_CONFIG: ResourceKind = ResourceKind("resolver-query-log-config");
    pub const ROLES_ANYWHERE_PROFILE: ResourceKind = ResourceKind("roles-anywhere-profile");
    pub const ROLES_ANYWHERE_TRUST_ANCHOR: ResourceKind = ResourceKind("roles-anywhere-trust-anchor");
    pub const ROOT_USER: ResourceKind = ResourceKind("root-user");
    pub const ROUTE53_HOSTED_ZONE: ResourceKind = ResourceKind("route53-hosted-zone");
    pub const ROUTE_TABLE: ResourceKind = ResourceKind("route-table");
    pub const S3_BUCKET: ResourceKind = ResourceKind("s3-bucket");
    pub const SAGEMAKER_LIFECYCLE_CONFIG: ResourceKind = ResourceKind("sagemaker-lifecycle-config");
    pub const SECRET: ResourceKind = ResourceKind("secret");
    pub const SECURITYHUB_FINDING: ResourceKind = ResourceKind("securityhub-finding");
    pub const SECURITYHUB_INSIGHT: ResourceKind = ResourceKind("securityhub-insight");
    pub const SECURITY_GROUP: ResourceKind = ResourceKind("security-group");
    pub const SNS_TOPIC: ResourceKind = ResourceKind("sns-topic");
    pub const SQS_QUEUE: ResourceKind = ResourceKind("sqs-queue");
    pub const SSM_COMMAND: ResourceKind = ResourceKind("ssm-command");
    pub const SUBNET: ResourceKind = ResourceKind("subnet");
    pub const TRAFFIC_MIRROR: ResourceKind = ResourceKind("traffic-mirror");
    pub const TRAIL: ResourceKind = ResourceKind("trail");
    pub const VPC: ResourceKind = ResourceKind("vpc");
    pub const VPC_ENDPOINT: ResourceKind = ResourceKind("vpc-endpoint");
    pub const VPC_PEERING_CONNECTION: ResourceKind = ResourceKind("vpc-peering-connection");

    /// The kind's name as serialized: `security-group`.
    pub fn name(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl PartialEq<ResourceKind> for String {
    fn eq(&self, other: &ResourceKind) -> bool {
        self == other.0
    }
}

impl PartialEq<ResourceKind> for str {
    fn eq(&self, other: &ResourceKind) -> bool {
        self == other.0
    }
}

/// The AWS resource an alert is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// What it is, in a few words: `security-group`, `ebs-snapshot`, `trail`.
    pub kind: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

impl Resource {
    pub fn new(kind: ResourceKind, id: impl Into<String>) -> Self {
        Resource { kind: kind.0.to_string(), id: id.into(), arn: None }
    }

    pub fn with_arn(mut self, arn: impl Into<String>) -> Self {
        self.arn = Some(arn.into());
        self
    }
}

/// Who made the call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(rename = "type")]
    pub kind: String,
    pub arn: String,
    pub name: String,
    /// The service that made the call with the actor's rights because the actor asked
    /// (`cloudformation.amazonaws.com`): the alert says "through CloudFormation". Absent when
    /// the actor called AWS directly (or through the console, which is the actor acting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoked_by: Option<String>,
}

/// What a rule detected in one event; the engine adds the event and the rule's metadata to make
/// an [`EventDetail`]. (Not to be confused with a GuardDuty or Security Hub *finding*, which is
/// an input.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// One sentence naming the change: `sg-0a1b opened tcp/22 to 0.0.0.0/0`.
    pub summary: String,
    pub resource: Resource,
    /// Rule-specific facts shown in the alert's resource table, in order.
    pub fields: Vec<(String, String)>,
    /// Overrides the rule's severity for this finding (e.g. SSH open is worse than a high port).
    pub severity: Option<Severity>,
    /// Named ids of what was changed (`group-id`, `ip-permissions`, `snapshot-id`, `trail`),
    /// exactly as the call gave them: they fill the `<name>` holes of the rule's "How to fix"
    /// commands (after a shell-safety check) and tell the responder what to undo.
    pub params: Vec<(String, String)>,
}

impl Detection {
    pub fn new(summary: impl Into<String>, resource: Resource) -> Self {
        Detection { summary: summary.into(), resource, fields: Vec::new(), severity: None, params: Vec::new() }
    }

    /// Names an id of what was changed: `param("snapshot-id", id)` fills `<snapshot-id>` in the
    /// rule's "How to fix" command.
    pub fn param(mut self, name: &str, value: impl Into<String>) -> Self {
        self.params.push((name.to_string(), value.into()));
        self
    }

    pub fn field(mut self, label: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.push((label.into(), value.into()));
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }
}

/// Where an alert came from, beyond the common core every alert has. CloudTrail records are the
/// default and add nothing to the JSON (their fields are the core's); other inputs add their own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "input", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Origin {
    /// A CloudTrail record: `event_*` are its `eventID`, `eventName`, `eventSource`, `eventTime`.
    #[default]
    CloudTrail,
    /// A GuardDuty or Security Hub finding: `event_id` is the finding's ARN, `event_name` its
    /// type, `event_source` the product (as the finding names it), `event_time` when it was last
    /// updated.
    Finding(Box<FindingOrigin>),
}

/// What an incoming finding adds to an alert made from it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingOrigin {
    /// The product as the finding names it: `GuardDuty`, `Security Hub`, `Inspector`, `Macie`,
    /// `IAM Access Analyzer`, ...
    pub product: String,
    /// The format it came in: `guard_duty` or `asff`.
    pub format: String,
    /// The finding's own title and description, as the product wrote them.
    pub finding_title: String,
    pub description: String,
    /// GuardDuty's score, as written (`8.0`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<String>,
    /// The finding's own severity level (the alert's may differ by an override).
    pub level: Severity,
    pub count: u64,
    pub first_seen: String,
    pub last_seen: String,
    /// What was seen, in a line: `DNS request for evil.example from ...`.
    pub seen: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// ASFF's product ARN (with the id, what Security Hub's `BatchUpdateFindings` takes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_arn: Option<String>,
    /// The finding's page in the GuardDuty or Security Hub console, built from the checked
    /// region and ARN (never from the finding's own `SourceUrl`); `None` when they do not check out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console_url: Option<String>,
    /// The Security Hub custom action a person chose, when one brought the finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_action: Option<String>,
}

impl Origin {
    pub fn is_cloudtrail(&self) -> bool {
        matches!(self, Origin::CloudTrail)
    }

    /// What a finding adds, when the alert was made from one.
    pub fn finding(&self) -> Option<&FindingOrigin> {
        match self {
            Origin::Finding(f) => Some(f),
            Origin::CloudTrail => None,
        }
    }
}

/// One alert: a rule's detection in one input event, with everything needed to act on it.
/// Field names are a stable contract (JSON lines output, templates, library callers).
///
/// The fields are a core every input has (what happened, where, when, who, to what) plus
/// [`Origin`], what the input adds. For a CloudTrail record the core is the record's own fields.
/// What comes from the rule itself (id, title, references, a "How to fix" without holes) is
/// borrowed from it rather than copied into every alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDetail {
    pub rule_id: Cow<'static, str>,
    pub severity: Severity,
    pub title: Cow<'static, str>,
    pub summary: String,
    pub resource: Resource,
    /// The input's unique id: the CloudTrail `eventID`, or the finding's ARN.
    pub event_id: String,
    /// What happened: the CloudTrail `eventName`.
    pub event_name: String,
    /// Who reported it: the CloudTrail `eventSource`.
    pub event_source: String,
    pub event_time: String,
    pub account_id: String,
    pub region: String,
    pub source_ip: String,
    pub user_agent: String,
    pub actor: Actor,
    pub fields: Vec<(String, String)>,
    pub remediation: Cow<'static, str>,
    pub references: Cow<'static, [String]>,
    #[serde(default, skip_serializing_if = "Origin::is_cloudtrail")]
    pub origin: Origin,
    /// Named ids of what was changed, as the rule read them from the input (see
    /// [`Detection::params`]): what the responder undoes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// What the responder did or would do about this alert, one step per action (filled by the
    /// responder before the alert is sent; empty when no action applies or responding is off).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response: Vec<ResponseStep>,
}

/// How one response action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Planned, not applied: `respond = "plan"`, the action is not in `respond_actions`, the
    /// alert is below `respond_min_severity`, or the budget is spent (the note says which).
    WouldDo,
    Applied,
    /// Not needed or not possible, with the reason (already done, resource gone, protected).
    Skipped,
    /// AWS refused or failed; the note carries its error.
    Failed,
}

impl StepStatus {
    /// As the email shows it: `would do`, `applied`, `skipped`, `failed`.
    pub fn label(self) -> &'static str {
        match self {
            StepStatus::WouldDo => "would do",
            StepStatus::Applied => "applied",
            StepStatus::Skipped => "skipped",
            StepStatus::Failed => "failed",
        }
    }
}

/// One response action's outcome, with what it changed and how to undo it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseStep {
    /// The action's id, a contract: `ec2-isolate`, `iam-deactivate-access-key`, ...
    pub action: String,
    /// What it acts on: the instance id, the access key id, the role or user name, the bucket,
    /// the trail, the group, the snapshot or image.
    pub resource: String,
    pub status: StepStatus,
    /// Why it was skipped or not applied, the AWS error of a failure, or what was done.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// The state before and after (an ENI's groups, a key's status), when the action read it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub before: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub after: String,
    /// The commands that undo it, built from checked ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undo: Vec<String>,
}
