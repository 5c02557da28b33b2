//! The responder through the AWS SDK (feature `respond`): each planned action re-checks the
//! live state, acts, reads the state back, and reports before, after and the undo.
//!
//! It acts in the function's own account only (an alert about another account gets every step
//! skipped with that reason), in the alert's region, with clients made once per region.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, AttributeValue, EbsInstanceBlockDeviceSpecification, Filter,
    InstanceBlockDeviceMappingSpecification, IpPermission, IpRange, Ipv6Range, LaunchPermission,
    LaunchPermissionModifications, OperationType, PermissionGroup, ResourceType, SnapshotAttributeName, Tag,
    TagSpecification,
};
use tokio::sync::{Mutex, OnceCell};

use crate::detail::{ResponseStep, StepStatus};
use crate::notify::BoxFuture;
use crate::respond::action::{Action, BudgetKind};
use crate::respond::plan::{Planned, Target};
use crate::respond::settings::Settings;
use crate::respond::{Budget, Responder};

/// The tag that guards an instance against a second containment, holding the finding id.
pub const FINDING_TAG: &str = "trailwarden:finding";
/// The tag that marks a resource never to be acted on (value `true`).
pub const PROTECT_TAG: &str = "trailwarden:protect";
/// The inline policy that revokes sessions issued before a time.
pub const REVOKE_POLICY: &str = "trailwarden-revoke-older-sessions";

/// The clients of one region.
struct Clients {
    ec2: aws_sdk_ec2::Client,
    s3: aws_sdk_s3::Client,
    iam: aws_sdk_iam::Client,
    asg: aws_sdk_autoscaling::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    trail: aws_sdk_cloudtrail::Client,
    rds: aws_sdk_rds::Client,
    ssm: aws_sdk_ssm::Client,
}

/// The AWS responder: `new(sdk, own_account, settings, budget)`.
pub struct AwsResponder {
    sdk: SdkConfig,
    own_account: String,
    settings: Settings,
    budget: Arc<dyn Budget>,
    clients: Mutex<HashMap<String, Arc<OnceCell<Arc<Clients>>>>>,
    /// The moment actions are stamped with (Unix seconds); `None` is now.
    clock: Option<i64>,
}

/// The SDK error of a call, named: `CreateSnapshot: AccessDenied: ...`.
fn sdk_error<E, R>(call: &str, e: aws_sdk_ec2::error::SdkError<E, R>) -> String
where
    E: aws_sdk_ec2::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_ec2::error::ProvideErrorMetadata;
    let detail = match (e.code(), e.message()) {
        (Some(code), Some(msg)) => format!("{code}: {msg}"),
        (Some(code), None) => code.to_string(),
        _ => aws_sdk_ec2::error::DisplayErrorContext(&e).to_string(),
    };
    crate::text::one_line(&format!("{call}: {detail}"))
}

/// The outcome of one action: done with before, after and undo; skipped; or failed.
enum Done {
    Applied { note: String, before: String, after: String, undo: Vec<String> },
    Skipped(String),
}

type Outcome = Result<Done, String>;

fn applied(note: impl Into<String>, before: impl Into<String>, after: impl Into<String>, undo: Vec<String>) -> Outcome {
    Ok(Done::Applied { note: note.into(), before: before.into(), after: after.into(), undo })
}

fn skipped(why: impl Into<String>) -> Outcome {
    Ok(Done::Skipped(why.into()))
}

/// What the responder read of an instance before acting.
struct InstanceState {
    vpc: Option<String>,
    /// ENI id → its group ids.
    enis: Vec<(String, Vec<String>)>,
    /// Device name → volume id.
    volumes: Vec<(String, String)>,
    tags: HashMap<String, String>,
    record: serde_json::Value,
}

impl AwsResponder {
    pub fn new(sdk: &SdkConfig, own_account: impl Into<String>, settings: Settings, budget: Arc<dyn Budget>) -> Self {
        AwsResponder {
            sdk: sdk.clone(),
            own_account: own_account.into(),
            settings,
            budget,
            clients: Mutex::default(),
            clock: None,
        }
    }

    /// Stamps actions with this time instead of now (tests of the budget's hours).
    pub fn at_time(mut self, unix_seconds: i64) -> Self {
        self.clock = Some(unix_seconds);
        self
    }

    fn now(&self) -> i64 {
        self.clock.unwrap_or_else(|| jiff::Timestamp::now().as_second())
    }

    async fn clients(&self, region: &str) -> Arc<Clients> {
        let cell = self.clients.lock().await.entry(region.to_string()).or_default().clone();
        cell.get_or_init(|| async {
            let conf = self.sdk.to_builder().region(aws_config::Region::new(region.to_string())).build();
            let s3 = aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build();
            Arc::new(Clients {
                ec2: aws_sdk_ec2::Client::new(&conf),
                s3: aws_sdk_s3::Client::from_conf(s3),
                iam: aws_sdk_iam::Client::new(&conf),
                asg: aws_sdk_autoscaling::Client::new(&conf),
                elb: aws_sdk_elasticloadbalancingv2::Client::new(&conf),
                trail: aws_sdk_cloudtrail::Client::new(&conf),
                rds: aws_sdk_rds::Client::new(&conf),
                ssm: aws_sdk_ssm::Client::new(&conf),
            })
        })
        .await
        .clone()
    }

    /// Applies the actions planned for one alert (see [`Responder::apply`]).
    async fn apply_all(&self, planned: &[Planned]) -> Vec<ResponseStep> {
        let Some(first) = planned.first() else { return Vec::new() };
        let all = |status: StepStatus, why: &str| planned.iter().map(|p| p.step(status, why)).collect::<Vec<_>>();
        if first.account_id != self.own_account {
            return all(
                StepStatus::Skipped,
                &format!(
                    "the resource is in account {}; the responder acts in its own account ({}) only",
                    crate::text::one_line(&first.account_id),
                    self.own_account
                ),
            );
        }
        if !crate::text::valid_region(&first.region) {
            return all(StepStatus::Skipped, "the alert names no valid region");
        }
        let c = self.clients(&first.region).await;
        // Live guards before anything is spent or changed: the resource exists, is not protected,
        // and (for an instance) was not contained for this finding already.
        let mut instance = None;
        if let Target::Instance(id) = &first.target {
            match describe_instance(&c.ec2, id).await {
                Err(e) => return all(StepStatus::Failed, &e),
                Ok(None) => return all(StepStatus::Skipped, "the instance no longer exists or is terminated"),
                Ok(Some(state)) => {
                    if state.tags.get(PROTECT_TAG).is_some_and(|v| v.eq_ignore_ascii_case("true")) {
                        return all(StepStatus::Skipped, "protected: the instance is tagged trailwarden:protect=true");
                    }
                    if state.tags.get(FINDING_TAG).is_some_and(|v| v.starts_with(&first.finding_id)) {
                        return all(
                            StepStatus::Skipped,
                            "already contained for this finding (the trailwarden:finding tag)",
                        );
                    }
                    instance = Some(state);
                }
            }
        } else if let Some(why) = self.protected(&c, &first.target).await {
            return all(StepStatus::Skipped, &why);
        }
        // The destructive budget, taken once per kind this alert needs; it fails closed.
        let kinds: BTreeSet<BudgetKind> = planned.iter().filter_map(|p| p.kind.budget()).collect();
        for kind in kinds {
            let limit = self.settings.budget.of(kind);
            match self.budget.take(kind, limit, self.now()).await {
                Ok(true) => {}
                Ok(false) => {
                    let why = format!(
                        "the hourly budget of {limit} {} is spent: nothing was applied (respond_budget)",
                        kind.name()
                    );
                    return all(StepStatus::WouldDo, &why);
                }
                Err(e) => {
                    let why = format!("the budget could not be checked, so nothing was applied: {e}");
                    return all(StepStatus::WouldDo, &crate::text::one_line(&why));
                }
            }
        }
        let mut steps = Vec::with_capacity(planned.len());
        for p in planned {
            let outcome = match (&p.target, &instance) {
                (Target::Instance(id), Some(state)) => self.on_instance(&c, p, id, state).await,
                (target, _) => self.other(&c, p, target).await,
            };
            steps.push(match outcome {
                Ok(Done::Applied { note, before, after, undo }) => {
                    ResponseStep { before, after, undo, ..p.step(StepStatus::Applied, note) }
                }
                Ok(Done::Skipped(why)) => p.step(StepStatus::Skipped, why),
                Err(e) => {
                    tracing::warn!(action = p.action, resource = %p.resource, error = %e, "response action failed");
                    p.step(StepStatus::Failed, e)
                }
            });
        }
        steps
    }

    /// Why a non-instance resource must not be touched (its protect tag, read live), if so.
    async fn protected(&self, c: &Clients, target: &Target) -> Option<String> {
        let tagged =
            |tags: Vec<(String, String)>| tags.iter().any(|(k, v)| k == PROTECT_TAG && v.eq_ignore_ascii_case("true"));
        let (what, tags) = match target {
            Target::Bucket(b) => {
                let tags = match c.s3.get_bucket_tagging().bucket(b).send().await {
                    Ok(out) => out.tag_set().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect(),
                    Err(_) => Vec::new(),
                };
                ("bucket", tags)
            }
            Target::AccessKey { user, .. } | Target::User(user) => {
                let tags = match c.iam.list_user_tags().user_name(user).send().await {
                    Ok(out) => out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect(),
                    Err(_) => Vec::new(),
                };
                ("user", tags)
            }
            Target::Role(role) => {
                let tags = match c.iam.list_role_tags().role_name(role).send().await {
                    Ok(out) => out.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect(),
                    Err(_) => Vec::new(),
                };
                ("role", tags)
            }
            _ => return None,
        };
        tagged(tags).then(|| format!("protected: the {what} is tagged trailwarden:protect=true"))
    }

    /// The evidence key prefix for an instance and finding: `trailwarden/<account>/<region>/<instance>/<time>`.
    fn evidence_prefix(&self, p: &Planned, instance: &str) -> String {
        let when = jiff::Timestamp::from_second(self.now()).map(|t| t.strftime("%Y%m%dT%H%M%SZ").to_string());
        format!("trailwarden/{}/{}/{instance}/{}", p.account_id, p.region, when.unwrap_or_default())
    }

    async fn on_instance(&self, c: &Clients, p: &Planned, id: &str, state: &InstanceState) -> Outcome {
        let ec2 = &c.ec2;
        let groups_text = |enis: &[(String, Vec<String>)]| {
            enis.iter().map(|(eni, g)| format!("{eni}: {}", g.join(" "))).collect::<Vec<_>>().join("; ")
        };
        match p.kind {
            Action::Ec2Tag => {
                let when = jiff::Timestamp::from_second(self.now()).map(|t| t.to_string()).unwrap_or_default();
                let previous = groups_text(&state.enis);
                let tags = [
                    (FINDING_TAG, format!("{} {when}", p.finding_id)),
                    ("trailwarden:previous-groups", previous.clone()),
                ];
                let mut call = ec2.create_tags().resources(id);
                for (k, v) in &tags {
                    // Tag values hold at most 256 characters.
                    call = call.tags(Tag::builder().key(*k).value(v.chars().take(256).collect::<String>()).build());
                }
                call.send().await.map_err(|e| sdk_error("CreateTags", e))?;
                applied(
                    format!("tagged with the finding and each ENI's groups ({previous})"),
                    "",
                    format!("{FINDING_TAG} = {}", p.finding_id),
                    vec![format!(
                        "aws ec2 delete-tags --region {} --resources {id} --tags Key={FINDING_TAG} Key=trailwarden:previous-groups",
                        p.region
                    )],
                )
            }
            Action::Ec2Protect => {
                let attr = |name| ec2.describe_instance_attribute().instance_id(id).attribute(name).send();
                use aws_sdk_ec2::types::InstanceAttributeName as N;
                let term =
                    attr(N::DisableApiTermination).await.map_err(|e| sdk_error("DescribeInstanceAttribute", e))?;
                let was_protected = term.disable_api_termination().and_then(|v| v.value()).unwrap_or(false);
                let shut = attr(N::InstanceInitiatedShutdownBehavior)
                    .await
                    .map_err(|e| sdk_error("DescribeInstanceAttribute", e))?;
                let was_shutdown =
                    shut.instance_initiated_shutdown_behavior().and_then(|v| v.value()).unwrap_or("stop").to_string();
                let mut undo = Vec::new();
                // With termination allowed, protection would block ec2-terminate: leave it off.
                if !self.settings.allow_terminate && !was_protected {
                    ec2.modify_instance_attribute()
                        .instance_id(id)
                        .disable_api_termination(AttributeBooleanValue::builder().value(true).build())
                        .send()
                        .await
                        .map_err(|e| sdk_error("ModifyInstanceAttribute", e))?;
                    undo.push(format!(
                        "aws ec2 modify-instance-attribute --region {} --instance-id {id} --no-disable-api-termination",
                        p.region
                    ));
                }
                if was_shutdown != "stop" {
                    ec2.modify_instance_attribute()
                        .instance_id(id)
                        .instance_initiated_shutdown_behavior(AttributeValue::builder().value("stop").build())
                        .send()
                        .await
                        .map_err(|e| sdk_error("ModifyInstanceAttribute", e))?;
                    undo.push(format!(
                        "aws ec2 modify-instance-attribute --region {} --instance-id {id} --instance-initiated-shutdown-behavior Value=terminate",
                        p.region
                    ));
                }
                let mut kept = Vec::new();
                for (device, _) in &state.volumes {
                    ec2.modify_instance_attribute()
                        .instance_id(id)
                        .block_device_mappings(
                            InstanceBlockDeviceMappingSpecification::builder()
                                .device_name(device)
                                .ebs(
                                    EbsInstanceBlockDeviceSpecification::builder().delete_on_termination(false).build(),
                                )
                                .build(),
                        )
                        .send()
                        .await
                        .map_err(|e| sdk_error("ModifyInstanceAttribute", e))?;
                    kept.push(device.clone());
                }
                let protection = if self.settings.allow_terminate {
                    "termination protection left off (allow_terminate)"
                } else {
                    "termination protection on"
                };
                applied(
                    format!("{protection}; shutdown behaviour stop; volumes kept on termination ({})", kept.join(", ")),
                    format!(
                        "termination protection {}, shutdown behaviour {was_shutdown}",
                        if was_protected { "on" } else { "off" }
                    ),
                    format!("{protection}, shutdown behaviour stop, DeleteOnTermination off"),
                    undo,
                )
            }
            Action::Ec2Snapshot => {
                if state.volumes.is_empty() {
                    return skipped("the instance has no EBS volume");
                }
                let existing = ec2
                    .describe_snapshots()
                    .owner_ids("self")
                    .filters(Filter::builder().name(format!("tag:{FINDING_TAG}")).values(&p.finding_id).build())
                    .send()
                    .await
                    .map_err(|e| sdk_error("DescribeSnapshots", e))?;
                let done: BTreeSet<String> =
                    existing.snapshots().iter().filter_map(|s| s.volume_id().map(str::to_string)).collect();
                let mut made = Vec::new();
                for (_, volume) in state.volumes.iter().filter(|(_, v)| !done.contains(v)) {
                    let tags = TagSpecification::builder()
                        .resource_type(ResourceType::Snapshot)
                        .tags(
                            Tag::builder()
                                .key(FINDING_TAG)
                                .value(p.finding_id.chars().take(256).collect::<String>())
                                .build(),
                        )
                        .tags(Tag::builder().key("trailwarden:instance").value(id).build())
                        .build();
                    let snap = ec2
                        .create_snapshot()
                        .volume_id(volume)
                        .description(format!("trailwarden evidence: {id} {volume}"))
                        .tag_specifications(tags)
                        .send()
                        .await
                        .map_err(|e| sdk_error("CreateSnapshot", e))?;
                    made.push((volume.clone(), snap.snapshot_id().unwrap_or_default().to_string()));
                }
                if made.is_empty() {
                    return skipped("every volume already has a snapshot for this finding");
                }
                let list = made.iter().map(|(v, s)| format!("{v} → {s}")).collect::<Vec<_>>().join(", ");
                let undo = made
                    .iter()
                    .filter(|(_, s)| crate::text::aws_id("snap-", s))
                    .map(|(_, s)| format!("aws ec2 delete-snapshot --region {} --snapshot-id {s}", p.region))
                    .collect();
                applied(format!("snapshots started: {list}"), "", list, undo)
            }
            Action::Ec2CaptureMetadata => {
                let Some(bucket) = &self.settings.evidence_bucket else {
                    return skipped("no evidence_bucket is configured");
                };
                let enis: Vec<&str> = state.enis.iter().map(|(e, _)| e.as_str()).collect();
                let vols: Vec<&str> = state.volumes.iter().map(|(_, v)| v.as_str()).collect();
                let eni_out = ec2
                    .describe_network_interfaces()
                    .set_network_interface_ids(Some(enis.iter().map(|s| s.to_string()).collect()))
                    .send()
                    .await
                    .map_err(|e| sdk_error("DescribeNetworkInterfaces", e))?;
                let vol_out = ec2
                    .describe_volumes()
                    .set_volume_ids(Some(vols.iter().map(|s| s.to_string()).collect()))
                    .send()
                    .await
                    .map_err(|e| sdk_error("DescribeVolumes", e))?;
                let doc = serde_json::json!({
                    "finding_id": p.finding_id,
                    "rule_id": p.rule_id,
                    "instance": state.record,
                    "network_interfaces": eni_out.network_interfaces().iter().map(|n| serde_json::json!({
                        "id": n.network_interface_id(), "vpc": n.vpc_id(), "subnet": n.subnet_id(),
                        "private_ip": n.private_ip_address(),
                        "public_ip": n.association().and_then(|a| a.public_ip()),
                        "groups": n.groups().iter().map(|g| g.group_id()).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                    "volumes": vol_out.volumes().iter().map(|v| serde_json::json!({
                        "id": v.volume_id(), "size_gib": v.size(), "encrypted": v.encrypted(),
                        "kms_key": v.kms_key_id(), "snapshot": v.snapshot_id(),
                    })).collect::<Vec<_>>(),
                });
                let key = format!("{}/metadata.json", self.evidence_prefix(p, id));
                let body = serde_json::to_vec_pretty(&doc).unwrap_or_default();
                c.s3.put_object()
                    .bucket(bucket)
                    .key(&key)
                    .content_type("application/json")
                    .body(body.into())
                    .send()
                    .await
                    .map_err(|e| sdk_error("PutObject", e))?;
                applied(
                    format!("written to s3://{bucket}/{key}"),
                    "",
                    format!("s3://{bucket}/{key}"),
                    vec![format!("aws s3 rm s3://{bucket}/{key}")],
                )
            }
            Action::Ec2CaptureScreenshot => {
                let Some(bucket) = &self.settings.evidence_bucket else {
                    return skipped("no evidence_bucket is configured");
                };
                let shot =
                    screenshot_request(ec2, id).send().await.map_err(|e| sdk_error("GetConsoleScreenshot", e))?;
                let data = shot.image_data().unwrap_or_default();
                let bytes = aws_smithy_types::base64::decode(data)
                    .map_err(|e| format!("GetConsoleScreenshot: the image is not base64: {e}"))?;
                let key = format!("{}/screenshot.jpg", self.evidence_prefix(p, id));
                c.s3.put_object()
                    .bucket(bucket)
                    .key(&key)
                    .content_type("image/jpeg")
                    .body(bytes.into())
                    .send()
                    .await
                    .map_err(|e| sdk_error("PutObject", e))?;
                applied(
                    format!("written to s3://{bucket}/{key}"),
                    "",
                    format!("s3://{bucket}/{key}"),
                    vec![format!("aws s3 rm s3://{bucket}/{key}")],
                )
            }
            Action::Ec2CollectForensics => {
                let Some(bucket) = &self.settings.evidence_bucket else {
                    return skipped("no evidence_bucket is configured");
                };
                let Some(document) = &self.settings.forensics_document else {
                    return skipped("no forensics_document is configured");
                };
                let filter = aws_sdk_ssm::types::InstanceInformationStringFilter::builder()
                    .key("InstanceIds")
                    .values(id)
                    .build()
                    .map_err(|e| format!("DescribeInstanceInformation: {e}"))?;
                let managed = c
                    .ssm
                    .describe_instance_information()
                    .filters(filter)
                    .send()
                    .await
                    .map_err(|e| sdk_error("DescribeInstanceInformation", e))?;
                if managed.instance_information_list().is_empty() {
                    return skipped("the instance is not managed by SSM (no agent, or no instance role allowing it)");
                }
                let prefix = format!("{}/forensics", self.evidence_prefix(p, id));
                let sent = forensics_request(&c.ssm, id, document, bucket, &prefix)
                    .send()
                    .await
                    .map_err(|e| sdk_error("SendCommand", e))?;
                let command = sent.command().and_then(|c| c.command_id()).unwrap_or_default().to_string();
                applied(
                    format!("SSM document {document} sent (command {command}); output to s3://{bucket}/{prefix}/"),
                    "",
                    format!("command {command}"),
                    Vec::new(),
                )
            }
            Action::Ec2RemoveInstanceProfile => {
                let assoc = ec2
                    .describe_iam_instance_profile_associations()
                    .filters(Filter::builder().name("instance-id").values(id).build())
                    .send()
                    .await
                    .map_err(|e| sdk_error("DescribeIamInstanceProfileAssociations", e))?;
                let Some(a) = assoc
                    .iam_instance_profile_associations()
                    .iter()
                    .find(|a| a.state().is_some_and(|s| s.as_str() == "associated"))
                else {
                    return skipped("the instance has no instance profile");
                };
                let profile_arn = a.iam_instance_profile().and_then(|p| p.arn()).unwrap_or_default().to_string();
                let association = a.association_id().unwrap_or_default().to_string();
                ec2.disassociate_iam_instance_profile()
                    .association_id(&association)
                    .send()
                    .await
                    .map_err(|e| sdk_error("DisassociateIamInstanceProfile", e))?;
                let mut undo = Vec::new();
                if profile_arn.starts_with("arn:")
                    && crate::text::shell_arg(&profile_arn).as_deref() == Some(&profile_arn)
                {
                    undo.push(format!(
                        "aws ec2 associate-iam-instance-profile --region {} --instance-id {id} --iam-instance-profile Arn={profile_arn}",
                        p.region
                    ));
                }
                // Stolen instance credentials outlive the association: revoke the role's sessions.
                let profile_name = profile_arn.rsplit('/').next().unwrap_or_default().to_string();
                let mut revoked = Vec::new();
                if let Ok(out) = c.iam.get_instance_profile().instance_profile_name(&profile_name).send().await
                    && let Some(profile) = out.instance_profile()
                {
                    for role in profile.roles() {
                        let name = role.role_name().to_string();
                        c.iam
                            .put_role_policy()
                            .role_name(&name)
                            .policy_name(REVOKE_POLICY)
                            .policy_document(revoke_policy(self.now()))
                            .send()
                            .await
                            .map_err(|e| sdk_error("PutRolePolicy", e))?;
                        undo.push(format!(
                            "aws iam delete-role-policy --role-name {name} --policy-name {REVOKE_POLICY}"
                        ));
                        revoked.push(name);
                    }
                }
                applied(
                    format!("instance profile removed; sessions revoked for role(s): {}", revoked.join(", ")),
                    profile_arn,
                    "no instance profile",
                    undo,
                )
            }
            Action::Ec2DetachAsg => {
                let out = c
                    .asg
                    .describe_auto_scaling_instances()
                    .instance_ids(id)
                    .send()
                    .await
                    .map_err(|e| sdk_error("DescribeAutoScalingInstances", e))?;
                let Some(group) =
                    out.auto_scaling_instances().first().and_then(|i| i.auto_scaling_group_name()).map(str::to_string)
                else {
                    return skipped("the instance is in no Auto Scaling group");
                };
                c.asg
                    .detach_instances()
                    .auto_scaling_group_name(&group)
                    .instance_ids(id)
                    .should_decrement_desired_capacity(false)
                    .send()
                    .await
                    .map_err(|e| sdk_error("DetachInstances", e))?;
                let undo = crate::text::shell_arg(&group)
                    .map(|g| {
                        format!("aws autoscaling attach-instances --region {} --instance-ids {id} --auto-scaling-group-name {g}", p.region)
                    })
                    .into_iter()
                    .collect();
                applied(
                    format!("detached from {group}; its capacity is kept, so it launches a replacement"),
                    format!("in {group}"),
                    "in no group",
                    undo,
                )
            }
            Action::Ec2DeregisterTargets => {
                let mut found = Vec::new();
                let mut pages = c.elb.describe_target_groups().into_paginator().send();
                while let Some(page) = pages.next().await {
                    let page = page.map_err(|e| sdk_error("DescribeTargetGroups", e))?;
                    for tg in page.target_groups() {
                        let in_vpc = state.vpc.is_none() || tg.vpc_id() == state.vpc.as_deref();
                        let by_instance = tg.target_type().is_none_or(|t| t.as_str() == "instance");
                        let Some(arn) = tg.target_group_arn().filter(|_| in_vpc && by_instance) else { continue };
                        let health = c
                            .elb
                            .describe_target_health()
                            .target_group_arn(arn)
                            .send()
                            .await
                            .map_err(|e| sdk_error("DescribeTargetHealth", e))?;
                        for t in health.target_health_descriptions().iter().filter_map(|d| d.target()) {
                            if t.id() == Some(id) {
                                found.push((arn.to_string(), t.port()));
                            }
                        }
                    }
                }
                if found.is_empty() {
                    return skipped("the instance is in no target group");
                }
                let mut undo = Vec::new();
                for (arn, port) in &found {
                    let mut target = aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder().id(id);
                    if let Some(port) = port {
                        target = target.port(*port);
                    }
                    let target = target.build();
                    c.elb
                        .deregister_targets()
                        .target_group_arn(arn)
                        .targets(target)
                        .send()
                        .await
                        .map_err(|e| sdk_error("DeregisterTargets", e))?;
                    if crate::text::shell_arg(arn).as_deref() == Some(arn.as_str()) {
                        let port = port.map(|p| format!(",Port={p}")).unwrap_or_default();
                        undo.push(format!(
                            "aws elbv2 register-targets --region {} --target-group-arn {arn} --targets Id={id}{port}",
                            p.region
                        ));
                    }
                }
                let groups: Vec<&str> = found.iter().map(|(a, _)| a.rsplit(':').next().unwrap_or(a)).collect();
                applied(
                    format!("deregistered from {}", groups.join(", ")),
                    groups.join(", "),
                    "in no target group",
                    undo,
                )
            }
            Action::Ec2Isolate => self.isolate(ec2, p, id, state).await,
            Action::Ec2Terminate => {
                ec2.terminate_instances()
                    .instance_ids(id)
                    .send()
                    .await
                    .map_err(|e| sdk_error("TerminateInstances", e))?;
                applied(
                    "terminating (allow_terminate); the snapshots and the evidence bucket keep what was captured",
                    "running",
                    "shutting-down",
                    vec!["(none: a terminated instance cannot be brought back; restore from the snapshots)".into()],
                )
            }
            other => Err(format!("{other} does not act on an instance")),
        }
    }

    /// `ec2-isolate`: each ENI through the all-open group (its tracked connections become
    /// untracked) to the isolation group (no rules), which then drops them.
    async fn isolate(&self, ec2: &aws_sdk_ec2::Client, p: &Planned, id: &str, state: &InstanceState) -> Outcome {
        let Some(vpc) = &state.vpc else { return skipped("the instance is in no VPC") };
        let isolation = match self.settings.quarantine_security_groups.get(vpc) {
            Some(sg) => sg.clone(),
            None => ensure_group(ec2, vpc, "isolation", false).await?,
        };
        let pending: Vec<&(String, Vec<String>)> =
            state.enis.iter().filter(|(_, groups)| groups.as_slice() != [isolation.clone()]).collect();
        if pending.is_empty() {
            return skipped(format!("every ENI is already in the isolation group {isolation}"));
        }
        let untrack = ensure_group(ec2, vpc, "untrack", true).await?;
        let before = pending.iter().map(|(e, g)| format!("{e}: {}", g.join(" "))).collect::<Vec<_>>().join("; ");
        let mut undo = Vec::new();
        for (eni, groups) in &pending {
            for step in [&untrack, &isolation] {
                ec2.modify_network_interface_attribute()
                    .network_interface_id(eni)
                    .groups(step)
                    .send()
                    .await
                    .map_err(|e| sdk_error("ModifyNetworkInterfaceAttribute", e))?;
            }
            if groups.iter().all(|g| crate::text::aws_id("sg-", g)) && !groups.is_empty() {
                undo.push(format!(
                    "aws ec2 modify-network-interface-attribute --region {} --network-interface-id {eni} --groups {}",
                    p.region,
                    groups.join(" ")
                ));
            }
        }
        let after = pending.iter().map(|(e, _)| format!("{e}: {isolation}")).collect::<Vec<_>>().join("; ");
        applied(
            format!(
                "{id} isolated in {isolation}. Guaranteed: no new connection in or out. Connections tracked \
                 before were moved through the all-open group {untrack} (which stops their tracking) and are \
                 dropped by the isolation group. Not guaranteed: flows AWS always tracks (through a NAT gateway, \
                 a Network Load Balancer, a Transit Gateway, PrivateLink) last until they time out; a network \
                 ACL on the subnet cuts those, at the cost of the subnet's other instances"
            ),
            before,
            after,
            undo,
        )
    }

    async fn other(&self, c: &Clients, p: &Planned, target: &Target) -> Outcome {
        let region = &p.region;
        match (p.kind, target) {
            (Action::S3BlockPublicAccess, Target::Bucket(bucket)) => {
                use aws_sdk_s3::types::PublicAccessBlockConfiguration as Bpa;
                let before = match c
                    .s3
                    .get_public_access_block()
                    .bucket(bucket)
                    .expected_bucket_owner(&p.account_id)
                    .send()
                    .await
                {
                    Ok(out) => out.public_access_block_configuration().cloned(),
                    Err(e)
                        if e.as_service_error().and_then(|s| aws_sdk_s3::error::ProvideErrorMetadata::code(s))
                            == Some("NoSuchPublicAccessBlockConfiguration") =>
                    {
                        None
                    }
                    Err(e) => return Err(sdk_error("GetPublicAccessBlock", e)),
                };
                let flags = |b: &Bpa| {
                    [
                        b.block_public_acls(),
                        b.ignore_public_acls(),
                        b.block_public_policy(),
                        b.restrict_public_buckets(),
                    ]
                    .map(|f| f.unwrap_or(false))
                };
                if before.as_ref().is_some_and(|b| flags(b) == [true; 4]) {
                    return skipped("Block Public Access is already on, all four settings");
                }
                let all = Bpa::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build();
                c.s3.put_public_access_block()
                    .bucket(bucket)
                    .expected_bucket_owner(&p.account_id)
                    .public_access_block_configuration(all)
                    .send()
                    .await
                    .map_err(|e| sdk_error("PutPublicAccessBlock", e))?;
                let (before_text, undo) = match &before {
                    None => (
                        "no Block Public Access".to_string(),
                        format!("aws s3api delete-public-access-block --bucket {bucket}"),
                    ),
                    Some(b) => {
                        let [a, i, p2, r] = flags(b);
                        (
                            format!(
                                "BlockPublicAcls={a} IgnorePublicAcls={i} BlockPublicPolicy={p2} RestrictPublicBuckets={r}"
                            ),
                            format!(
                                "aws s3api put-public-access-block --bucket {bucket} --public-access-block-configuration \
                                 BlockPublicAcls={a},IgnorePublicAcls={i},BlockPublicPolicy={p2},RestrictPublicBuckets={r}"
                            ),
                        )
                    }
                };
                applied("Block Public Access on, all four settings", before_text, "all four true", vec![undo])
            }
            (Action::IamDeactivateAccessKey, Target::AccessKey { id, user }) => {
                let keys = c
                    .iam
                    .list_access_keys()
                    .user_name(user)
                    .send()
                    .await
                    .map_err(|e| sdk_error("ListAccessKeys", e))?;
                let Some(key) = keys.access_key_metadata().iter().find(|k| k.access_key_id() == Some(id.as_str()))
                else {
                    return skipped(format!("{user} has no key {id} any more"));
                };
                let status = key.status().map(|s| s.as_str().to_string()).unwrap_or_default();
                if status != "Active" {
                    return skipped(format!("the key is already {status}"));
                }
                c.iam
                    .update_access_key()
                    .user_name(user)
                    .access_key_id(id)
                    .status(aws_sdk_iam::types::StatusType::Inactive)
                    .send()
                    .await
                    .map_err(|e| sdk_error("UpdateAccessKey", e))?;
                applied(
                    format!("{user}'s key deactivated"),
                    "Active",
                    "Inactive",
                    vec![format!("aws iam update-access-key --user-name {user} --access-key-id {id} --status Active")],
                )
            }
            (Action::IamRevokeSessions, Target::Role(role)) => {
                if let Err(e) = c.iam.get_role().role_name(role).send().await {
                    return match e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) {
                        true => skipped(format!("the role {role} no longer exists")),
                        false => Err(sdk_error("GetRole", e)),
                    };
                }
                c.iam
                    .put_role_policy()
                    .role_name(role)
                    .policy_name(REVOKE_POLICY)
                    .policy_document(revoke_policy(self.now()))
                    .send()
                    .await
                    .map_err(|e| sdk_error("PutRolePolicy", e))?;
                applied(
                    "sessions issued before now are denied everything",
                    "",
                    format!("inline policy {REVOKE_POLICY}"),
                    vec![format!("aws iam delete-role-policy --role-name {role} --policy-name {REVOKE_POLICY}")],
                )
            }
            (Action::IamRevokeSessions, Target::User(user)) => {
                if let Err(e) = c.iam.get_user().user_name(user).send().await {
                    return match e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) {
                        true => skipped(format!("the user {user} no longer exists")),
                        false => Err(sdk_error("GetUser", e)),
                    };
                }
                c.iam
                    .put_user_policy()
                    .user_name(user)
                    .policy_name(REVOKE_POLICY)
                    .policy_document(revoke_policy(self.now()))
                    .send()
                    .await
                    .map_err(|e| sdk_error("PutUserPolicy", e))?;
                applied(
                    "sessions issued before now are denied everything",
                    "",
                    format!("inline policy {REVOKE_POLICY}"),
                    vec![format!("aws iam delete-user-policy --user-name {user} --policy-name {REVOKE_POLICY}")],
                )
            }
            (Action::CloudtrailStartLogging, Target::Trail(trail)) => {
                let status =
                    c.trail.get_trail_status().name(trail).send().await.map_err(|e| sdk_error("GetTrailStatus", e))?;
                if status.is_logging() == Some(true) {
                    return skipped("the trail is logging already");
                }
                c.trail.start_logging().name(trail).send().await.map_err(|e| sdk_error("StartLogging", e))?;
                applied(
                    "logging started",
                    "not logging",
                    "logging",
                    vec![format!("aws cloudtrail stop-logging --region {region} --name {trail}")],
                )
            }
            (Action::Ec2RevokeIngress, Target::Ingress { group, permissions }) => {
                let wanted = ip_permissions(permissions)?;
                let live = c
                    .ec2
                    .describe_security_groups()
                    .group_ids(group)
                    .send()
                    .await
                    .map_err(|e| sdk_error("DescribeSecurityGroups", e))?;
                let Some(sg) = live.security_groups().first() else {
                    return skipped(format!("the group {group} no longer exists"));
                };
                let present: Vec<IpPermission> =
                    wanted.into_iter().filter_map(|w| still_granted(&w, sg.ip_permissions())).collect();
                if present.is_empty() {
                    return skipped("the world-open permission is no longer in the group");
                }
                c.ec2
                    .revoke_security_group_ingress()
                    .group_id(group)
                    .set_ip_permissions(Some(present.clone()))
                    .send()
                    .await
                    .map_err(|e| sdk_error("RevokeSecurityGroupIngress", e))?;
                let json = permissions_json(&present);
                let undo = crate::text::shell_arg(&json)
                    .map(|j| format!("aws ec2 authorize-security-group-ingress --region {region} --group-id {group} --ip-permissions {j}"))
                    .into_iter()
                    .collect();
                applied("the world-open permission revoked", json.clone(), "revoked", undo)
            }
            (Action::Ec2UnshareSnapshot, Target::Snapshot(id)) => {
                let attr = c
                    .ec2
                    .describe_snapshot_attribute()
                    .snapshot_id(id)
                    .attribute(SnapshotAttributeName::CreateVolumePermission)
                    .send()
                    .await
                    .map_err(|e| sdk_error("DescribeSnapshotAttribute", e))?;
                if !attr.create_volume_permissions().iter().any(|p| p.group() == Some(&PermissionGroup::All)) {
                    return skipped("the snapshot is not public any more");
                }
                c.ec2
                    .modify_snapshot_attribute()
                    .snapshot_id(id)
                    .attribute(SnapshotAttributeName::CreateVolumePermission)
                    .operation_type(OperationType::Remove)
                    .group_names("all")
                    .send()
                    .await
                    .map_err(|e| sdk_error("ModifySnapshotAttribute", e))?;
                applied(
                    "`all` removed from the create-volume permission",
                    "public",
                    "private",
                    vec![format!(
                        "aws ec2 modify-snapshot-attribute --region {region} --snapshot-id {id} --attribute createVolumePermission --operation-type add --group-names all"
                    )],
                )
            }
            (Action::Ec2UnshareImage, Target::Image(id)) => {
                let attr = c
                    .ec2
                    .describe_image_attribute()
                    .image_id(id)
                    .attribute(aws_sdk_ec2::types::ImageAttributeName::LaunchPermission)
                    .send()
                    .await
                    .map_err(|e| sdk_error("DescribeImageAttribute", e))?;
                if !attr.launch_permissions().iter().any(|p| p.group() == Some(&PermissionGroup::All)) {
                    return skipped("the image is not public any more");
                }
                c.ec2
                    .modify_image_attribute()
                    .image_id(id)
                    .launch_permission(
                        LaunchPermissionModifications::builder()
                            .remove(LaunchPermission::builder().group(PermissionGroup::All).build())
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| sdk_error("ModifyImageAttribute", e))?;
                applied(
                    "`all` removed from the launch permission",
                    "public",
                    "private",
                    vec![format!(
                        "aws ec2 modify-image-attribute --region {region} --image-id {id} --launch-permission \"Add=[{{Group=all}}]\""
                    )],
                )
            }
            (Action::RdsUnshareSnapshot, Target::DbSnapshot { id, cluster }) => {
                let values: Vec<String> = if *cluster {
                    let out = c
                        .rds
                        .describe_db_cluster_snapshot_attributes()
                        .db_cluster_snapshot_identifier(id)
                        .send()
                        .await
                        .map_err(|e| sdk_error("DescribeDBClusterSnapshotAttributes", e))?;
                    out.db_cluster_snapshot_attributes_result()
                        .map(|r| r.db_cluster_snapshot_attributes())
                        .unwrap_or_default()
                        .iter()
                        .filter(|a| a.attribute_name() == Some("restore"))
                        .flat_map(|a| a.attribute_values().to_vec())
                        .collect()
                } else {
                    let out = c
                        .rds
                        .describe_db_snapshot_attributes()
                        .db_snapshot_identifier(id)
                        .send()
                        .await
                        .map_err(|e| sdk_error("DescribeDBSnapshotAttributes", e))?;
                    out.db_snapshot_attributes_result()
                        .map(|r| r.db_snapshot_attributes())
                        .unwrap_or_default()
                        .iter()
                        .filter(|a| a.attribute_name() == Some("restore"))
                        .flat_map(|a| a.attribute_values().to_vec())
                        .collect()
                };
                if !values.iter().any(|v| v == "all") {
                    return skipped("the snapshot is not public any more");
                }
                let (call, flag) = if *cluster {
                    c.rds
                        .modify_db_cluster_snapshot_attribute()
                        .db_cluster_snapshot_identifier(id)
                        .attribute_name("restore")
                        .values_to_remove("all")
                        .send()
                        .await
                        .map_err(|e| sdk_error("ModifyDBClusterSnapshotAttribute", e))?;
                    ("modify-db-cluster-snapshot-attribute", "--db-cluster-snapshot-identifier")
                } else {
                    c.rds
                        .modify_db_snapshot_attribute()
                        .db_snapshot_identifier(id)
                        .attribute_name("restore")
                        .values_to_remove("all")
                        .send()
                        .await
                        .map_err(|e| sdk_error("ModifyDBSnapshotAttribute", e))?;
                    ("modify-db-snapshot-attribute", "--db-snapshot-identifier")
                };
                applied(
                    "`all` removed from the restore attribute",
                    values.join(", "),
                    "private",
                    vec![format!(
                        "aws rds {call} --region {region} {flag} {id} --attribute-name restore --values-to-add all"
                    )],
                )
            }
            (action, target) => Err(format!("{action} cannot act on {}", target.resource())),
        }
    }
}

impl Responder for AwsResponder {
    fn apply<'a>(&'a self, planned: &'a [Planned]) -> BoxFuture<'a, Vec<ResponseStep>> {
        Box::pin(self.apply_all(planned))
    }
}

/// The instance's live state, or `None` when it is gone or terminated.
async fn describe_instance(ec2: &aws_sdk_ec2::Client, id: &str) -> Result<Option<InstanceState>, String> {
    let out = match ec2.describe_instances().instance_ids(id).send().await {
        Ok(out) => out,
        Err(e)
            if e.as_service_error().and_then(|s| aws_sdk_ec2::error::ProvideErrorMetadata::code(s))
                == Some("InvalidInstanceID.NotFound") =>
        {
            return Ok(None);
        }
        Err(e) => return Err(sdk_error("DescribeInstances", e)),
    };
    let Some(i) = out.reservations().iter().flat_map(|r| r.instances()).find(|i| i.instance_id() == Some(id)) else {
        return Ok(None);
    };
    let state = i.state().and_then(|s| s.name()).map(|n| n.as_str().to_string()).unwrap_or_default();
    if state == "terminated" || state == "shutting-down" {
        return Ok(None);
    }
    let enis = i
        .network_interfaces()
        .iter()
        .filter_map(|n| {
            let groups = n.groups().iter().filter_map(|g| g.group_id().map(str::to_string)).collect();
            n.network_interface_id().map(|id| (id.to_string(), groups))
        })
        .collect();
    let volumes = i
        .block_device_mappings()
        .iter()
        .filter_map(|b| Some((b.device_name()?.to_string(), b.ebs()?.volume_id()?.to_string())))
        .collect();
    let tags = i.tags().iter().filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string()))).collect();
    let record = serde_json::json!({
        "id": i.instance_id(), "type": i.instance_type().map(|t| t.as_str()), "state": state,
        "image": i.image_id(), "launched": i.launch_time().map(|t| t.to_string()),
        "vpc": i.vpc_id(), "subnet": i.subnet_id(), "private_ip": i.private_ip_address(),
        "public_ip": i.public_ip_address(), "key_name": i.key_name(),
        "instance_profile": i.iam_instance_profile().and_then(|p| p.arn()),
        "tags": i.tags().iter().map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default())).collect::<HashMap<_, _>>(),
    });
    Ok(Some(InstanceState { vpc: i.vpc_id().map(str::to_string), enis, volumes, tags, record }))
}

/// The VPC's isolation group (no rules at all) or its all-open group (everything in and out,
/// IPv4 and IPv6, which AWS does not track), made once by name and reused.
async fn ensure_group(ec2: &aws_sdk_ec2::Client, vpc: &str, role: &str, open: bool) -> Result<String, String> {
    let name = format!("trailwarden-{role}-{vpc}");
    let found = ec2
        .describe_security_groups()
        .filters(Filter::builder().name("group-name").values(&name).build())
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .send()
        .await
        .map_err(|e| sdk_error("DescribeSecurityGroups", e))?;
    if let Some(id) = found.security_groups().first().and_then(|g| g.group_id()) {
        return Ok(id.to_string());
    }
    let description = if open {
        "trailwarden: all traffic, untracked; a step on the way to isolation, never left attached"
    } else {
        "trailwarden: isolation, no rules"
    };
    let made = ec2
        .create_security_group()
        .group_name(&name)
        .description(description)
        .vpc_id(vpc)
        .send()
        .await
        .map_err(|e| sdk_error("CreateSecurityGroup", e))?;
    let id = made.group_id().unwrap_or_default().to_string();
    let everything = IpPermission::builder()
        .ip_protocol("-1")
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
        .build();
    if open {
        ec2.authorize_security_group_ingress()
            .group_id(&id)
            .ip_permissions(everything.clone())
            .send()
            .await
            .map_err(|e| sdk_error("AuthorizeSecurityGroupIngress", e))?;
        ec2.authorize_security_group_egress()
            .group_id(&id)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("-1")
                    .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
                    .build(),
            )
            .send()
            .await
            .map_err(|e| sdk_error("AuthorizeSecurityGroupEgress", e))?;
    } else {
        // A new group allows all egress: take it away.
        let default_egress = IpPermission::builder()
            .ip_protocol("-1")
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .build();
        ec2.revoke_security_group_egress()
            .group_id(&id)
            .ip_permissions(default_egress)
            .send()
            .await
            .map_err(|e| sdk_error("RevokeSecurityGroupEgress", e))?;
    }
    Ok(id)
}

/// The inline policy that denies everything to sessions issued before `now`.
pub fn revoke_policy(now: i64) -> String {
    let when =
        jiff::Timestamp::from_second(now).map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default();
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": when}}
        }]
    })
    .to_string()
}

/// The request `ec2-capture-screenshot` sends (moto lacks the call: tests check this request).
pub fn screenshot_request(
    ec2: &aws_sdk_ec2::Client,
    instance: &str,
) -> aws_sdk_ec2::operation::get_console_screenshot::builders::GetConsoleScreenshotFluentBuilder {
    ec2.get_console_screenshot().instance_id(instance).wake_up(true)
}

/// The request `ec2-collect-forensics` sends: the team's document on the one instance, its
/// output to the evidence bucket.
pub fn forensics_request(
    ssm: &aws_sdk_ssm::Client,
    instance: &str,
    document: &str,
    bucket: &str,
    prefix: &str,
) -> aws_sdk_ssm::operation::send_command::builders::SendCommandFluentBuilder {
    ssm.send_command()
        .document_name(document)
        .instance_ids(instance)
        .output_s3_bucket_name(bucket)
        .output_s3_key_prefix(prefix)
        .comment("trailwarden forensics")
}

/// The permissions of an `ip-permissions` param (the EC2 API's JSON, as the rule wrote it).
fn ip_permissions(json: &str) -> Result<Vec<IpPermission>, String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct P {
        ip_protocol: String,
        from_port: Option<i32>,
        to_port: Option<i32>,
        #[serde(default)]
        ip_ranges: Vec<R4>,
        #[serde(default)]
        ipv6_ranges: Vec<R6>,
    }
    #[derive(serde::Deserialize)]
    struct R4 {
        #[serde(rename = "CidrIp")]
        cidr: String,
    }
    #[derive(serde::Deserialize)]
    struct R6 {
        #[serde(rename = "CidrIpv6")]
        cidr: String,
    }
    let parsed: Vec<P> = serde_json::from_str(json).map_err(|e| format!("the alert's ip-permissions: {e}"))?;
    Ok(parsed
        .into_iter()
        .map(|p| {
            IpPermission::builder()
                .ip_protocol(p.ip_protocol)
                .set_from_port(p.from_port)
                .set_to_port(p.to_port)
                .set_ip_ranges(Some(
                    p.ip_ranges.into_iter().map(|r| IpRange::builder().cidr_ip(r.cidr).build()).collect(),
                ))
                .set_ipv6_ranges(Some(
                    p.ipv6_ranges.into_iter().map(|r| Ipv6Range::builder().cidr_ipv6(r.cidr).build()).collect(),
                ))
                .build()
        })
        .collect())
}

/// The part of `wanted` the group still grants (same protocol and ports, the ranges still in it).
fn still_granted(wanted: &IpPermission, live: &[IpPermission]) -> Option<IpPermission> {
    let proto = |p: &IpPermission| match p.ip_protocol().unwrap_or_default() {
        "6" => "tcp".to_string(),
        "17" => "udp".to_string(),
        "1" => "icmp".to_string(),
        other => other.to_ascii_lowercase(),
    };
    let same = |l: &&IpPermission| {
        proto(l) == proto(wanted)
            && (proto(wanted) == "-1" || (l.from_port() == wanted.from_port() && l.to_port() == wanted.to_port()))
    };
    let held = live.iter().filter(same).collect::<Vec<_>>();
    let v4: Vec<IpRange> = wanted
        .ip_ranges()
        .iter()
        .filter(|r| held.iter().any(|l| l.ip_ranges().iter().any(|x| x.cidr_ip() == r.cidr_ip())))
        .cloned()
        .collect();
    let v6: Vec<Ipv6Range> = wanted
        .ipv6_ranges()
        .iter()
        .filter(|r| held.iter().any(|l| l.ipv6_ranges().iter().any(|x| x.cidr_ipv6() == r.cidr_ipv6())))
        .cloned()
        .collect();
    (!v4.is_empty() || !v6.is_empty()).then(|| {
        IpPermission::builder()
            .set_ip_protocol(wanted.ip_protocol().map(str::to_string))
            .set_from_port(wanted.from_port())
            .set_to_port(wanted.to_port())
            .set_ip_ranges(Some(v4))
            .set_ipv6_ranges(Some(v6))
            .build()
    })
}

/// Permissions as the EC2 API's JSON (what `--ip-permissions` takes).
fn permissions_json(perms: &[IpPermission]) -> String {
    let list: Vec<serde_json::Value> = perms
        .iter()
        .map(|p| {
            let mut v = serde_json::json!({"IpProtocol": p.ip_protocol()});
            if let (Some(f), Some(t)) = (p.from_port(), p.to_port()) {
                v["FromPort"] = f.into();
                v["ToPort"] = t.into();
            }
            if !p.ip_ranges().is_empty() {
                v["IpRanges"] = p.ip_ranges().iter().map(|r| serde_json::json!({"CidrIp": r.cidr_ip()})).collect();
            }
            if !p.ipv6_ranges().is_empty() {
                v["Ipv6Ranges"] =
                    p.ipv6_ranges().iter().map(|r| serde_json::json!({"CidrIpv6": r.cidr_ipv6()})).collect();
            }
            v
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// The budget in the stack's table (the dedupe table): one item per kind and hour,
/// `pk = budget#<kind>#<hour>`, counted up by a conditional `UpdateItem`, expiring after a day.
pub struct DynamoBudget {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoBudget {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        DynamoBudget { client, table: table.into() }
    }
}

impl Budget for DynamoBudget {
    fn take<'a>(&'a self, kind: BudgetKind, limit: u32, now: i64) -> BoxFuture<'a, Result<bool, String>> {
        use aws_sdk_dynamodb::types::AttributeValue as V;
        Box::pin(async move {
            if limit == 0 {
                return Ok(false);
            }
            let hour = now.div_euclid(3600);
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", V::S(format!("budget#{}#{hour}", kind.name())))
                .update_expression("ADD used :one SET expires = :expires")
                .condition_expression("attribute_not_exists(used) OR used < :limit")
                .expression_attribute_values(":one", V::N("1".into()))
                .expression_attribute_values(":limit", V::N(limit.to_string()))
                .expression_attribute_values(":expires", V::N((hour * 3600 + 86_400).to_string()))
                .send()
                .await;
            match result {
                Ok(_) => Ok(true),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(false),
                Err(e) => Err(sdk_error("UpdateItem (budget)", e)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_parse_and_print_the_same() {
        let json = r#"[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]"#;
        let round: serde_json::Value = serde_json::from_str(&permissions_json(&ip_permissions(json).unwrap())).unwrap();
        assert_eq!(round, serde_json::from_str::<serde_json::Value>(json).unwrap());
    }
}
