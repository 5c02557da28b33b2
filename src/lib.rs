//! trailwarden watches AWS CloudTrail for dangerous changes: a library of detection rules, an
//! engine that runs them, readers for every shape CloudTrail arrives in, and (with the default
//! `aws` feature) the alert mailer and Lambda handler.
//!
//! Evaluate one event:
//!
//! ```
//! use trailwarden::{Config, Engine, Event, Severity};
//!
//! let record = r#"{
//!     "eventVersion": "1.09", "eventSource": "ec2.amazonaws.com",
//!     "eventName": "AuthorizeSecurityGroupIngress", "eventTime": "2024-08-01T12:23:55Z",
//!     "eventID": "9fd68588-ecbf-4528-a345-199fa6bb0821", "awsRegion": "us-east-1",
//!     "recipientAccountId": "111122223333", "sourceIPAddress": "198.51.100.7",
//!     "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/mallory", "userName": "mallory"},
//!     "requestParameters": {"groupId": "sg-0a1b2c3d", "ipPermissions": {"items": [
//!         {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
//!          "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}}
//! }"#;
//! let engine = Engine::new(Config::default()).expect("default config is valid");
//! let event = Event::from_json(record).expect("a well-formed record");
//! let alerts = engine.evaluate(&event).details;
//! assert_eq!(alerts.len(), 1);
//! assert_eq!(alerts[0].rule_id, "ec2-sg-ingress-open-to-world");
//! assert_eq!(alerts[0].severity, Severity::Critical);
//! assert_eq!(alerts[0].resource.id, "sg-0a1b2c3d");
//! ```
//!
//! Rules are plain functions registered with [`declare_rule!`]; a crate that depends on this one
//! can declare its own, and the engine runs them beside the built-in ones.

pub mod analysis;
#[cfg(feature = "cli")]
pub mod cli;
pub mod cloudtrail;
pub mod config;
pub mod dedupe;
pub mod detail;
pub mod engine;
pub mod envelope;
pub mod export;
pub mod facts;
pub mod findings;
#[cfg(feature = "aws")]
pub mod lambda;
pub mod notify;
pub mod objects;
pub mod replay;
pub mod respond;
pub mod rule;
pub mod text;

#[path = "../rules/mod.rs"]
pub mod rules;

pub use cloudtrail::event::{Event, FieldError, RawRecord};
pub use config::{Config, ConfigError};
pub use detail::{Actor, Detection, EventDetail, Origin, Resource, ResourceKind, Severity};
pub use engine::{Engine, Evaluation, FindingEvaluation, RuleError, Suppressed};
pub use findings::Finding;
pub use rule::{Context, InputKind, Rule, registry};

/// Everything a rule file needs: `use crate::prelude::*;` (or `trailwarden::prelude::*`).
pub mod prelude {
    pub use crate::analysis::network::{
        Exposure, Grant, PortList, Proto, SecurityGroupRequest, critical_exposure, describe, exposures,
        permissions_json,
    };
    pub use crate::cloudtrail::event::{ConsoleLogin, Event, FieldError, Items, Lenient, Scalar};
    pub use crate::config::Config;
    pub use crate::declare_finding_rule;
    pub use crate::declare_rule;
    pub use crate::detail::{Detection, Resource, ResourceKind, Severity};
    pub use crate::findings::check::detect as detect_finding;
    pub use crate::findings::{Finding, Product};
    // Shared policy-document helpers for the IAM and resource-policy rules.
    pub use crate::analysis::cross_account::{
        ForeignGrant, foreign_grant_alert, foreign_grants, limits_to_us, policy_grant_alert,
    };
    #[allow(unused_imports)]
    pub use crate::analysis::iam_actions::*;
    pub use crate::analysis::names::function_name;
    #[allow(unused_imports)]
    pub use crate::analysis::policy::*;
    pub use crate::analysis::requests::{AddPermissionRequest, QueueAttributesRequest, TopicAttributesRequest};
    pub use crate::analysis::share::{
        DbSnapshotAttributeRequest, Grantees, ImagePermissionRequest, SnapshotPermissionRequest, other_account,
    };
    pub use crate::facts::{Facts, Question};
    pub use crate::respond::action::{Action, CREDENTIALS, INSTANCE_COMPROMISE};
    pub use crate::rule::{Context, InputKind};
    pub use serde::Deserialize;
}

#[doc(hidden)]
pub mod __private {
    pub use inventory;
}
