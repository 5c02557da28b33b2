//! Answers to the rules' live-state questions through the AWS SDK (feature `aws`), for the
//! Lambda. Every question of one event is asked concurrently and answered once per invocation;
//! a call that fails leaves its question unknown (logged, never fatal): each rule documents what
//! it does with an unknown answer.

use std::collections::BTreeSet;
use std::future::Future;

use aws_sdk_ec2::types::{Filter, IpPermission};
use tokio::task::JoinSet;

use crate::facts::{BucketFacts, Facts, GroupFacts, InstanceFacts, Permission, Question, SubnetFacts};

/// Something that answers facts questions: the SDK in the Lambda, a fixed [`Facts`] elsewhere.
pub trait FactSource: Send + Sync {
    fn answer(&self, questions: &BTreeSet<Question>) -> impl Future<Output = Facts> + Send;
}

/// Fixed answers (a facts file, or none at all).
impl FactSource for Facts {
    async fn answer(&self, _questions: &BTreeSet<Question>) -> Facts {
        self.clone()
    }
}

/// Live answers from EC2 and S3.
#[derive(Clone)]
pub struct AwsFacts {
    ec2: aws_sdk_ec2::Client,
    s3: aws_sdk_s3::Client,
}

/// One answered question.
enum Answer {
    Subnet(String, SubnetFacts),
    Group(String, GroupFacts),
    Bucket(String, BucketFacts),
    Instance(String, InstanceFacts),
}

impl AwsFacts {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        let s3 = aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).build();
        AwsFacts { ec2: aws_sdk_ec2::Client::new(sdk), s3: aws_sdk_s3::Client::from_conf(s3) }
    }

    async fn ask(self, q: Question) -> Result<Answer, String> {
        match q {
            Question::SubnetIsPublic(id) => {
                Ok(Answer::Subnet(id.clone(), SubnetFacts { public: self.subnet_public(&id).await? }))
            }
            Question::SecurityGroupIngress(id) => Ok(Answer::Group(id.clone(), self.group(&id).await?)),
            Question::BucketPublicAccess(id) => Ok(Answer::Bucket(id.clone(), self.bucket(&id).await?)),
            Question::InstanceNetwork(id) => Ok(Answer::Instance(id.clone(), self.instance(&id).await?)),
        }
    }

    /// Public when the subnet's route table (its own, else the VPC's main one) sends
    /// `0.0.0.0/0` or `::/0` to an internet gateway.
    pub async fn subnet_public(&self, subnet: &str) -> Result<bool, String> {
        let filter = |name: &str, value: &str| Filter::builder().name(name).values(value).build();
        let own = self
            .ec2
            .describe_route_tables()
            .filters(filter("association.subnet-id", subnet))
            .send()
            .await
            .map_err(|e| sdk_error("DescribeRouteTables", e))?;
        let mut tables = own.route_tables().to_vec();
        if tables.is_empty() {
            let subnets = self
                .ec2
                .describe_subnets()
                .subnet_ids(subnet)
                .send()
                .await
                .map_err(|e| sdk_error("DescribeSubnets", e))?;
            let vpc = subnets.subnets().first().and_then(|s| s.vpc_id()).ok_or("subnet not found")?.to_string();
            let main = self
                .ec2
                .describe_route_tables()
                .filters(filter("vpc-id", &vpc))
                .filters(filter("association.main", "true"))
                .send()
                .await
                .map_err(|e| sdk_error("DescribeRouteTables", e))?;
            tables = main.route_tables().to_vec();
        }
        Ok(tables.iter().flat_map(|t| t.routes()).any(|r| {
            let to_world =
                r.destination_cidr_block() == Some("0.0.0.0/0") || r.destination_ipv6_cidr_block() == Some("::/0");
            to_world && r.gateway_id().is_some_and(|g| g.starts_with("igw-"))
        }))
    }

    pub async fn group(&self, group: &str) -> Result<GroupFacts, String> {
        let out = self
            .ec2
            .describe_security_groups()
            .group_ids(group)
            .send()
            .await
            .map_err(|e| sdk_error("DescribeSecurityGroups", e))?;
        let sg = out.security_groups().first().ok_or("security group not found")?;
        Ok(GroupFacts { ingress: sg.ip_permissions().iter().map(permission).collect() })
    }

    pub async fn bucket(&self, bucket: &str) -> Result<BucketFacts, String> {
        use aws_sdk_s3::error::ProvideErrorMetadata;
        let block = match self.s3.get_public_access_block().bucket(bucket).send().await {
            Ok(out) => out.public_access_block_configuration().map(|c| {
                [
                    c.block_public_acls().unwrap_or(false),
                    c.ignore_public_acls().unwrap_or(false),
                    c.block_public_policy().unwrap_or(false),
                    c.restrict_public_buckets().unwrap_or(false),
                ]
            }),
            Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => None,
            Err(e) => return Err(sdk_error("GetPublicAccessBlock", e)),
        };
        let policy = match self.s3.get_bucket_policy_status().bucket(bucket).send().await {
            Ok(out) => out.policy_status().and_then(|s| s.is_public()),
            Err(e) if e.code() == Some("NoSuchBucketPolicy") => None,
            Err(e) => return Err(sdk_error("GetBucketPolicyStatus", e)),
        };
        Ok(BucketFacts { public_access_block: block, policy_is_public: policy })
    }

    pub async fn instance(&self, instance: &str) -> Result<InstanceFacts, String> {
        let out = self
            .ec2
            .describe_instances()
            .instance_ids(instance)
            .send()
            .await
            .map_err(|e| sdk_error("DescribeInstances", e))?;
        let inst = out.reservations().iter().flat_map(|r| r.instances()).next().ok_or("instance not found")?;
        let mut facts = InstanceFacts::default();
        facts.public_ips.extend(inst.public_ip_address().map(str::to_string));
        facts.subnets.extend(inst.subnet_id().map(str::to_string));
        for ni in inst.network_interfaces() {
            facts.public_ips.extend(ni.association().and_then(|a| a.public_ip()).map(str::to_string));
            facts.subnets.extend(ni.subnet_id().map(str::to_string));
        }
        facts.public_ips.sort();
        facts.public_ips.dedup();
        facts.subnets.sort();
        facts.subnets.dedup();
        Ok(facts)
    }
}

impl FactSource for AwsFacts {
    async fn answer(&self, questions: &BTreeSet<Question>) -> Facts {
        let mut calls = JoinSet::new();
        for q in questions {
            let (this, q) = (self.clone(), q.clone());
            calls.spawn(async move { (q.clone(), this.ask(q).await) });
        }
        let mut facts = Facts::default();
        while let Some(done) = calls.join_next().await {
            match done {
                Ok((_, Ok(Answer::Subnet(id, a)))) => {
                    facts.subnets.insert(id, a);
                }
                Ok((_, Ok(Answer::Group(id, a)))) => {
                    facts.security_groups.insert(id, a);
                }
                Ok((_, Ok(Answer::Bucket(id, a)))) => {
                    facts.buckets.insert(id, a);
                }
                Ok((_, Ok(Answer::Instance(id, a)))) => {
                    facts.instances.insert(id, a);
                }
                Ok((q, Err(error))) => tracing::warn!(question = ?q, %error, "fact unknown"),
                Err(error) => tracing::warn!(%error, "fact lookup task failed"),
            }
        }
        facts
    }
}

fn permission(p: &IpPermission) -> Permission {
    let mut cidrs: Vec<String> = p.ip_ranges().iter().filter_map(|r| r.cidr_ip().map(str::to_string)).collect();
    cidrs.extend(p.ipv6_ranges().iter().filter_map(|r| r.cidr_ipv6().map(str::to_string)));
    Permission {
        ip_protocol: p.ip_protocol().unwrap_or("-1").to_string(),
        from_port: p.from_port().map(i64::from),
        to_port: p.to_port().map(i64::from),
        cidrs,
    }
}

fn sdk_error<E, R>(call: &str, e: aws_sdk_ec2::error::SdkError<E, R>) -> String
where
    E: aws_sdk_ec2::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    format!("{call}: {}", crate::notify::ses::sdk_error_text(&e))
}
