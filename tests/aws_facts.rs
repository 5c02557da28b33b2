//! Live-state facts through the real SDK clients against moto's server, with real resources:
//! a VPC whose main route table reaches an internet gateway, subnets with and without their own
//! route tables, a security group, buckets with and without Block Public Access, an instance.
#![cfg(feature = "aws")]

mod support;

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange};
use support::Moto;
use trailwarden::facts::aws::{AwsFacts, FactSource};
use trailwarden::facts::{Facts, Question};
use trailwarden::lambda::handle;
use trailwarden::notify::ses::SesMailer;
use trailwarden::{Config, Engine};

struct Lab {
    public_by_main_table: String,
    private: String,
    public_ipv6: String,
    group: String,
    instance: String,
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

    for bucket in ["open-bucket", "locked-bucket"] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
    }
    let all_on = aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build();
    s3.put_public_access_block()
        .bucket("locked-bucket")
        .public_access_block_configuration(all_on)
        .send()
        .await
        .unwrap();
    Lab { public_by_main_table, private, public_ipv6, group, instance }
}

#[tokio::test(flavor = "multi_thread")]
async fn facts_match_the_real_resources() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    let lab = build_lab(&aws_sdk_ec2::Client::new(&sdk), &s3).await;
    let facts = AwsFacts::new(&sdk);

    assert!(facts.subnet_public(&lab.public_by_main_table).await.unwrap(), "main route table reaches the gateway");
    assert!(!facts.subnet_public(&lab.private).await.unwrap(), "its own table has no route out");
    assert!(facts.subnet_public(&lab.public_ipv6).await.unwrap(), "::/0 to the gateway is public too");

    let group = facts.group(&lab.group).await.unwrap();
    let ssh: Vec<_> = group.ingress.iter().filter(|p| p.from_port == Some(22)).collect();
    assert_eq!(ssh.len(), 1, "{group:?}");
    assert_eq!((ssh[0].ip_protocol.as_str(), ssh[0].cidrs.clone()), ("tcp", vec!["0.0.0.0/0".to_string()]));

    assert_eq!(facts.bucket("locked-bucket").await.unwrap().public_access_block, Some([true; 4]));
    assert_eq!(facts.bucket("open-bucket").await.unwrap().public_access_block, None);

    let inst = facts.instance(&lab.instance).await.unwrap();
    assert_eq!(inst.subnets, std::slice::from_ref(&lab.public_by_main_table));
    assert_eq!(inst.public_ips.len(), 1, "the Elastic IP: {inst:?}");

    // All at once, concurrently; an unknown resource is left unknown, not an error.
    let asked: BTreeSet<Question> = [
        Question::SubnetIsPublic(lab.private.clone()),
        Question::SecurityGroupIngress(lab.group.clone()),
        Question::BucketPublicAccess("locked-bucket".into()),
        Question::InstanceNetwork(lab.instance.clone()),
        Question::SubnetIsPublic("subnet-00000000000000000".into()),
    ]
    .into();
    let answers: Facts = facts.answer(&asked).await;
    assert_eq!(answers.subnet_public(&lab.private), Some(false));
    assert!(answers.security_group_ingress(&lab.group).is_some());
    assert!(answers.bucket("locked-bucket").is_some() && answers.instance(&lab.instance).is_some());
    assert_eq!(answers.unanswered(&asked), [Question::SubnetIsPublic("subnet-00000000000000000".into())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_handler_asks_the_facts_and_mails_what_they_reveal() {
    let moto = Moto::start();
    let sdk = moto
        .prepare(
            "alerts@example.com",
            "trailwarden/sender",
            Some(r#"{"EMAIL_FROM":"alerts@example.com","ACCESS_KEY":"NA","ACCESS_SECRET_KEY":"NA"}"#),
        )
        .await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    let lab = build_lab(&aws_sdk_ec2::Client::new(&sdk), &s3).await;
    let mailer = SesMailer::new(
        &sdk,
        aws_sdk_secretsmanager::Client::new(&sdk),
        "trailwarden/sender",
        vec!["secops@example.com".into()],
    );
    let engine = Engine::new(Config::default()).unwrap();
    let facts = AwsFacts::new(&sdk);
    let fixture =
        |p: &str| std::fs::read_to_string(format!("{}/testdata/events/{p}", env!("CARGO_MANIFEST_DIR"))).unwrap();

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
    assert_eq!(summary.rules_matched, ["ec2-instance-launched-public"]);
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
