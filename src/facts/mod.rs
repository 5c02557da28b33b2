//! Facts: what a rule may ask about the live state of the account (is this subnet public? which
//! rules does this security group have now?). Rules never call AWS: a rule names its questions for
//! an event ([`crate::rule::Rule::needs`]), the caller answers them all at once (the Lambda through
//! the SDK; replay from a `--facts` file), and the check reads the answers. A question nobody
//! answered is *unknown*, and every rule documents what it does then.
//!
//! A question is asked where its event happened: the event's account (`recipientAccountId`)
//! and region (`awsRegion`), its [`Place`]. The Lambda asks each region's endpoints, and another
//! account only through a configured role (see [`aws`]); the answers of one event are keyed by
//! resource id, since all its questions share one place.
//!
//! The facts file (JSON) holds whatever is known, keyed by resource id whatever the account or
//! region (ids are unique enough for replaying a trail; a facts file answers every place):
//!
//! ```json
//! {
//!   "subnets": { "subnet-0a1b": { "public": true } },
//!   "security_groups": { "sg-0a1b": { "ingress": [
//!       { "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrs": ["0.0.0.0/0"] } ] } },
//!   "buckets": { "acme-logs": { "public_access_block": [true, true, true, true], "policy_is_public": false } },
//!   "instances": { "i-0a1b": { "public_ips": ["203.0.113.10"], "subnets": ["subnet-0a1b"] } }
//! }
//! ```

#[cfg(feature = "aws")]
pub mod aws;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::analysis::network::{Grant, Proto};
use crate::cloudtrail::event::Event;

/// Where a question is asked: the account and region its event happened in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Place {
    pub account: String,
    pub region: String,
}

impl Place {
    /// The event's own account and region.
    pub fn of(ev: &Event) -> Place {
        Place { account: ev.account_id.to_string(), region: ev.aws_region.to_string() }
    }
}

/// One question a rule asks about an event's resources, where the event happened.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Question {
    pub place: Place,
    pub ask: Ask,
}

impl Question {
    /// Is the subnet public, asked in `ev`'s account and region?
    pub fn subnet_is_public(ev: &Event, subnet: impl Into<String>) -> Question {
        Question { place: Place::of(ev), ask: Ask::SubnetIsPublic(subnet.into()) }
    }

    /// The security group's current ingress, asked in `ev`'s account and region.
    pub fn security_group_ingress(ev: &Event, group: impl Into<String>) -> Question {
        Question { place: Place::of(ev), ask: Ask::SecurityGroupIngress(group.into()) }
    }

    /// The bucket's public-access settings, asked in `ev`'s account and region.
    pub fn bucket_public_access(ev: &Event, bucket: impl Into<String>) -> Question {
        Question { place: Place::of(ev), ask: Ask::BucketPublicAccess(bucket.into()) }
    }

    /// The instance's network placement, asked in `ev`'s account and region.
    pub fn instance_network(ev: &Event, instance: impl Into<String>) -> Question {
        Question { place: Place::of(ev), ask: Ask::InstanceNetwork(instance.into()) }
    }
}

/// What a [`Question`] asks, about which resource (by id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Ask {
    /// Does the subnet's route table (its own, or the VPC's main one) route 0.0.0.0/0 or ::/0
    /// to an internet gateway?
    SubnetIsPublic(String),
    /// The security group's current ingress rules.
    SecurityGroupIngress(String),
    /// The bucket's public-access block and policy status.
    BucketPublicAccess(String),
    /// An instance's network interfaces: public IPs and subnets.
    InstanceNetwork(String),
}

/// A security-group permission as the facts hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    /// `tcp`, `udp`, `icmp`, `-1`, or a protocol number.
    pub ip_protocol: String,
    #[serde(default)]
    pub from_port: Option<i64>,
    #[serde(default)]
    pub to_port: Option<i64>,
    /// IPv4 and IPv6 CIDRs (group and prefix-list sources are not address ranges and are left out).
    #[serde(default)]
    pub cidrs: Vec<String>,
}

/// What is known of a bucket's exposure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketFacts {
    /// BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets; `None`: no
    /// public-access block configured on the bucket.
    #[serde(default)]
    pub public_access_block: Option<[bool; 4]>,
    /// S3's own judgement of the bucket policy (GetBucketPolicyStatus); `None`: no policy.
    #[serde(default)]
    pub policy_is_public: Option<bool>,
}

/// What is known of an instance's network placement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceFacts {
    #[serde(default)]
    pub public_ips: Vec<String>,
    #[serde(default)]
    pub subnets: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubnetFacts {
    pub public: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupFacts {
    #[serde(default)]
    pub ingress: Vec<Permission>,
}

/// The answers known for one evaluation, by resource id; anything absent is unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    #[serde(default)]
    pub subnets: BTreeMap<String, SubnetFacts>,
    #[serde(default)]
    pub security_groups: BTreeMap<String, GroupFacts>,
    #[serde(default)]
    pub buckets: BTreeMap<String, BucketFacts>,
    #[serde(default)]
    pub instances: BTreeMap<String, InstanceFacts>,
}

/// A facts file that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("facts file {path}: {message}")]
pub struct FactsError {
    pub path: String,
    pub message: String,
}

impl Facts {
    /// Reads a facts file (JSON, see the module docs).
    pub fn from_file(path: &Path) -> Result<Self, FactsError> {
        let shown = path.display().to_string();
        let err = |message: String| FactsError { path: shown.clone(), message };
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        let facts: Facts = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        for (id, group) in &facts.security_groups {
            group.grants().map_err(|m| err(format!("security group {id}: {m}")))?;
        }
        Ok(facts)
    }

    /// `Some(public?)`, or `None` when unknown.
    pub fn subnet_public(&self, subnet: &str) -> Option<bool> {
        self.subnets.get(subnet).map(|s| s.public)
    }

    /// The group's current ingress as grants, or `None` when unknown.
    pub fn security_group_ingress(&self, group: &str) -> Option<Vec<Grant>> {
        self.security_groups.get(group).and_then(|g| g.grants().ok())
    }

    pub fn bucket(&self, bucket: &str) -> Option<&BucketFacts> {
        self.buckets.get(bucket)
    }

    pub fn instance(&self, instance: &str) -> Option<&InstanceFacts> {
        self.instances.get(instance)
    }

    /// The questions of `asked` this holds no answer for.
    pub fn unanswered(&self, asked: &BTreeSet<Question>) -> Vec<Question> {
        asked
            .iter()
            .filter(|q| match &q.ask {
                Ask::SubnetIsPublic(id) => !self.subnets.contains_key(id),
                Ask::SecurityGroupIngress(id) => !self.security_groups.contains_key(id),
                Ask::BucketPublicAccess(id) => !self.buckets.contains_key(id),
                Ask::InstanceNetwork(id) => !self.instances.contains_key(id),
            })
            .cloned()
            .collect()
    }
}

impl GroupFacts {
    /// The permissions as [`Grant`]s for [`crate::analysis::network::exposures`].
    pub fn grants(&self) -> Result<Vec<Grant>, String> {
        self.ingress
            .iter()
            .map(|p| {
                let proto = Proto::parse(&p.ip_protocol)?;
                let port = |v: Option<i64>, default: u16| match v {
                    None | Some(-1) => Ok(default),
                    Some(n) => u16::try_from(n).map_err(|_| format!("{n} is not a port number")),
                };
                let mut g =
                    Grant { proto, from: port(p.from_port, 0)?, to: port(p.to_port, u16::MAX)?, ..Grant::default() };
                for c in &p.cidrs {
                    match c.parse::<ipnet::IpNet>() {
                        Ok(ipnet::IpNet::V4(n)) => g.v4.push(n),
                        Ok(ipnet::IpNet::V6(n)) => g.v6.push(n),
                        Err(_) => return Err(format!("`{c}` is not a CIDR range")),
                    }
                }
                Ok(g)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAUNCH: &str = "testdata/events/ec2-instance-launched-public/fires_into_public_subnet";

    #[test]
    fn questions_carry_the_events_place_and_a_facts_file_answers_any_place() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join(format!("{LAUNCH}.json"))).unwrap();
        let raw = crate::cloudtrail::input::parse_single(&text).unwrap();
        let ev = Event::from_raw(&raw).unwrap();
        let q = Question::subnet_is_public(&ev, "subnet-0a1b2c3d4e5f60001");
        let recorded = Place { account: "111122223333".into(), region: "eu-west-1".into() };
        assert_eq!(q, Question { place: recorded, ask: Ask::SubnetIsPublic("subnet-0a1b2c3d4e5f60001".into()) });

        // The file is keyed by id: the same subnet asked about in another place is answered too.
        let facts = Facts::from_file(&root.join(format!("{LAUNCH}.facts"))).unwrap();
        let elsewhere =
            Question { place: Place { account: "444455556666".into(), region: "us-west-2".into() }, ..q.clone() };
        assert_eq!(facts.unanswered(&[q.clone(), elsewhere].into()), []);
        let other = Question::subnet_is_public(&ev, "subnet-00000000000000000");
        assert_eq!(facts.unanswered(&[q, other.clone()].into()), [other]);
    }
}
