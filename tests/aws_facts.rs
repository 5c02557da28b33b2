//! Live-state facts through the real SDK clients against moto's server, with real resources:
//! a VPC whose main route table reaches an internet gateway, subnets with and without their own
//! route tables, a security group, buckets with and without Block Public Access, an instance.
//! Questions are asked in the event's own region and account: labs are built in other regions
//! than the function's, and in another account (through moto's STS AssumeRole).
#![cfg(feature = "aws")]

mod support;

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange};
use support::{MOTO_ACCOUNT, Moto, fixture};
use trailwarden::facts::aws::{AwsFacts, FactSource, Unknown};
use trailwarden::facts::{Ask, Facts, Place, Question};
use trailwarden::lambda::handle;
use trailwarden::{Config, Engine};

struct Lab {
    public_by_main_table: String,
    private: String,
    public_ipv6: String,
    group: String,
    instance: String,
    /// Block Public Access all on.
    locked_bucket: String,
    /// No public-access block.
    open_bucket: String,
}

/// The lab, built with `sdk`'s credentials (its account) in its region.
async fn lab_in(sdk: &aws_config::SdkConfig) -> Lab {
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).build());
    build_lab(&aws_sdk_ec2::Client::new(sdk), &s3).await
}

fn place(account: &str, region: &str) -> Place {
    Place { account: account.into(), region: region.into() }
}

fn question(at: &Place, ask: Ask) -> Question {
    Question { place: at.clone(), ask }
}

async fn build_lab(ec2: &aws_sdk_ec2::Client, s3: &aws_sdk_s3::Client) -> Lab {
    let vpc = ec2.create_vpc().cidr_block("10.0.0.0/16").send().await.unwrap().vpc.unwrap().vpc_id.unwrap();
    let subnet = |cidr: &'static str| {
        let (ec2, vpc) = (ec2.clone(), vpc.clone());
        async move {
            let out = ec2.create_subnet().vpc_id(vpc).cidr_block(cidr).send().await.unwrap();
            out.subnet.unwrap().subnet_id.unwrap()
        }
    };
    let (public_by_main_table, private, public_ipv6) =
        (subnet("10.0.1.0/24").await, subnet("10.0.2.0/24").await, subnet("10.0.3.0/24").await);
    let igw =
        ec2.create_internet_gateway().send().await.unwrap().internet_gateway.unwrap().internet_gateway_id.unwrap();
    ec2.attach_internet_gateway().internet_gateway_id(&igw).vpc_id(&vpc).send().await.unwrap();
    let main = ec2
        .describe_route_tables()
        .filters(Filter::builder().name("vpc-id").values(&vpc).build())
        .filters(Filter::builder().name("association.main").values("true").build())
        .send()
        .await
        .unwrap();
    let main_id = main.route_tables()[0].route_table_id().unwrap().to_string();
    ec2.create_route()
        .route_table_id(&main_id)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .unwrap();
    // The private subnet has its own table with no way out; the IPv6 one routes ::/0 to the gateway.
    for (sub, ipv6) in [(&private, false), (&public_ipv6, true)] {
        let table =
            ec2.create_route_table().vpc_id(&vpc).send().await.unwrap().route_table.unwrap().route_table_id.unwrap();
        ec2.associate_route_table().route_table_id(&table).subnet_id(sub).send().await.unwrap();
        if ipv6 {
            ec2.create_route()
                .route_table_id(&table)
                .destination_ipv6_cidr_block("::/0")
                .gateway_id(&igw)
                .send()
                .await
                .unwrap();
        }
    }
    let group = ec2
        .create_security_group()
        .group_name("jump")
        .description("jump hosts")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .group_id
        .unwrap();
    let ssh = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(22)
        .to_port(22)
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build();
    ec2.authorize_security_group_ingress().group_id(&group).ip_permissions(ssh).send().await.unwrap();
    let image =
        ec2.describe_images().owners("amazon").send().await.unwrap().images()[0].image_id().unwrap().to_string();
    let run = ec2
        .run_instances()
        .image_id(image)
        .min_count(1)
        .max_count(1)
        .subnet_id(&public_by_main_table)
        .send()
        .await
        .unwrap();
    let instance = run.instances()[0].instance_id().unwrap().to_string();
    let eip = ec2.allocate_address().domain(aws_sdk_ec2::types::DomainType::Vpc).send().await.unwrap();
    ec2.associate_address().allocation_id(eip.allocation_id().unwrap()).instance_id(&instance).send().await.unwrap();

    // Bucket names are global: each lab has its own, in its own region.
    static LABS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = LABS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (open_bucket, locked_bucket) = (format!("open-bucket-{n}"), format!("locked-bucket-{n}"));
    let region = s3.config().region().map(|r| r.to_string()).unwrap_or_default();
    for bucket in [&open_bucket, &locked_bucket] {
        let mut create = s3.create_bucket().bucket(bucket);
        if region != "us-east-1" {
            let location = aws_sdk_s3::types::BucketLocationConstraint::from(region.as_str());
            create = create.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder().location_constraint(location).build(),
            );
        }
        create.send().await.unwrap();
    }
    let all_on = aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build();
    s3.put_public_access_block().bucket(&locked_bucket).public_access_block_configuration(all_on).send().await.unwrap();
    Lab { public_by_main_table, private, public_ipv6, group, instance, locked_bucket, open_bucket }
}

#[tokio::test(flavor = "multi_thread")]
async fn facts_match_the_real_resources() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let lab = lab_in(&sdk).await;
    let here = place(MOTO_ACCOUNT, "us-east-1");
    let facts = AwsFacts::new(&sdk, None).at(&here).await.unwrap();

    assert!(facts.subnet_public(&lab.public_by_main_table).await.unwrap(), "main route table reaches the gateway");
    assert!(!facts.subnet_public(&lab.private).await.unwrap(), "its own table has no route out");
    assert!(facts.subnet_public(&lab.public_ipv6).await.unwrap(), "::/0 to the gateway is public too");

    let group = facts.group(&lab.group).await.unwrap();
    let ssh: Vec<_> = group.ingress.iter().filter(|p| p.from_port == Some(22)).collect();
    assert_eq!(ssh.len(), 1, "{group:?}");
    assert_eq!((ssh[0].ip_protocol.as_str(), ssh[0].cidrs.clone()), ("tcp", vec!["0.0.0.0/0".to_string()]));

    assert_eq!(facts.bucket(&lab.locked_bucket).await.unwrap().public_access_block, Some([true; 4]));
    assert_eq!(facts.bucket(&lab.open_bucket).await.unwrap().public_access_block, None);

    let inst = facts.instance(&lab.instance).await.unwrap();
    assert_eq!(inst.subnets, std::slice::from_ref(&lab.public_by_main_table));
    assert_eq!(inst.public_ips.len(), 1, "the Elastic IP: {inst:?}");

    // All at once, concurrently; an unknown resource is left unknown, not an error.
    let missing = question(&here, Ask::SubnetIsPublic("subnet-00000000000000000".into()));
    let asked: BTreeSet<Question> = [
        question(&here, Ask::SubnetIsPublic(lab.private.clone())),
        question(&here, Ask::SecurityGroupIngress(lab.group.clone())),
        question(&here, Ask::BucketPublicAccess(lab.locked_bucket.clone())),
        question(&here, Ask::InstanceNetwork(lab.instance.clone())),
        missing.clone(),
    ]
    .into();
    let answers: Facts = AwsFacts::new(&sdk, None).answer(&asked).await;
    assert_eq!(answers.subnet_public(&lab.private), Some(false));
    assert!(answers.security_group_ingress(&lab.group).is_some());
    assert!(answers.bucket(&lab.locked_bucket).is_some() && answers.instance(&lab.instance).is_some());
    assert_eq!(answers.unanswered(&asked), [missing]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_handler_asks_the_facts_and_mails_what_they_reveal() {
    let moto = Moto::start();
    let (sdk, mailer) = moto.role_mailer().await;
    // The function runs in us-east-1; the events (eu-west-1) are about resources there.
    let lab = lab_in(&moto.sdk_in("eu-west-1").await).await;
    let engine = Engine::new(Config::default()).unwrap();
    let facts = AwsFacts::new(&sdk, None);
    let fixture = |p: &str| in_account(&fixture(p), MOTO_ACCOUNT);

    // A CreateSecurityGroup record for the group the lab opened to SSH.
    let created =
        fixture("ec2-sg-created-open-to-world/quiet_rules_unknown.json").replace("sg-0c1d2e3f4a5b60003", &lab.group);
    let summary = handle(&engine, &mailer, &facts, "prod", &created).await.unwrap();
    assert_eq!(summary.alerts, ["ec2-sg-created-open-to-world"]);
    let sent = moto.sent_messages();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0]["subject"]
            .as_str()
            .unwrap()
            .starts_with(&format!("[CRITICAL] Security group {} was created open", lab.group))
    );

    // An instance launched into the private subnet: asked, answered, quiet.
    let launch = fixture("ec2-instance-launched-public/quiet_subnet_unknown.json")
        .replace("subnet-0a1b2c3d4e5f60004", &lab.private);
    let summary = handle(&engine, &mailer, &facts, "prod", &launch).await.unwrap();
    // Both RunInstances rules look at it (a t3.micro is no accelerated type); neither alerts.
    assert_eq!(summary.rules_matched, ["ec2-accelerated-instances-launched", "ec2-instance-launched-public"]);
    assert!(summary.alerts.is_empty());
    // The same launch into the public subnet alerts.
    let launch = launch.replace(&lab.private, &lab.public_by_main_table);
    let summary = handle(&engine, &mailer, &facts, "prod", &launch).await.unwrap();
    assert_eq!(summary.alerts, ["ec2-instance-launched-public"]);
    assert_eq!(moto.sent_messages().len(), 2);

    // The instance (it has an Elastic IP) moved onto the SSH-open group: both facts are asked.
    let moved = fixture("ec2-instance-exposed-by-group-change/fires_public_instance_onto_open_groups.json")
        .replace("i-0a1b2c3d4e5f60777", &lab.instance)
        .replace("sg-0c1d2e3f4a5b60011", &lab.group);
    let summary = handle(&engine, &mailer, &facts, "prod", &moved).await.unwrap();
    assert_eq!(summary.alerts, ["ec2-instance-exposed-by-group-change"]);
    let sent = moto.sent_messages();
    assert!(
        sent[2]["subject"].as_str().unwrap().starts_with(&format!("[CRITICAL] Instance {}", lab.instance)),
        "{}",
        sent[2]
    );
}

/// The fixture's event, recorded in `account` instead.
fn in_account(event: &str, account: &str) -> String {
    let recorded = r#""recipientAccountId": "111122223333""#;
    assert!(event.contains(recorded), "the fixture's account changed: {event}");
    event.replace(recorded, &format!(r#""recipientAccountId": "{account}""#))
}

/// The fixture's event, in `region` instead of eu-west-1.
fn in_region(event: &str, region: &str) -> String {
    let recorded = r#""awsRegion": "eu-west-1""#;
    assert!(event.contains(recorded), "the fixture's region changed: {event}");
    event.replace(recorded, &format!(r#""awsRegion": "{region}""#))
}

/// Questions, answers and evaluation as the handler does them, without mailing.
async fn alerts(engine: &Engine, facts: &AwsFacts, payload: &str) -> (Vec<String>, Facts) {
    let raw = trailwarden::cloudtrail::input::parse_single(payload).unwrap();
    let event = trailwarden::Event::from_raw(&raw).unwrap();
    let questions = engine.questions(&event).unwrap();
    assert!(!questions.is_empty(), "the rules ask nothing of {payload}");
    let answers = facts.answer(&questions).await;
    let eval = engine.evaluate_with(&event, &answers);
    assert!(eval.errors.is_empty(), "{:?}", eval.errors);
    (eval.details.iter().map(|d| d.rule_id.to_string()).collect(), answers)
}

#[tokio::test(flavor = "multi_thread")]
async fn questions_are_asked_in_the_events_region() {
    let moto = Moto::start();
    // The function's own configuration is in eu-west-1, the alerting region; the resources are
    // in us-west-2, where the forwarder's event came from.
    let facts = AwsFacts::new(&moto.sdk_in("eu-west-1").await, None);
    let west = lab_in(&moto.sdk_in("us-west-2").await).await;
    let engine = Engine::new(Config::default()).unwrap();
    let launch = in_account(&fixture("ec2-instance-launched-public/quiet_subnet_unknown.json"), MOTO_ACCOUNT)
        .replace("subnet-0a1b2c3d4e5f60004", &west.public_by_main_table);

    let (fired, answers) = alerts(&engine, &facts, &in_region(&launch, "us-west-2")).await;
    assert_eq!(fired, ["ec2-instance-launched-public"]);
    assert_eq!(answers.subnet_public(&west.public_by_main_table), Some(true));

    // Asked in the function's own region (the old behaviour), the subnet does not exist there:
    // unknown, and the launch would have passed unnoticed.
    let (fired, answers) = alerts(&engine, &facts, &launch).await;
    assert!(fired.is_empty(), "{fired:?}");
    assert_eq!(answers.subnet_public(&west.public_by_main_table), None);
    let eu = facts.at(&place(MOTO_ACCOUNT, "eu-west-1")).await.unwrap();
    let e = eu.subnet_public(&west.public_by_main_table).await.unwrap_err();
    assert!(e.contains("InvalidSubnetID.NotFound"), "{e}");

    // Every kind of question follows its place, in one concurrent batch over two regions.
    let east = lab_in(&moto.sdk_in("eu-west-1").await).await;
    let (us, eu) = (place(MOTO_ACCOUNT, "us-west-2"), place(MOTO_ACCOUNT, "eu-west-1"));
    let asked: BTreeSet<Question> = [
        question(&us, Ask::InstanceNetwork(west.instance.clone())),
        question(&us, Ask::SecurityGroupIngress(west.group.clone())),
        question(&us, Ask::SubnetIsPublic(west.private.clone())),
        question(&eu, Ask::InstanceNetwork(east.instance.clone())),
        question(&eu, Ask::SubnetIsPublic(west.public_ipv6.clone())),
    ]
    .into();
    let answers = facts.answer(&asked).await;
    assert_eq!(answers.instance(&west.instance).map(|i| i.subnets.clone()), Some(vec![west.public_by_main_table]));
    assert_eq!(answers.instance(&east.instance).map(|i| i.subnets.clone()), Some(vec![east.public_by_main_table]));
    assert!(answers.security_group_ingress(&west.group).is_some());
    assert_eq!(answers.subnet_public(&west.private), Some(false));
    assert_eq!(answers.unanswered(&asked), [question(&eu, Ask::SubnetIsPublic(west.public_ipv6))]);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_account_is_unknown_without_a_role() {
    let moto = Moto::start();
    let other = "111122223333";
    let lab = lab_in(&moto.sdk_as(other, "eu-west-1").await).await;
    let facts = AwsFacts::new(&moto.sdk_in("eu-west-1").await, None);
    let engine = Engine::new(Config::default()).unwrap();
    assert_eq!(facts.own_account().await.unwrap(), MOTO_ACCOUNT);
    let before = moto.assumed_roles().len();

    // The fixture's own account is the other one: its launch into the lab's public subnet.
    let launch = fixture("ec2-instance-launched-public/quiet_subnet_unknown.json")
        .replace("subnet-0a1b2c3d4e5f60004", &lab.public_by_main_table);
    let (fired, answers) = alerts(&engine, &facts, &launch).await;
    assert!(fired.is_empty(), "{fired:?}");
    assert_eq!(answers, Facts::default());
    let there = place(other, "eu-west-1");
    assert_eq!(facts.at(&there).await.err(), Some(Unknown::OtherAccount(other.into())));
    assert_eq!(moto.assumed_roles().len(), before, "no role is assumed without facts_role_name");

    // Nor is it asked with the function's own credentials: they would not find it anyway.
    let mine = facts.at(&place(MOTO_ACCOUNT, "eu-west-1")).await.unwrap();
    assert!(mine.subnet_public(&lab.public_by_main_table).await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_role_another_account_is_asked_through_it() {
    let moto = Moto::start();
    let other = "111122223333";
    let (eu, us) =
        (lab_in(&moto.sdk_as(other, "eu-west-1").await).await, lab_in(&moto.sdk_as(other, "us-west-2").await).await);
    let mine = lab_in(&moto.sdk_in("eu-west-1").await).await;
    let facts = AwsFacts::new(&moto.sdk_in("eu-west-1").await, Some("trailwarden-facts"));
    let engine = Engine::new(Config::default()).unwrap();

    let launch = fixture("ec2-instance-launched-public/quiet_subnet_unknown.json")
        .replace("subnet-0a1b2c3d4e5f60004", &eu.public_by_main_table);
    let (fired, answers) = alerts(&engine, &facts, &launch).await;
    assert_eq!(fired, ["ec2-instance-launched-public"]);
    assert_eq!(answers.subnet_public(&eu.public_by_main_table), Some(true));

    // Many first uses at once, in two regions of the account and in the function's own: the
    // role is assumed once, and the own account is asked with the function's credentials.
    let (there_eu, there_us, home) =
        (place(other, "eu-west-1"), place(other, "us-west-2"), place(MOTO_ACCOUNT, "eu-west-1"));
    let asked: BTreeSet<Question> = [
        question(&there_us, Ask::SubnetIsPublic(us.private.clone())),
        question(&there_us, Ask::InstanceNetwork(us.instance.clone())),
        question(&there_us, Ask::SecurityGroupIngress(us.group.clone())),
        question(&there_us, Ask::BucketPublicAccess(us.locked_bucket.clone())),
        question(&there_eu, Ask::InstanceNetwork(eu.instance.clone())),
        question(&home, Ask::InstanceNetwork(mine.instance.clone())),
    ]
    .into();
    let fresh = AwsFacts::new(&moto.sdk_in("eu-west-1").await, Some("trailwarden-facts"));
    let before = moto.assumed_roles().len();
    let batches: Vec<_> = (0..4)
        .map(|_| {
            let (f, a) = (fresh.clone(), asked.clone());
            tokio::spawn(async move { f.answer(&a).await })
        })
        .collect();
    for batch in batches {
        let answers = batch.await.unwrap();
        assert_eq!(answers.unanswered(&asked), [], "{answers:?}");
        assert_eq!(answers.subnet_public(&us.private), Some(false));
        assert_eq!(answers.bucket(&us.locked_bucket).and_then(|b| b.public_access_block), Some([true; 4]));
    }
    let roles = moto.assumed_roles();
    let ours: Vec<_> = roles[before..]
        .iter()
        .map(|r| (r["role_arn"].as_str().unwrap(), r["session_name"].as_str().unwrap()))
        .collect();
    assert_eq!(ours, [("arn:aws:iam::111122223333:role/trailwarden-facts", "trailwarden-facts")]);
}

#[tokio::test]
async fn without_its_own_account_the_function_asks_nothing() {
    // Nothing listens on the port: STS GetCallerIdentity fails, so no account is known to be
    // the function's own, and no question is asked anywhere (not even with the role).
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-west-1"))
        .endpoint_url(format!("http://127.0.0.1:{}", support::free_port()))
        .credentials_provider(aws_sdk_ec2::config::Credentials::new("testing", "testing", None, None, "test"))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    let facts = AwsFacts::new(&sdk, Some("trailwarden-facts"));
    let e = facts.at(&place(MOTO_ACCOUNT, "eu-west-1")).await.err();
    assert!(matches!(&e, Some(Unknown::Failed(m)) if m.starts_with("GetCallerIdentity: ")), "{e:?}");
    let asked: BTreeSet<Question> =
        [question(&place("111122223333", "us-west-2"), Ask::SubnetIsPublic("subnet-0a1b2c3d4e5f60004".into()))].into();
    assert_eq!(facts.answer(&asked).await, Facts::default());
}
