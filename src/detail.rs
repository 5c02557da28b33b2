//! The alert record every rule produces, and the pieces a rule fills in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::rule::Rule;

/// How urgent an alert is, lowest first (so severities compare and sort).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] =
        [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    /// Upper-case label, as in a subject line: `HIGH`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// Lower-case name, as serialized: `high`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown severity `{s}` (expected info, low, medium, high or critical)"))
    }
}

/// The AWS resource an alert is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// What it is, in a few words: `security-group`, `ebs-snapshot`, `trail`.
    pub kind: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

impl Resource {
    pub fn new(kind: impl Into<String>, id: impl Into<String>) -> Self {
        Resource { kind: kind.into(), id: id.into(), arn: None }
    }

    pub fn with_arn(mut self, arn: impl Into<String>) -> Self {
        self.arn = Some(arn.into());
        self
    }
}

/// Who made the call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(rename = "type")]
    pub kind: String,
    pub arn: String,
    pub name: String,
}

/// What a rule found in one event; the engine adds the event and the rule's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// One sentence naming the change: `sg-0a1b opened tcp/22 to 0.0.0.0/0`.
    pub summary: String,
    pub resource: Resource,
    /// Rule-specific facts shown in the alert's resource table, in order.
    pub fields: Vec<(String, String)>,
    /// Overrides the rule's severity for this finding (e.g. SSH open is worse than a high port).
    pub severity: Option<Severity>,
}

impl Finding {
    pub fn new(summary: impl Into<String>, resource: Resource) -> Self {
        Finding { summary: summary.into(), resource, fields: Vec::new(), severity: None }
    }

    pub fn field(mut self, label: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.push((label.into(), value.into()));
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }
}

/// One alert: a rule's finding in one CloudTrail event, with everything needed to act on it.
/// Field names are a stable contract (JSON lines output, templates, library callers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDetail {
    pub rule_id: String,
    pub severity: Severity,
    pub title: String,
    pub summary: String,
    pub resource: Resource,
    /// The CloudTrail `eventID`.
    pub event_id: String,
    pub event_name: String,
    pub event_source: String,
    pub event_time: String,
    pub account_id: String,
    pub region: String,
    pub source_ip: String,
    pub user_agent: String,
    pub actor: Actor,
    pub fields: Vec<(String, String)>,
    pub remediation: String,
    pub references: Vec<String>,
}

impl EventDetail {
    /// Joins a finding with its rule and event.
    pub fn new(rule: &'static Rule, ev: &Event, finding: Finding) -> Self {
        let who = &ev.user_identity;
        let docs = crate::rule::docs(rule);
        EventDetail {
            rule_id: rule.id.to_string(),
            severity: finding.severity.unwrap_or(rule.severity),
            title: rule.title.to_string(),
            summary: finding.summary,
            resource: finding.resource,
            event_id: ev.event_id.to_string(),
            event_name: ev.event_name.to_string(),
            event_source: ev.event_source.to_string(),
            event_time: ev.event_time.to_string(),
            account_id: ev.account_id.to_string(),
            region: ev.aws_region.to_string(),
            source_ip: ev.source_ip.to_string(),
            user_agent: ev.user_agent.to_string(),
            actor: Actor {
                kind: who.kind().to_string(),
                arn: who.arn.as_deref().unwrap_or_default().to_string(),
                name: who.name(),
            },
            fields: finding.fields,
            remediation: docs.remediation.clone(),
            references: docs.references.clone(),
        }
    }
}
