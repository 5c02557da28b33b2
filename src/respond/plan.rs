//! The plan: which actions an alert calls for under the settings, and on what. Pure: it reads
//! the alert (its rule's declared actions, its resource, fields and params) and never calls AWS.

use serde::Serialize;

use crate::detail::{EventDetail, ResourceKind, ResponseStep, Severity, StepStatus};
use crate::respond::action::Action;
use crate::respond::settings::{Mode, Settings};
use crate::text::{aws_id, bucket_name, iam_name};

/// What an action acts on, with every id checked (the responder passes them to AWS as they
/// are; the undo commands put them on a command line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Instance(String),
    /// An IAM user's long-term key and its user.
    AccessKey {
        id: String,
        user: String,
    },
    Role(String),
    User(String),
    Bucket(String),
    /// A trail's name or ARN.
    Trail(String),
    /// A security group and the permissions to revoke, as the EC2 API's JSON
    /// (`[{"IpProtocol": "tcp", "FromPort": 22, ...}]`).
    Ingress {
        group: String,
        permissions: String,
    },
    Snapshot(String),
    Image(String),
    DbSnapshot {
        id: String,
        cluster: bool,
    },
}

impl Target {
    /// The id the plan and the email name it by.
    pub fn resource(&self) -> &str {
        match self {
            Target::Instance(id)
            | Target::Role(id)
            | Target::User(id)
            | Target::Bucket(id)
            | Target::Trail(id)
            | Target::Snapshot(id)
            | Target::Image(id) => id,
            Target::AccessKey { id, .. } | Target::DbSnapshot { id, .. } => id,
            Target::Ingress { group, .. } => group,
        }
    }
}

/// One action the responder would take about one alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planned {
    /// The finding's ARN, or the CloudTrail event id.
    pub finding_id: String,
    pub action: &'static str,
    pub resource: String,
    pub rule_id: String,
    pub severity: Severity,
    pub account_id: String,
    pub region: String,
    #[serde(skip)]
    pub kind: Action,
    #[serde(skip)]
    pub target: Target,
}

impl Planned {
    /// The step the email shows for a planned action not applied: "would do", with why.
    pub fn would_do(&self, why: impl Into<String>) -> ResponseStep {
        self.step(StepStatus::WouldDo, why)
    }

    /// A step about this action with `status` and a note.
    pub fn step(&self, status: StepStatus, note: impl Into<String>) -> ResponseStep {
        ResponseStep {
            action: self.action.to_string(),
            resource: self.resource.clone(),
            status,
            note: note.into(),
            before: String::new(),
            after: String::new(),
            undo: Vec::new(),
        }
    }
}

/// The actions `alert` calls for under `settings`: its rule's declared actions that are enabled
/// (`respond_actions`; `ec2-terminate` also needs `allow_terminate`), for an alert at or above
/// `respond_min_severity`, on a resource the alert names with a valid id, in the order they run.
/// Resources in `respond_protected` get none. Nothing when responding is off.
pub fn plan(alert: &EventDetail, settings: &Settings) -> Vec<Planned> {
    if settings.mode == Mode::Off || alert.severity < settings.min_severity {
        return Vec::new();
    }
    let Some(rule) = crate::rule::find(&alert.rule_id) else { return Vec::new() };
    let mut actions: Vec<Action> = rule.respond.to_vec();
    actions.sort();
    actions.dedup();
    actions
        .into_iter()
        .filter(|a| settings.actions.contains(a) && (*a != Action::Ec2Terminate || settings.allow_terminate))
        .filter_map(|action| {
            let target = target(action, alert)?;
            let protected = settings.protected.contains(target.resource())
                || matches!(&target, Target::AccessKey { user, .. } if settings.protected.contains(user));
            (!protected).then(|| Planned {
                finding_id: alert.event_id.clone(),
                action: action.id(),
                resource: target.resource().to_string(),
                rule_id: alert.rule_id.to_string(),
                severity: alert.severity,
                account_id: alert.account_id.clone(),
                region: alert.region.clone(),
                kind: action,
                target,
            })
        })
        .collect()
}

/// The value of a field the alert shows (`User`, `User type`), when it has one.
fn field<'a>(alert: &'a EventDetail, label: &str) -> Option<&'a str> {
    alert.fields.iter().find(|(l, _)| l == label).map(|(_, v)| v.as_str()).filter(|v| *v != "(unknown)")
}

/// What `action` acts on in this alert, if the alert names it with a valid id.
fn target(action: Action, alert: &EventDetail) -> Option<Target> {
    let r = &alert.resource;
    let param = |name: &str| alert.params.get(name).map(String::as_str);
    use Action::*;
    match action {
        a if a.on_instance() => {
            (r.kind == ResourceKind::EC2_INSTANCE && aws_id("i-", &r.id)).then(|| Target::Instance(r.id.clone()))
        }
        S3BlockPublicAccess => {
            (r.kind == ResourceKind::S3_BUCKET && bucket_name(&r.id)).then(|| Target::Bucket(r.id.clone()))
        }
        IamDeactivateAccessKey => {
            let user = param("user-name").or_else(|| field(alert, "User"))?;
            let user_type = field(alert, "User type").unwrap_or("IAMUser");
            (r.kind == ResourceKind::IAM_ACCESS_KEY && long_term_key(&r.id) && user_type == "IAMUser" && iam_name(user))
                .then(|| Target::AccessKey { id: r.id.clone(), user: user.to_string() })
        }
        IamRevokeSessions => match r.kind.as_str() {
            "iam-role" if iam_name(&r.id) => Some(Target::Role(r.id.clone())),
            "iam-access-key" => {
                let user = field(alert, "User").filter(|u| iam_name(u))?;
                match field(alert, "User type") {
                    Some("AssumedRole") => Some(Target::Role(user.to_string())),
                    // A user's temporary (session-token) credentials: the key stays, the sessions go.
                    Some("IAMUser") if r.id.starts_with("ASIA") => Some(Target::User(user.to_string())),
                    _ => None,
                }
            }
            _ => None,
        },
        CloudtrailStartLogging => {
            (r.kind == ResourceKind::TRAIL && trail_ok(&r.id)).then(|| Target::Trail(r.id.clone()))
        }
        Ec2RevokeIngress => {
            let group = param("group-id").filter(|g| aws_id("sg-", g))?;
            let permissions = param("ip-permissions")?;
            serde_json::from_str::<Vec<serde_json::Value>>(permissions).ok().filter(|p| !p.is_empty())?;
            Some(Target::Ingress { group: group.to_string(), permissions: permissions.to_string() })
        }
        Ec2UnshareSnapshot => {
            (r.kind == ResourceKind::EBS_SNAPSHOT && aws_id("snap-", &r.id)).then(|| Target::Snapshot(r.id.clone()))
        }
        Ec2UnshareImage => (r.kind == ResourceKind::AMI && aws_id("ami-", &r.id)).then(|| Target::Image(r.id.clone())),
        RdsUnshareSnapshot => {
            let cluster = r.kind == ResourceKind::RDS_CLUSTER_SNAPSHOT;
            ((cluster || r.kind == ResourceKind::RDS_SNAPSHOT) && db_snapshot_ok(&r.id))
                .then(|| Target::DbSnapshot { id: r.id.clone(), cluster })
        }
        _ => None,
    }
}

/// An IAM user's long-term access key id: `AKIA` then upper-case letters or digits, 16 to 128 in
/// all (the IAM API's bounds; today's keys are 20).
fn long_term_key(id: &str) -> bool {
    (16..=128).contains(&id.len())
        && id.starts_with("AKIA")
        && id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A trail name (3-128 of letters, digits, `._-`) or a trail ARN.
fn trail_ok(id: &str) -> bool {
    let name_ok =
        |n: &str| (3..=128).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    match id.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            parts.len() == 5
                && parts[0].starts_with("aws")
                && parts[1] == "cloudtrail"
                && crate::text::valid_region(parts[2])
                && parts[3].len() == 12
                && parts[3].bytes().all(|b| b.is_ascii_digit())
                && parts[4].strip_prefix("trail/").is_some_and(name_ok)
        }
        None => name_ok(id),
    }
}

/// A DB (cluster) snapshot identifier, or its ARN: letters, digits, `-` and `:`.
fn db_snapshot_ok(id: &str) -> bool {
    (1..=255).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert!(long_term_key("AKIAIOSFODNN7EXAMPLE"));
        assert!(!long_term_key("ASIAIOSFODNN7EXAMPLE"));
        assert!(trail_ok("management-events"));
        assert!(trail_ok("arn:aws:cloudtrail:us-east-1:111122223333:trail/org"));
        assert!(!trail_ok("a; b"));
        assert!(!trail_ok("arn:aws:cloudtrail:us-east-1:1:trail/x"));
        assert!(db_snapshot_ok("rds:prod-2024-01-01"));
        assert!(!db_snapshot_ok("x y"));
    }
}
