//! The responder's settings (`respond*`, `allow_terminate`, `evidence_bucket`, ... in the config
//! file; `TRAILWARDEN_RESPOND*` and friends in the environment).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use crate::detail::Severity;
use crate::respond::action::Action;

/// What the responder does with the actions an alert calls for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// No plan, no action; the email has no response section.
    Off,
    /// The plan is computed and shown ("would do"); nothing is changed. The default.
    #[default]
    Plan,
    /// The enabled actions are applied, at or above `respond_min_severity`, within the budget.
    Apply,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Plan => "plan",
            Mode::Apply => "apply",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" => Ok(Mode::Off),
            "plan" => Ok(Mode::Plan),
            "apply" => Ok(Mode::Apply),
            _ => Err(format!("unknown respond mode `{s}` (expected off, plan or apply)")),
        }
    }
}

/// How many destructive actions may be applied per hour, by kind; past it the plan is mailed
/// and nothing more is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Instances isolated or terminated (5).
    pub instances: u32,
    /// Access keys deactivated (5).
    pub keys: u32,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { instances: 5, keys: 5 }
    }
}

impl Budget {
    /// The allowance for a kind.
    pub fn of(&self, kind: crate::respond::action::BudgetKind) -> u32 {
        match kind {
            crate::respond::action::BudgetKind::Instances => self.instances,
            crate::respond::action::BudgetKind::Keys => self.keys,
        }
    }
}

/// Everything the responder is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub mode: Mode,
    /// The actions that may be planned and applied (`respond_actions`); by default every action
    /// that is [on by default](Action::on_by_default).
    pub actions: BTreeSet<Action>,
    /// Alerts below this severity get no plan (High by default: GuardDuty 7.0 and up).
    pub min_severity: Severity,
    /// `ec2-terminate` may run (it must also be in `actions`); `ec2-protect` then leaves
    /// termination protection off.
    pub allow_terminate: bool,
    /// Resources never acted on, by id (instance id, bucket, access key id, user or role name,
    /// trail, group, snapshot or image id), besides those tagged `trailwarden:protect=true`.
    pub protected: BTreeSet<String>,
    /// The team's own quarantine group per VPC (`vpc-...` → `sg-...`), used instead of a made one.
    pub quarantine_security_groups: BTreeMap<String, String>,
    pub budget: Budget,
    /// Where evidence goes (metadata, screenshots, forensics output); the actions that write
    /// evidence are skipped without it.
    pub evidence_bucket: Option<String>,
    /// The SSM document `ec2-collect-forensics` runs (the team's choice; the action is skipped
    /// without one).
    pub forensics_document: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Plan,
            actions: Action::ALL.into_iter().filter(|a| a.on_by_default()).collect(),
            min_severity: Severity::High,
            allow_terminate: false,
            protected: BTreeSet::new(),
            quarantine_security_groups: BTreeMap::new(),
            budget: Budget::default(),
            evidence_bucket: None,
            forensics_document: None,
        }
    }
}

impl Settings {
    /// Parses `respond_actions`: ids, or `default` for the on-by-default set.
    pub fn parse_actions(items: &[String]) -> Result<BTreeSet<Action>, String> {
        let mut out = BTreeSet::new();
        for item in items {
            if item == "default" {
                out.extend(Action::ALL.into_iter().filter(|a| a.on_by_default()));
                continue;
            }
            let action = Action::parse(item).ok_or_else(|| {
                let ids: Vec<&str> = Action::ALL.iter().map(|a| a.id()).collect();
                format!("unknown response action `{item}` (expected one of: {})", ids.join(", "))
            })?;
            out.insert(action);
        }
        Ok(out)
    }

    /// Parses `instances=5,keys=5`.
    pub fn parse_budget(text: &str) -> Result<Budget, String> {
        let mut budget = Budget::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("`{part}` is not kind=number"))?;
            let n: u32 = v.trim().parse().map_err(|_| format!("`{}` is not a number", v.trim()))?;
            match k.trim() {
                "instances" => budget.instances = n,
                "keys" => budget.keys = n,
                other => return Err(format!("unknown budget `{other}` (expected instances or keys)")),
            }
        }
        Ok(budget)
    }

    /// Checks the settings hang together: group and VPC ids look like ids, the bucket like a
    /// bucket name.
    pub fn validate(&self) -> Result<(), String> {
        for (vpc, sg) in &self.quarantine_security_groups {
            if !crate::text::aws_id("vpc-", vpc) || !crate::text::aws_id("sg-", sg) {
                return Err(format!("quarantine_security_groups: `{vpc}` = `{sg}` is not a VPC id and a group id"));
            }
        }
        if let Some(b) = &self.evidence_bucket
            && !crate::text::bucket_name(b)
        {
            return Err(format!("evidence_bucket: `{b}` is not a bucket name"));
        }
        Ok(())
    }
}
