//! The responder against moto's server, on real resources made in it: a VPC, an instance with two
//! ENIs and two volumes, an Auto Scaling group, a target group, a user with a key, a role, a
//! public bucket, a stopped trail, a world-open group, a public EBS snapshot, AMI and RDS snapshot,
//! an instance with an instance profile. Each action is
//! applied and the state read back; plan mode changes nothing; a repeat makes no second
//! snapshot; the budget stops the sixth instance; a protected tag stops everything; a refused
//! action (AccessDenied, injected) leaves the others running and is reported.
//!
//! moto lacks `GetConsoleScreenshot`: `ec2-capture-screenshot` is tested on the request it
//! builds (`screenshot_request_is_built`), as is SSM's `SendCommand` document choice.

mod support;

use std::sync::Arc;

use support::{MOTO_ACCOUNT, Moto};
use trailwarden::detail::{EventDetail, Resource, ResourceKind, ResponseStep, Severity, StepStatus};
use trailwarden::respond::aws::{AwsResponder, DynamoBudget, FINDING_TAG, PROTECT_TAG};
use trailwarden::respond::settings::{Mode, Settings};
use trailwarden::respond::{Action, Budget, InMemoryBudget, respond};

const REGION: &str = "us-east-1";
const NOW: i64 = 1_780_000_000;

/// An alert as the engine makes it, about `resource`, from rule `rule`.
fn alert(rule: &str, event_id: &str, resource: Resource) -> EventDetail {
    EventDetail {
        rule_id: rule.to_string().into(),
        severity: Severity::High,
        title: "t".into(),
        summary: "s".into(),
        resource,
        event_id: event_id.into(),
        event_name: "n".into(),
        event_source: "GuardDuty".into(),
        event_time: "2026-12-03T00:00:00Z".into(),
        account_id: MOTO_ACCOUNT.into(),
        region: REGION.into(),
        source_ip: String::new(),
        user_agent: String::new(),
        actor: Default::default(),
        fields: Vec::new(),
        remediation: Default::default(),
        references: Default::default(),
        origin: Default::default(),
        params: Default::default(),
        response: Vec::new(),
    }
}

fn apply_settings() -> Settings {
    Settings {
        mode: Mode::Apply,
        actions: Action::ALL.into_iter().filter(|a| a.on_by_default()).collect(),
        evidence_bucket: Some("ir-evidence".into()),
        ..Settings::default()
    }
}

fn status_of<'a>(steps: &'a [ResponseStep], action: &str) -> &'a ResponseStep {
    steps.iter().find(|s| s.action == action).unwrap_or_else(|| panic!("no {action} step in {steps:#?}"))
}

/// What the tests build in moto.
struct World {
    sdk: aws_config::SdkConfig,
    ec2: aws_sdk_ec2::Client,
    vpc: String,
    subnet: String,
    image: String,
}

impl World {
    async fn new(moto: &Moto) -> World {
        let sdk = moto.sdk_in(REGION).await;
        let ec2 = aws_sdk_ec2::Client::new(&sdk);
        let vpc = ec2.create_vpc().cidr_block("10.0.0.0/16").send().await.unwrap();
        let vpc = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
        let subnet = ec2.create_subnet().vpc_id(&vpc).cidr_block("10.0.1.0/24").send().await.unwrap();
        let subnet = subnet.subnet().unwrap().subnet_id().unwrap().to_string();
        let images = ec2.describe_images().owners("amazon").send().await.unwrap();
        let image = images.images()[0].image_id().unwrap().to_string();
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build())
            .create_bucket()
            .bucket("ir-evidence")
            .send()
            .await
            .unwrap();
        World { sdk, ec2, vpc, subnet, image }
    }

    /// An instance with two ENIs (groups `a` and `b` on the first, `c` on the second) and two
    /// volumes (its root and an attached one). Returns the instance and the three groups.
    async fn instance(&self, tags: &[(&str, &str)]) -> (String, Vec<String>) {
        let ec2 = &self.ec2;
        let mut groups = Vec::new();
        for name in ["a", "b", "c"] {
            let name = format!("app-{name}-{}", fastrand::u32(..));
            let g = ec2
                .create_security_group()
                .group_name(&name)
                .description("app")
                .vpc_id(&self.vpc)
                .send()
                .await
                .unwrap();
            groups.push(g.group_id().unwrap().to_string());
        }
        let mut run = ec2
            .run_instances()
            .image_id(&self.image)
            .min_count(1)
            .max_count(1)
            .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
            // Groups per ENI (moto adds an instance's own groups to every ENI's, as AWS does not).
            .network_interfaces(
                aws_sdk_ec2::types::InstanceNetworkInterfaceSpecification::builder()
                    .device_index(0)
                    .subnet_id(&self.subnet)
                    .groups(&groups[0])
                    .groups(&groups[1])
                    .build(),
            )
            .network_interfaces(
                aws_sdk_ec2::types::InstanceNetworkInterfaceSpecification::builder()
                    .device_index(1)
                    .subnet_id(&self.subnet)
                    .groups(&groups[2])
                    .build(),
            );
        if !tags.is_empty() {
            let mut spec = aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::Instance);
            for (k, v) in tags {
                spec = spec.tags(aws_sdk_ec2::types::Tag::builder().key(*k).value(*v).build());
            }
            run = run.tag_specifications(spec.build());
        }
        let out = run.send().await.unwrap();
        let id = out.instances()[0].instance_id().unwrap().to_string();
        let vol = ec2.create_volume().availability_zone(format!("{REGION}a")).size(8).send().await.unwrap();
        let vol = vol.volume_id().unwrap().to_string();
        ec2.attach_volume().volume_id(&vol).instance_id(&id).device("/dev/sdf").send().await.unwrap();
        (id, groups)
    }

    async fn eni_groups(&self, instance: &str) -> Vec<Vec<String>> {
        let out = self.ec2.describe_instances().instance_ids(instance).send().await.unwrap();
        let i = &out.reservations()[0].instances()[0];
        let mut enis: Vec<_> = i.network_interfaces().to_vec();
        enis.sort_by_key(|n| n.attachment().and_then(|a| a.device_index()).unwrap_or(0));
        enis.iter().map(|n| n.groups().iter().map(|g| g.group_id().unwrap().to_string()).collect()).collect()
    }

    async fn snapshots_for(&self, finding: &str) -> Vec<String> {
        let out = self
            .ec2
            .describe_snapshots()
            .owner_ids("self")
            .filters(aws_sdk_ec2::types::Filter::builder().name(format!("tag:{FINDING_TAG}")).values(finding).build())
            .send()
            .await
            .unwrap();
        out.snapshots().iter().map(|s| s.volume_id().unwrap().to_string()).collect()
    }
}

/// A role EC2 instances may assume.
async fn instance_role(iam: &aws_sdk_iam::Client, name: &str) {
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#)
        .send()
        .await
        .unwrap();
}

fn responder(world: &World, settings: Settings, budget: Arc<dyn Budget>) -> AwsResponder {
    AwsResponder::new(&world.sdk, MOTO_ACCOUNT, settings, budget).at_time(NOW)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_is_contained_and_its_state_reads_back() {
    let moto = Moto::start();
    let world = World::new(&moto).await;
    let (instance, groups) = world.instance(&[]).await;
    let sdk = &world.sdk;

    // An Auto Scaling group the instance is in, and a target group it is registered with.
    let asg = aws_sdk_autoscaling::Client::new(sdk);
    asg.create_launch_configuration()
        .launch_configuration_name("lc")
        .image_id(&world.image)
        .instance_type("t3.micro")
        .send()
        .await
        .unwrap();
    asg.create_auto_scaling_group()
        .auto_scaling_group_name("web")
        .launch_configuration_name("lc")
        .min_size(0)
        .max_size(3)
        .desired_capacity(0)
        .vpc_zone_identifier(&world.subnet)
        .send()
        .await
        .unwrap();
    asg.attach_instances().auto_scaling_group_name("web").instance_ids(&instance).send().await.unwrap();
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(sdk);
    let tg = elb
        .create_target_group()
        .name("web")
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(80)
        .vpc_id(&world.vpc)
        .send()
        .await
        .unwrap();
    let tg_arn = tg.target_groups()[0].target_group_arn().unwrap().to_string();
    let target = aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder().id(&instance).port(80).build();
    elb.register_targets().target_group_arn(&tg_arn).targets(target).send().await.unwrap();

    let finding = "arn:aws:guardduty:us-east-1:123456789012:detector/d/finding/backdoor-1";
    let mut a = alert("guardduty-ec2-backdoor", finding, Resource::new(ResourceKind::EC2_INSTANCE, &instance));
    let before_groups = world.eni_groups(&instance).await;
    assert_eq!(before_groups.len(), 2, "two ENIs: {before_groups:?}");

    // Plan mode changes nothing.
    let plan_only = Settings { mode: Mode::Plan, ..apply_settings() };
    let r = responder(&world, plan_only.clone(), Arc::new(InMemoryBudget::default()));
    respond(&mut a, &plan_only, Some(&r)).await;
    assert!(a.response.iter().all(|s| s.status == StepStatus::WouldDo), "{:#?}", a.response);
    assert_eq!(a.response.len(), 7, "{:#?}", a.response);
    assert_eq!(world.eni_groups(&instance).await, before_groups);
    assert!(world.snapshots_for(finding).await.is_empty());

    // Apply.
    let settings = apply_settings();
    let r = responder(&world, settings.clone(), Arc::new(InMemoryBudget::default()));
    respond(&mut a, &settings, Some(&r)).await;
    let steps = &a.response;
    for s in steps {
        assert_eq!(s.status, StepStatus::Applied, "{s:#?}");
    }
    // Each ENI's groups are the isolation group.
    let after = world.eni_groups(&instance).await;
    assert_eq!(after[0], after[1]);
    assert_eq!(after[0].len(), 1);
    let isolation = &after[0][0];
    assert!(!groups.contains(isolation));
    let sg = world.ec2.describe_security_groups().group_ids(isolation).send().await.unwrap();
    let sg = &sg.security_groups()[0];
    assert!(sg.ip_permissions().is_empty() && sg.ip_permissions_egress().is_empty(), "no rules: {sg:?}");
    let isolate = status_of(steps, "ec2-isolate");
    assert!(isolate.before.contains(&groups[0]) && isolate.before.contains(&groups[2]), "{isolate:?}");
    assert!(isolate.undo.iter().any(|u| u.contains(&format!("--groups {} {}", groups[0], groups[1]))), "{isolate:?}");
    assert!(isolate.note.contains("Not guaranteed"), "{isolate:?}");
    // Snapshots of both volumes, tagged with the finding.
    assert_eq!(world.snapshots_for(finding).await.len(), 2);
    // Out of the ASG (capacity kept), deregistered from the target group.
    let asg_out = asg.describe_auto_scaling_instances().instance_ids(&instance).send().await.unwrap();
    assert!(asg_out.auto_scaling_instances().is_empty(), "{asg_out:?}");
    let health = elb.describe_target_health().target_group_arn(&tg_arn).send().await.unwrap();
    assert!(
        !health.target_health_descriptions().iter().any(|d| d.target().and_then(|t| t.id()) == Some(instance.as_str())),
        "{health:?}"
    );
    // Protected from termination, tagged, metadata in the evidence bucket.
    let term = world
        .ec2
        .describe_instance_attribute()
        .instance_id(&instance)
        .attribute(aws_sdk_ec2::types::InstanceAttributeName::DisableApiTermination)
        .send()
        .await
        .unwrap();
    assert_eq!(term.disable_api_termination().and_then(|v| v.value()), Some(true));
    let capture = status_of(steps, "ec2-capture-metadata");
    let key = capture.after.strip_prefix("s3://ir-evidence/").unwrap();
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).build());
    let obj = s3.get_object().bucket("ir-evidence").key(key).send().await.unwrap();
    let body = obj.body.collect().await.unwrap().into_bytes();
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["instance"]["id"], instance.as_str());
    assert_eq!(doc["network_interfaces"].as_array().unwrap().len(), 2);
    assert_eq!(doc["volumes"].as_array().unwrap().len(), 2);

    // The same finding again: the tag guards it, no second snapshot.
    let mut again = alert("guardduty-ec2-backdoor", finding, Resource::new(ResourceKind::EC2_INSTANCE, &instance));
    respond(&mut again, &settings, Some(&r)).await;
    assert!(again.response.iter().all(|s| s.status == StepStatus::Skipped), "{:#?}", again.response);
    assert!(again.response[0].note.contains("already contained"), "{:#?}", again.response);
    assert_eq!(world.snapshots_for(finding).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_stops_the_sixth_and_a_protected_tag_stops_everything() {
    let moto = Moto::start();
    let world = World::new(&moto).await;
    let table = moto.ledger_table("sent-alerts").await;
    let budget: Arc<dyn Budget> = Arc::new(DynamoBudget::new(table, "sent-alerts"));
    let settings = apply_settings();
    let r = responder(&world, settings.clone(), budget);
    let mut isolated = 0;
    for n in 0..6 {
        let (instance, _) = world.instance(&[]).await;
        let finding = format!("arn:aws:guardduty:us-east-1:123456789012:detector/d/finding/burst-{n}");
        let mut a = alert("guardduty-ec2-backdoor", &finding, Resource::new(ResourceKind::EC2_INSTANCE, &instance));
        respond(&mut a, &settings, Some(&r)).await;
        if n < 5 {
            assert_eq!(status_of(&a.response, "ec2-isolate").status, StepStatus::Applied, "{:#?}", a.response);
            isolated += 1;
        } else {
            assert!(a.response.iter().all(|s| s.status == StepStatus::WouldDo), "{:#?}", a.response);
            assert!(a.response[0].note.contains("budget of 5 instances is spent"), "{:#?}", a.response);
            assert!(world.snapshots_for(&finding).await.is_empty());
            assert_eq!(world.eni_groups(&instance).await.len(), 2);
        }
    }
    assert_eq!(isolated, 5);

    let (instance, groups) = world.instance(&[(PROTECT_TAG, "true")]).await;
    let finding = "arn:aws:guardduty:us-east-1:123456789012:detector/d/finding/protected";
    let mut a = alert("guardduty-ec2-backdoor", finding, Resource::new(ResourceKind::EC2_INSTANCE, &instance));
    let fresh = responder(&world, settings.clone(), Arc::new(InMemoryBudget::default()));
    respond(&mut a, &settings, Some(&fresh)).await;
    assert!(
        a.response.iter().all(|s| s.status == StepStatus::Skipped && s.note.starts_with("protected")),
        "{:#?}",
        a.response
    );
    assert_eq!(world.eni_groups(&instance).await[0], groups[..2].to_vec());
    assert!(world.snapshots_for(finding).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_roles_buckets_trails_and_cloudtrail_undos() {
    let moto = Moto::start();
    let world = World::new(&moto).await;
    let sdk = &world.sdk;
    let settings = apply_settings();
    let r = responder(&world, settings.clone(), Arc::new(InMemoryBudget::default()));

    // A user's long-term key: deactivated.
    let iam = aws_sdk_iam::Client::new(sdk);
    iam.create_user().user_name("mallory").send().await.unwrap();
    let key = iam.create_access_key().user_name("mallory").send().await.unwrap();
    let key_id = key.access_key().unwrap().access_key_id().to_string();
    let mut a =
        alert("guardduty-iam-unauthorized-access", "f-key", Resource::new(ResourceKind::IAM_ACCESS_KEY, &key_id));
    a.fields = vec![("User".into(), "mallory".into()), ("User type".into(), "IAMUser".into())];
    respond(&mut a, &settings, Some(&r)).await;
    let step = status_of(&a.response, "iam-deactivate-access-key");
    assert_eq!((step.status, step.before.as_str(), step.after.as_str()), (StepStatus::Applied, "Active", "Inactive"));
    let keys = iam.list_access_keys().user_name("mallory").send().await.unwrap();
    assert_eq!(keys.access_key_metadata()[0].status().unwrap().as_str(), "Inactive");
    assert!(step.undo[0].contains("--status Active"));

    // A role's session credentials used elsewhere: the role gets the deny.
    instance_role(&iam, "web-instance").await;
    let mut a = alert(
        "guardduty-instance-credential-exfiltration",
        "f-role",
        Resource::new(ResourceKind::IAM_ACCESS_KEY, "ASIAEXAMPLEEXAMPLE12"),
    );
    a.fields = vec![("User".into(), "web-instance".into()), ("User type".into(), "AssumedRole".into())];
    respond(&mut a, &settings, Some(&r)).await;
    assert_eq!(status_of(&a.response, "iam-revoke-sessions").status, StepStatus::Applied, "{:#?}", a.response);
    let policy = iam
        .get_role_policy()
        .role_name("web-instance")
        .policy_name("trailwarden-revoke-older-sessions")
        .send()
        .await
        .unwrap();
    // IAM may answer the document URL-encoded; these words read the same either way.
    let doc = policy.policy_document();
    assert!(doc.contains("TokenIssueTime") && doc.contains("Deny") && doc.contains("DateLessThan"), "{doc}");

    // A public bucket: Block Public Access, all four.
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).build());
    s3.create_bucket().bucket("open-data").send().await.unwrap();
    let mut a = alert("guardduty-s3-policy", "f-bucket", Resource::new(ResourceKind::S3_BUCKET, "open-data"));
    respond(&mut a, &settings, Some(&r)).await;
    assert_eq!(status_of(&a.response, "s3-block-public-access").status, StepStatus::Applied, "{:#?}", a.response);
    let bpa = s3.get_public_access_block().bucket("open-data").send().await.unwrap();
    let c = bpa.public_access_block_configuration().unwrap();
    assert_eq!(
        [c.block_public_acls(), c.ignore_public_acls(), c.block_public_policy(), c.restrict_public_buckets()],
        [Some(true); 4]
    );

    // A stopped trail: logging again.
    s3.create_bucket().bucket("trail-logs").send().await.unwrap();
    let ct = aws_sdk_cloudtrail::Client::new(sdk);
    ct.create_trail().name("org").s3_bucket_name("trail-logs").send().await.unwrap();
    ct.start_logging().name("org").send().await.unwrap();
    ct.stop_logging().name("org").send().await.unwrap();
    let mut a = alert("cloudtrail-logging-stopped", "e-trail", Resource::new(ResourceKind::TRAIL, "org"));
    respond(&mut a, &settings, Some(&r)).await;
    assert_eq!(status_of(&a.response, "cloudtrail-start-logging").status, StepStatus::Applied, "{:#?}", a.response);
    assert_eq!(ct.get_trail_status().name("org").send().await.unwrap().is_logging(), Some(true));
    // Again: the live re-check finds it logging.
    respond(&mut a, &settings, Some(&r)).await;
    assert_eq!(status_of(&a.response, "cloudtrail-start-logging").status, StepStatus::Skipped);

    // A world-open ingress permission: exactly it is revoked, the rest of the group stays.
    let ec2 = &world.ec2;
    let g = ec2.create_security_group().group_name("web").description("web").vpc_id(&world.vpc).send().await.unwrap();
    let group = g.group_id().unwrap().to_string();
    let perm = |port: i32, cidr: &str| {
        aws_sdk_ec2::types::IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(port)
            .to_port(port)
            .ip_ranges(aws_sdk_ec2::types::IpRange::builder().cidr_ip(cidr).build())
            .build()
    };
    ec2.authorize_security_group_ingress().group_id(&group).ip_permissions(perm(22, "0.0.0.0/0")).send().await.unwrap();
    ec2.authorize_security_group_ingress()
        .group_id(&group)
        .ip_permissions(perm(443, "10.0.0.0/8"))
        .send()
        .await
        .unwrap();
    let mut a = alert("ec2-sg-ingress-open-to-world", "e-sg", Resource::new(ResourceKind::SECURITY_GROUP, &group));
    a.params.insert("group-id".into(), group.clone());
    a.params.insert(
        "ip-permissions".into(),
        r#"[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]"#.into(),
    );
    respond(&mut a, &settings, Some(&r)).await;
    let step = status_of(&a.response, "ec2-revoke-ingress");
    assert_eq!(step.status, StepStatus::Applied, "{step:#?}");
    assert!(step.undo[0].starts_with(&format!(
        "aws ec2 authorize-security-group-ingress --region us-east-1 --group-id {group} --ip-permissions '["
    )));
    let live = ec2.describe_security_groups().group_ids(&group).send().await.unwrap();
    let rules: Vec<(Option<i32>, String)> = live.security_groups()[0]
        .ip_permissions()
        .iter()
        .flat_map(|p| p.ip_ranges().iter().map(move |r| (p.from_port(), r.cidr_ip().unwrap().to_string())))
        .collect();
    assert_eq!(rules, vec![(Some(443), "10.0.0.0/8".to_string())]);

    // A public snapshot and image: `all` removed.
    let vol = ec2.create_volume().availability_zone("us-east-1a").size(1).send().await.unwrap();
    let snap = ec2.create_snapshot().volume_id(vol.volume_id().unwrap()).send().await.unwrap();
    let snap = snap.snapshot_id().unwrap().to_string();
    ec2.modify_snapshot_attribute()
        .snapshot_id(&snap)
        .attribute(aws_sdk_ec2::types::SnapshotAttributeName::CreateVolumePermission)
        .operation_type(aws_sdk_ec2::types::OperationType::Add)
        .group_names("all")
        .send()
        .await
        .unwrap();
    let mut a = alert("ec2-snapshot-made-public", "e-snap", Resource::new(ResourceKind::EBS_SNAPSHOT, &snap));
    respond(&mut a, &settings, Some(&r)).await;
    assert_eq!(status_of(&a.response, "ec2-unshare-snapshot").status, StepStatus::Applied, "{:#?}", a.response);
    let attr = ec2
        .describe_snapshot_attribute()
        .snapshot_id(&snap)
        .attribute(aws_sdk_ec2::types::SnapshotAttributeName::CreateVolumePermission)
        .send()
        .await
        .unwrap();
    assert!(attr.create_volume_permissions().is_empty(), "{attr:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_image_and_db_snapshot_are_unshared_and_an_instance_profile_is_removed() {
    use aws_sdk_ec2::types::{
        Filter, IamInstanceProfileSpecification, ImageAttributeName, LaunchPermission, LaunchPermissionModifications,
        PermissionGroup,
    };
    let moto = Moto::start();
    let world = World::new(&moto).await;
    let (sdk, ec2) = (&world.sdk, &world.ec2);
    let settings = apply_settings();
    let r = responder(&world, settings.clone(), Arc::new(InMemoryBudget::default()));

    // A public AMI: `all` leaves its launch permission; a repeat finds it private.
    let (instance, _) = world.instance(&[]).await;
    let image = ec2.create_image().instance_id(&instance).name("golden").send().await.unwrap();
    let image = image.image_id().unwrap().to_string();
    let all = || LaunchPermission::builder().group(PermissionGroup::All).build();
    ec2.modify_image_attribute()
        .image_id(&image)
        .launch_permission(LaunchPermissionModifications::builder().add(all()).build())
        .send()
        .await
        .unwrap();
    let mut a = alert("ec2-ami-made-public", "e-ami", Resource::new(ResourceKind::AMI, &image));
    respond(&mut a, &settings, Some(&r)).await;
    let step = status_of(&a.response, "ec2-unshare-image");
    assert_eq!((step.status, step.before.as_str(), step.after.as_str()), (StepStatus::Applied, "public", "private"));
    assert!(step.undo[0].contains(&format!("--image-id {image}")) && step.undo[0].contains("Group=all"), "{step:?}");
    let attr = ec2
        .describe_image_attribute()
        .image_id(&image)
        .attribute(ImageAttributeName::LaunchPermission)
        .send()
        .await
        .unwrap();
    assert!(attr.launch_permissions().is_empty(), "{attr:?}");
    respond(&mut a, &settings, Some(&r)).await;
    assert_eq!(status_of(&a.response, "ec2-unshare-image").status, StepStatus::Skipped, "{:#?}", a.response);

    // A public DB snapshot: `all` leaves its restore attribute, an account it was shared with stays.
    let rds = aws_sdk_rds::Client::new(sdk);
    rds.create_db_instance()
        .db_instance_identifier("orders")
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("dbadmin")
        .master_user_password("test-only-password-1")
        .send()
        .await
        .unwrap();
    rds.create_db_snapshot().db_instance_identifier("orders").db_snapshot_identifier("orders-1").send().await.unwrap();
    rds.modify_db_snapshot_attribute()
        .db_snapshot_identifier("orders-1")
        .attribute_name("restore")
        .values_to_add("all")
        .values_to_add("210987654321")
        .send()
        .await
        .unwrap();
    let mut a = alert("rds-snapshot-made-public", "e-rds", Resource::new(ResourceKind::RDS_SNAPSHOT, "orders-1"));
    respond(&mut a, &settings, Some(&r)).await;
    assert_eq!(status_of(&a.response, "rds-unshare-snapshot").status, StepStatus::Applied, "{:#?}", a.response);
    let attrs = rds.describe_db_snapshot_attributes().db_snapshot_identifier("orders-1").send().await.unwrap();
    let restore: Vec<String> = attrs
        .db_snapshot_attributes_result()
        .unwrap()
        .db_snapshot_attributes()
        .iter()
        .filter(|a| a.attribute_name() == Some("restore"))
        .flat_map(|a| a.attribute_values().to_vec())
        .collect();
    assert_eq!(restore, ["210987654321"]);
    respond(&mut a, &settings, Some(&r)).await;
    assert_eq!(status_of(&a.response, "rds-unshare-snapshot").status, StepStatus::Skipped, "{:#?}", a.response);

    // An instance's profile (off by default, so enabled here alone): disassociated, and its role's
    // older sessions denied; a repeat finds no profile.
    let iam = aws_sdk_iam::Client::new(sdk);
    instance_role(&iam, "app").await;
    iam.create_instance_profile().instance_profile_name("app").send().await.unwrap();
    iam.add_role_to_instance_profile().instance_profile_name("app").role_name("app").send().await.unwrap();
    let (instance, _) = world.instance(&[]).await;
    ec2.associate_iam_instance_profile()
        .instance_id(&instance)
        .iam_instance_profile(IamInstanceProfileSpecification::builder().name("app").build())
        .send()
        .await
        .unwrap();
    let only = Settings { actions: [Action::Ec2RemoveInstanceProfile].into_iter().collect(), ..apply_settings() };
    let r = responder(&world, only.clone(), Arc::new(InMemoryBudget::default()));
    let mut a = alert("guardduty-ec2-backdoor", "f-profile", Resource::new(ResourceKind::EC2_INSTANCE, &instance));
    respond(&mut a, &only, Some(&r)).await;
    let step = status_of(&a.response, "ec2-remove-instance-profile");
    assert_eq!(step.status, StepStatus::Applied, "{:#?}", a.response);
    assert!(
        step.undo.iter().any(|u| u.contains("associate-iam-instance-profile") && u.contains(&instance)),
        "{step:?}"
    );
    assert!(step.undo.iter().any(|u| u.contains("delete-role-policy --role-name app")), "{step:?}");
    let left = ec2
        .describe_iam_instance_profile_associations()
        .filters(Filter::builder().name("instance-id").values(&instance).build())
        .send()
        .await
        .unwrap();
    assert!(
        !left.iam_instance_profile_associations().iter().any(|a| a.state().is_some_and(|s| s.as_str() == "associated")),
        "{left:?}"
    );
    let policy =
        iam.get_role_policy().role_name("app").policy_name("trailwarden-revoke-older-sessions").send().await.unwrap();
    assert!(policy.policy_document().contains("TokenIssueTime"), "{policy:?}");
    respond(&mut a, &only, Some(&r)).await;
    let again = status_of(&a.response, "ec2-remove-instance-profile");
    assert_eq!(again.status, StepStatus::Skipped, "{again:?}");
    assert!(again.note.contains("no instance profile"), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_action_is_reported_and_the_others_still_run() {
    let moto = Moto::start();
    let world = World::new(&moto).await;
    let (instance, _) = world.instance(&[]).await;
    // The role may not snapshot: EC2 refuses CreateSnapshot.
    let deny = support::faults::DenyOne::ec2_action("CreateSnapshot");
    let sdk = world.sdk.to_builder().http_client(deny.clone()).build();
    let settings = apply_settings();
    let r = AwsResponder::new(&sdk, MOTO_ACCOUNT, settings.clone(), Arc::new(InMemoryBudget::default())).at_time(NOW);
    let finding = "arn:aws:guardduty:us-east-1:123456789012:detector/d/finding/denied";
    let mut a = alert("guardduty-ec2-backdoor", finding, Resource::new(ResourceKind::EC2_INSTANCE, &instance));
    respond(&mut a, &settings, Some(&r)).await;
    let snap = status_of(&a.response, "ec2-snapshot");
    assert_eq!(snap.status, StepStatus::Failed, "{snap:#?}");
    assert!(snap.note.starts_with("CreateSnapshot: UnauthorizedOperation"), "{snap:#?}");
    assert!(deny.denied.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    for other in ["ec2-tag", "ec2-protect", "ec2-capture-metadata", "ec2-isolate"] {
        assert_eq!(status_of(&a.response, other).status, StepStatus::Applied, "{other}: {:#?}", a.response);
    }
    assert_eq!(world.eni_groups(&instance).await[0].len(), 1, "isolated despite the failed snapshot");

    // The failure is in the email (and its heading says so).
    let email = trailwarden::notify::render::render(std::slice::from_ref(&a), "prod").unwrap();
    assert!(email.text.contains("Response: 1 action(s) failed"), "{}", email.text);
    assert!(email.text.contains("[failed] ec2-snapshot"), "{}", email.text);
    assert!(email.html.contains("CreateSnapshot: UnauthorizedOperation"));
    trailwarden::notify::render::check_email(&email).unwrap();
}

#[test]
fn screenshot_request_is_built() {
    // moto has no GetConsoleScreenshot: check the request the action sends.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let conf = aws_sdk_ec2::Config::builder()
            .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
            .region(aws_sdk_ec2::config::Region::new("us-east-1"))
            .build();
        let ec2 = aws_sdk_ec2::Client::from_conf(conf);
        let req = trailwarden::respond::aws::screenshot_request(&ec2, "i-0123456789abcdef0");
        let input = req.as_input();
        assert_eq!(input.get_instance_id().as_deref(), Some("i-0123456789abcdef0"));
        assert_eq!(input.get_wake_up(), &Some(true));

        let ssm = aws_sdk_ssm::Client::from_conf(
            aws_sdk_ssm::Config::builder()
                .behavior_version(aws_sdk_ssm::config::BehaviorVersion::latest())
                .region(aws_sdk_ssm::config::Region::new("us-east-1"))
                .build(),
        );
        let req = trailwarden::respond::aws::forensics_request(&ssm, "i-0123456789abcdef0", "Acme-Volatile", "ir", "p");
        let input = req.as_input();
        assert_eq!(input.get_document_name().as_deref(), Some("Acme-Volatile"));
        assert_eq!(input.get_instance_ids().as_deref(), Some(&["i-0123456789abcdef0".to_string()][..]));
        assert_eq!(input.get_output_s3_bucket_name().as_deref(), Some("ir"));
    });
}
