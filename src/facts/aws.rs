//! Answers to the rules' live-state questions through the AWS SDK (feature `aws`), for the
//! Lambda. Every question of one event is asked concurrently and answered once per invocation;
//! a call that fails leaves its question unknown (logged, never fatal): each rule documents what
//! it does with an unknown answer.
//!
//! A question is asked where its event happened ([`Place`]): the forwarder sends every region's
//! events to one alerting region, and an instance launched in us-west-2 exists only there. The
//! EC2 and S3 clients of each (account, region) are made on first use and kept for the
//! container. The function's own account comes from STS `GetCallerIdentity`, asked once (it
//! needs no permission and cannot be misconfigured, unlike a setting). Another account is asked
//! only through the configured role (`facts_role_name`, assumed as
//! `arn:<partition>:iam::<account>:role/<name>`); without one its questions stay unknown, logged
//! once per account, rather than asked with credentials that cannot see it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use aws_config::SdkConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_sdk_ec2::types::{Filter, IpPermission};
use aws_sdk_s3::config::SharedCredentialsProvider;
use tokio::sync::OnceCell;
use tokio::task::JoinSet;

use crate::facts::{Ask, BucketFacts, Facts, GroupFacts, InstanceFacts, Permission, Place, Question, SubnetFacts};

/// Something that answers facts questions: the SDK in the Lambda, a fixed [`Facts`] elsewhere.
pub trait FactSource: Send + Sync {
    fn answer(&self, questions: &BTreeSet<Question>) -> impl Future<Output = Facts> + Send;
}

/// Fixed answers (a facts file, or none at all), keyed by resource id whatever the place asked.
impl FactSource for Facts {
    async fn answer(&self, _questions: &BTreeSet<Question>) -> Facts {
        self.clone()
    }
}

/// Live answers from EC2 and S3, in each question's own account and region.
#[derive(Clone)]
pub struct AwsFacts {
    shared: Arc<Shared>,
}

struct Shared {
    /// The function's own configuration: credentials, retries, endpoint; the region is replaced
    /// by each question's.
    sdk: SdkConfig,
    role_name: Option<String>,
    /// A failed lookup is not kept, so the next question tries again.
    own_account: OnceCell<String>,
    /// Per other account, the assumed role's credentials, shared by its regions' clients so
    /// the role is assumed once (the SDK's identity cache keeps them until they expire).
    roles: Cells<String, SharedCredentialsProvider>,
    clients: Cells<Place, PlaceClients>,
    /// Accounts already logged as unreachable without a role.
    warned: Mutex<HashSet<String>>,
}

/// One cell per key, so that concurrent first uses build one value: the map's lock is held only
/// to find the cell, the cell's own initialisation makes the others wait.
type Cells<K, V> = Mutex<HashMap<K, Arc<OnceCell<V>>>>;

fn cell<K: Eq + Hash + Clone, V>(cells: &Cells<K, V>, key: &K) -> Arc<OnceCell<V>> {
    let mut map = cells.lock().unwrap_or_else(PoisonError::into_inner);
    Arc::clone(map.entry(key.clone()).or_default())
}

/// Why a question was not answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unknown {
    /// The event's account is not the function's own and no role is configured to reach it.
    #[error("account {0} is not the function's own and no facts_role_name is configured")]
    OtherAccount(String),
    /// The place is not one the SDK can be pointed at.
    #[error("{0}")]
    BadPlace(String),
    /// A call failed (the SDK's error, or the resource does not exist there).
    #[error("{0}")]
    Failed(String),
}

impl From<String> for Unknown {
    fn from(message: String) -> Self {
        Unknown::Failed(message)
    }
}

impl From<&str> for Unknown {
    fn from(message: &str) -> Self {
        Unknown::Failed(message.to_string())
    }
}

/// The EC2 and S3 clients of one account and region.
#[derive(Clone)]
pub struct PlaceClients {
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
    /// Facts through `sdk`'s credentials in its own account, and through the role `role_name`
    /// (see [`crate::Config::facts_role_name`]) in any other.
    pub fn new(sdk: &SdkConfig, role_name: Option<&str>) -> Self {
        AwsFacts {
            shared: Arc::new(Shared {
                sdk: sdk.clone(),
                role_name: role_name.map(str::to_string),
                own_account: OnceCell::new(),
                roles: Mutex::default(),
                clients: Mutex::default(),
                warned: Mutex::default(),
            }),
        }
    }

    /// The function's own account (STS GetCallerIdentity, asked once per container).
    pub async fn own_account(&self) -> Result<String, Unknown> {
        let sts = || aws_sdk_sts::Client::new(&self.shared.sdk);
        let account = self
            .shared
            .own_account
            .get_or_try_init(|| async {
                let me = sts().get_caller_identity().send().await.map_err(|e| sdk_error("GetCallerIdentity", e))?;
                me.account()
                    .map(str::to_string)
                    .ok_or_else(|| Unknown::from("GetCallerIdentity: no account in the answer"))
            })
            .await?;
        Ok(account.clone())
    }

    /// The clients that ask in `place`: the function's own credentials in its own account, the
    /// assumed role in another, and [`Unknown::OtherAccount`] when no role is configured.
    pub async fn at(&self, place: &Place) -> Result<PlaceClients, Unknown> {
        let partition = check_place(place)?;
        let own = place.account == self.own_account().await?;
        let role = match (&self.shared.role_name, own) {
            (_, true) => None,
            (Some(name), false) => Some(format!("arn:{partition}:iam::{}:role/{name}", place.account)),
            (None, false) => {
                let first =
                    self.shared.warned.lock().unwrap_or_else(PoisonError::into_inner).insert(place.account.clone());
                if first {
                    tracing::warn!(
                        account = %place.account,
                        "live-state facts about this account stay unknown: it is not the function's own and no facts_role_name is configured"
                    );
                }
                return Err(Unknown::OtherAccount(place.account.clone()));
            }
        };
        let clients = cell(&self.shared.clients, place);
        let clients = clients
            .get_or_init(|| async {
                let mut conf = self.shared.sdk.to_builder().region(aws_config::Region::new(place.region.clone()));
                if let Some(arn) = role {
                    conf = conf.credentials_provider(self.assumed(&place.account, arn).await);
                }
                PlaceClients::new(&conf.build())
            })
            .await;
        Ok(clients.clone())
    }

    /// The role's credentials in `account`, one provider per account.
    async fn assumed(&self, account: &str, arn: String) -> SharedCredentialsProvider {
        let role = cell(&self.shared.roles, &account.to_string());
        let provider = role
            .get_or_init(|| async {
                let provider = AssumeRoleProvider::builder(arn)
                    .session_name("trailwarden-facts")
                    .configure(&self.shared.sdk)
                    .build()
                    .await;
                SharedCredentialsProvider::new(provider)
            })
            .await;
        provider.clone()
    }

    async fn ask(self, q: Question) -> Result<Answer, Unknown> {
        let here = self.at(&q.place).await?;
        Ok(match q.ask {
            Ask::SubnetIsPublic(id) => {
                let public = here.subnet_public(&id).await?;
                Answer::Subnet(id, SubnetFacts { public })
            }
            Ask::SecurityGroupIngress(id) => {
                let group = here.group(&id).await?;
                Answer::Group(id, group)
            }
            Ask::BucketPublicAccess(id) => {
                let bucket = here.bucket(&id).await?;
                Answer::Bucket(id, bucket)
            }
            Ask::InstanceNetwork(id) => {
                let instance = here.instance(&id).await?;
                Answer::Instance(id, instance)
            }
        })
    }
}

/// The place's partition, when its region and account can go into an endpoint and a role ARN.
fn check_place(place: &Place) -> Result<&'static str, Unknown> {
    let account_ok = place.account.len() == 12 && place.account.bytes().all(|b| b.is_ascii_digit());
    if !account_ok {
        let shown = crate::text::one_line(&place.account);
        return Err(Unknown::BadPlace(format!("`{shown}` is not an AWS account id")));
    }
    // Region names are lowercase words and a number (`us-west-2`, `us-gov-east-1`); anything else
    // would end up in an endpoint's host name.
    let region_ok = place.region.rsplit_once('-').is_some_and(|(words, number)| {
        (1..=2).contains(&number.len())
            && number.bytes().all(|b| b.is_ascii_digit())
            && words.split('-').count() >= 2
            && words.split('-').all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
    });
    if !region_ok {
        let shown = crate::text::one_line(&place.region);
        return Err(Unknown::BadPlace(format!("`{shown}` is not an AWS region")));
    }
    Ok(partition(&place.region))
}

/// The ARN partition a region belongs to (a role is assumed within the caller's partition).
fn partition(region: &str) -> &'static str {
    match region.split('-').take(2).collect::<Vec<_>>()[..] {
        ["cn", _] => "aws-cn",
        ["us", "gov"] => "aws-us-gov",
        ["us", "iso"] => "aws-iso",
        ["us", "isob"] => "aws-iso-b",
        _ => "aws",
    }
}

impl PlaceClients {
    fn new(conf: &SdkConfig) -> Self {
        let s3 = aws_sdk_s3::config::Builder::from(conf).force_path_style(true).build();
        PlaceClients { ec2: aws_sdk_ec2::Client::new(conf), s3: aws_sdk_s3::Client::from_conf(s3) }
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
                // Logged once per account when first met.
                Ok((q, Err(error @ Unknown::OtherAccount(_)))) => {
                    tracing::debug!(question = ?q, %error, "fact unknown")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(account: &str, region: &str) -> Result<&'static str, Unknown> {
        check_place(&Place { account: account.into(), region: region.into() })
    }

    #[test]
    fn places_become_endpoints_and_role_arns_only_when_well_formed() {
        for (region, partition) in [
            ("us-west-2", "aws"),
            ("eu-central-2", "aws"),
            ("ap-southeast-5", "aws"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-east-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
        ] {
            assert_eq!(at("111122223333", region), Ok(partition), "{region}");
        }
        for region in [
            "",
            "us",
            "us-1",
            "us-west-",
            "US-WEST-2",
            "us-west-2.evil.example",
            "us-west-2/x",
            "us--west-2",
            "us-west-123",
            "us-west-2\u{1b}[2J",
        ] {
            let e = at("111122223333", region).unwrap_err();
            assert!(
                matches!(&e, Unknown::BadPlace(m) if m.ends_with("is not an AWS region") && !m.contains('\u{1b}')),
                "{region:?}: {e}"
            );
        }
        for account in ["", "11112222333", "1111222233334", "11112222333a", "arn:aws:iam"] {
            let e = at(account, "us-west-2").unwrap_err();
            assert!(matches!(&e, Unknown::BadPlace(m) if m.ends_with("is not an AWS account id")), "{account:?}: {e}");
        }
    }
}
