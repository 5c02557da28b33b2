//! Facts: what a rule may ask about the live state of the account (is this subnet public? which
//! rules does this security group have now?). Rules never call AWS: a rule names its questions for
//! an event ([`crate::rule::Rule::needs`]), the caller answers them all at once (the Lambda through
//! the SDK; replay from a `--facts` file), and the check reads the answers. A question nobody
//! answered is *unknown*, and every rule documents what it does then.
//!
//! The facts file (JSON) holds whatever is known:
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

/// One question a rule asks about an event's resources.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Question {
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

/// The answers known for one evaluation; anything absent is unknown.
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
            .filter(|q| match q {
                Question::SubnetIsPublic(id) => !self.subnets.contains_key(id),
                Question::SecurityGroupIngress(id) => !self.security_groups.contains_key(id),
                Question::BucketPublicAccess(id) => !self.buckets.contains_key(id),
                Question::InstanceNetwork(id) => !self.instances.contains_key(id),
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
