//! Configuration: allowlists and rule switches, from a TOML file and/or `TRAILWARDEN_*` variables.
//!
//! ```toml
//! ingress_allowed_ports = ["tcp/80", "tcp/443"]   # or the old form "80,443,53" (any protocol)
//! egress_allowed_ports = "tcp/80,tcp/443,tcp/587"
//! trusted_accounts = ["111122223333"]             # sharing with these accounts is not an alert
//! disabled_rules = ["ec2-sg-egress-open-to-world"]
//! severity_overrides = { "ec2-sg-egress-open-to-world" = "low" }
//! include_service_calls = ["ec2-snapshot-made-public"]  # also look at what AWS does on its own
//! suppressions = "suppressions.toml"             # relative to this file; see `suppress`
//! facts_role_name = "trailwarden-facts"          # assumed in other accounts for live-state facts
//! findings_min_severity = "medium"               # GuardDuty/Security Hub findings below stay quiet
//! findings_update_workflow = false               # set alerted ASFF findings to NOTIFIED
//! respond = "plan"                               # off | plan | apply (see crate::respond)
//! respond_actions = ["default", "ec2-terminate"] # the ids that may run; "default" = the usual set
//! respond_min_severity = "high"
//! allow_terminate = false
//! respond_protected = ["i-0123456789abcdef0"]    # never acted on (also: tag trailwarden:protect=true)
//! quarantine_security_groups = { "vpc-0a1b2c3d" = "sg-0a1b2c3d" }
//! respond_budget = { instances = 5, keys = 5 }   # destructive actions per hour
//! evidence_bucket = "acme-ir-evidence"
//! forensics_document = "Acme-CollectVolatileData"
//! lifecycle_expiration_days = 7                  # S3 lifecycle rules expiring sooner alert
//! bulk_suppression_findings = 5                  # suppressing this many findings at once alerts
//! storm_window_minutes = 5                       # group one actor's burst; 0 turns grouping off
//!
//! [[channels]]                                   # more channels (see notify::route::ChannelSpec)
//! name = "chat"
//! kind = "slack"
//! secret = "trailwarden/chat-webhook"
//!
//! [[routes]]                                     # which alerts go where (see notify::route)
//! channels = ["chat", "email"]
//! min_severity = "high"
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use crate::analysis::network::PortList;
use crate::detail::Severity;
use crate::notify::route::{ChannelSpec, RouteFile, Routing};
use crate::respond::settings::{Budget, Settings as RespondSettings};
pub mod suppress;

use suppress::{SuppressionError, Suppressions};

/// A configuration problem, naming the file and line or the variable at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("config file {path}: {message}")]
    File { path: String, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Suppressions(#[from] SuppressionError),
}

/// Everything the rules and the engine can be told.
#[derive(Debug, Clone)]
pub struct Config {
    /// Ports that may be open to the world for ingress.
    pub ingress_allowed_ports: PortList,
    /// Ports that may be open to the world for egress.
    pub egress_allowed_ports: PortList,
    /// Accounts that snapshots and images may be shared with without an alert (e.g. your backup account).
    pub trusted_accounts: BTreeSet<String>,
    /// Rule ids that do not run.
    pub disabled_rules: BTreeSet<String>,
    /// Per rule id, the severity its alerts get instead of the rule's own.
    pub severity_overrides: BTreeMap<String, Severity>,
    /// Rule ids that also look at calls AWS makes on its own (`userIdentity.type` `AWSService`,
    /// service-linked roles; see [`crate::cloudtrail::actor`]). Calls a service makes on a
    /// principal's behalf and console actions are evaluated anyway.
    pub include_service_calls: BTreeSet<String>,
    /// Reviewed exceptions (see [`crate::config::suppress`]).
    pub suppressions: Suppressions,
    /// The role (by name, `arn:<partition>:iam::<account>:role/<name>`) the Lambda assumes in an
    /// event's account to answer live-state questions about an account other than its own.
    /// `None`: such questions stay unknown, never asked with the function's own credentials.
    pub facts_role_name: Option<String>,
    /// Findings below this level stay quiet (a custom action's findings alert whatever their
    /// level). Medium by default: GuardDuty 4.0 and up, Security Hub MEDIUM and up.
    pub findings_min_severity: Severity,
    /// After an alert about a Security Hub (ASFF) finding is sent, set the finding's workflow
    /// to `NOTIFIED` with a note naming the alert.
    pub findings_update_workflow: bool,
    /// The responder's settings (see [`crate::respond`]).
    pub respond: RespondSettings,
    /// An S3 lifecycle rule that expires objects within this many days alerts
    /// (`s3-bucket-lifecycle-expires-data`). 7 by default.
    pub lifecycle_expiration_days: u32,
    /// Suppressing at least this many Security Hub findings in one call alerts
    /// (`securityhub-findings-suppressed`). 5 by default.
    pub bulk_suppression_findings: usize,
    /// Storm grouping's window in seconds (300; 0 turns it off): see [`crate::notify::storm`].
    pub storm_window_secs: i64,
    /// Which alerts go to which channels (see [`crate::notify::route`]).
    pub routes: Routing,
    /// Channels declared in the config file, beside the environment's.
    pub channels: Vec<ChannelSpec>,
}

impl Default for Config {
    fn default() -> Self {
        let ports = |s: &str| PortList::parse_list(&[s]).unwrap_or_default();
        Config {
            ingress_allowed_ports: ports("tcp/80,tcp/443"),
            egress_allowed_ports: ports("tcp/80,tcp/443,tcp/587"),
            trusted_accounts: BTreeSet::new(),
            disabled_rules: BTreeSet::new(),
            severity_overrides: BTreeMap::new(),
            include_service_calls: BTreeSet::new(),
            suppressions: Suppressions::default(),
            facts_role_name: None,
            findings_min_severity: Severity::Medium,
            findings_update_workflow: false,
            respond: RespondSettings::default(),
            lifecycle_expiration_days: 7,
            bulk_suppression_findings: 5,
            storm_window_secs: crate::notify::storm::DEFAULT_WINDOW_SECS,
            routes: Routing::default(),
            channels: Vec::new(),
        }
    }
}

/// A list given either as a TOML array or as one comma-separated string.
#[derive(Deserialize)]
#[serde(untagged)]
enum List {
    One(String),
    Many(Vec<String>),
}

impl List {
    fn items(self) -> Vec<String> {
        match self {
            List::One(s) => split(&s),
            List::Many(v) => v.iter().flat_map(|s| split(s)).collect(),
        }
    }
}

fn split(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    ingress_allowed_ports: Option<List>,
    egress_allowed_ports: Option<List>,
    trusted_accounts: Option<List>,
    disabled_rules: Option<List>,
    severity_overrides: Option<BTreeMap<String, String>>,
    include_service_calls: Option<List>,
    suppressions: Option<String>,
    facts_role_name: Option<String>,
    findings_min_severity: Option<String>,
    findings_update_workflow: Option<bool>,
    respond: Option<String>,
    respond_actions: Option<List>,
    respond_min_severity: Option<String>,
    allow_terminate: Option<bool>,
    respond_protected: Option<List>,
    quarantine_security_groups: Option<BTreeMap<String, String>>,
    respond_budget: Option<BudgetFile>,
    evidence_bucket: Option<String>,
    forensics_document: Option<String>,
    lifecycle_expiration_days: Option<u32>,
    bulk_suppression_findings: Option<usize>,
    storm_window_minutes: Option<u32>,
    routes: Option<Vec<RouteFile>>,
    channels: Option<Vec<ChannelSpec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetFile {
    instances: Option<u32>,
    keys: Option<u32>,
}

/// A storm window of `minutes` (0 to 1440) in seconds.
fn window(minutes: u32) -> Result<i64, String> {
    match minutes {
        0..=1440 => Ok(i64::from(minutes) * 60),
        _ => Err(format!("{minutes} minutes is more than a day")),
    }
}

/// The environment variables read by [`Config::apply_env`].
pub const ENV_VARS: [&str; 24] = [
    "TRAILWARDEN_INGRESS_ALLOWED_PORTS",
    "TRAILWARDEN_EGRESS_ALLOWED_PORTS",
    "TRAILWARDEN_TRUSTED_ACCOUNTS",
    "TRAILWARDEN_DISABLED_RULES",
    "TRAILWARDEN_SEVERITY_OVERRIDES",
    "TRAILWARDEN_INCLUDE_SERVICE_CALLS",
    "TRAILWARDEN_SUPPRESSIONS",
    "TRAILWARDEN_SUPPRESSIONS_FILE",
    "TRAILWARDEN_FACTS_ROLE_NAME",
    "TRAILWARDEN_FINDINGS_MIN_SEVERITY",
    "TRAILWARDEN_FINDINGS_UPDATE_WORKFLOW",
    "TRAILWARDEN_RESPOND",
    "TRAILWARDEN_RESPOND_ACTIONS",
    "TRAILWARDEN_RESPOND_MIN_SEVERITY",
    "TRAILWARDEN_ALLOW_TERMINATE",
    "TRAILWARDEN_RESPOND_PROTECTED",
    "TRAILWARDEN_QUARANTINE_SECURITY_GROUPS",
    "TRAILWARDEN_RESPOND_BUDGET",
    "TRAILWARDEN_EVIDENCE_BUCKET",
    "TRAILWARDEN_FORENSICS_DOCUMENT",
    "TRAILWARDEN_LIFECYCLE_EXPIRATION_DAYS",
    "TRAILWARDEN_BULK_SUPPRESSION_FINDINGS",
    "TRAILWARDEN_STORM_WINDOW_MINUTES",
    "TRAILWARDEN_ROUTES",
];

/// `rule-id=low,other-id=high` or a TOML table's entries into severities.
fn severities<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<BTreeMap<String, Severity>, String> {
    pairs
        .into_iter()
        .map(|(id, sev)| {
            Ok((id.trim().to_string(), sev.parse::<Severity>().map_err(|e| format!("`{}`: {e}", id.trim()))?))
        })
        .collect()
}

impl Config {
    /// Reads a TOML config file over the defaults; a `suppressions` path in it is relative to it.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: shown.clone(), source })?;
        let mut cfg = Config::from_toml(&text, &shown)?;
        if let Some(file) = toml::from_str::<FileConfig>(&text).ok().and_then(|f| f.suppressions) {
            let dir = path.parent().unwrap_or(Path::new("."));
            cfg.suppressions = Suppressions::from_file(&dir.join(file))?;
        }
        Ok(cfg)
    }

    /// Parses TOML text over the defaults; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let file: FileConfig =
            toml::from_str(text).map_err(|e| ConfigError::File { path: origin.to_string(), message: e.to_string() })?;
        let mut cfg = Config::default();
        let err = |key: &str, message: String| ConfigError::File {
            path: origin.to_string(),
            message: format!("`{key}`: {message}"),
        };
        if let Some(l) = file.ingress_allowed_ports {
            cfg.ingress_allowed_ports =
                PortList::parse_list(&l.items()).map_err(|m| err("ingress_allowed_ports", m))?;
        }
        if let Some(l) = file.egress_allowed_ports {
            cfg.egress_allowed_ports = PortList::parse_list(&l.items()).map_err(|m| err("egress_allowed_ports", m))?;
        }
        if let Some(l) = file.trusted_accounts {
            cfg.trusted_accounts = accounts(l.items()).map_err(|m| err("trusted_accounts", m))?;
        }
        if let Some(l) = file.disabled_rules {
            cfg.disabled_rules = l.items().into_iter().collect();
        }
        if let Some(map) = file.severity_overrides {
            cfg.severity_overrides = severities(map.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .map_err(|m| err("severity_overrides", m))?;
        }
        if let Some(l) = file.include_service_calls {
            cfg.include_service_calls = l.items().into_iter().collect();
        }
        if let Some(name) = file.facts_role_name {
            cfg.facts_role_name = role_name(&name).map_err(|m| err("facts_role_name", m))?;
        }
        if let Some(level) = file.findings_min_severity {
            cfg.findings_min_severity = level.parse().map_err(|m| err("findings_min_severity", m))?;
        }
        if let Some(on) = file.findings_update_workflow {
            cfg.findings_update_workflow = on;
        }
        let r = &mut cfg.respond;
        if let Some(mode) = file.respond {
            r.mode = mode.parse().map_err(|m| err("respond", m))?;
        }
        if let Some(l) = file.respond_actions {
            r.actions = RespondSettings::parse_actions(&l.items()).map_err(|m| err("respond_actions", m))?;
        }
        if let Some(level) = file.respond_min_severity {
            r.min_severity = level.parse().map_err(|m| err("respond_min_severity", m))?;
        }
        if let Some(on) = file.allow_terminate {
            r.allow_terminate = on;
        }
        if let Some(l) = file.respond_protected {
            r.protected = l.items().into_iter().collect();
        }
        if let Some(map) = file.quarantine_security_groups {
            r.quarantine_security_groups = map;
        }
        if let Some(b) = file.respond_budget {
            let d = Budget::default();
            r.budget = Budget { instances: b.instances.unwrap_or(d.instances), keys: b.keys.unwrap_or(d.keys) };
        }
        if let Some(bucket) = file.evidence_bucket.filter(|b| !b.trim().is_empty()) {
            r.evidence_bucket = Some(bucket.trim().to_string());
        }
        if let Some(doc) = file.forensics_document.filter(|d| !d.trim().is_empty()) {
            r.forensics_document = Some(doc.trim().to_string());
        }
        r.validate().map_err(|m| ConfigError::File { path: origin.to_string(), message: m })?;
        if let Some(days) = file.lifecycle_expiration_days {
            cfg.lifecycle_expiration_days = days;
        }
        if let Some(n) = file.bulk_suppression_findings {
            cfg.bulk_suppression_findings = n.max(1);
        }
        if let Some(m) = file.storm_window_minutes {
            cfg.storm_window_secs = window(m).map_err(|m| err("storm_window_minutes", m))?;
        }
        if let Some(routes) = file.routes {
            cfg.routes = Routing::from_file(routes).map_err(|m| err("routes", m))?;
        }
        if let Some(channels) = file.channels {
            for c in &channels {
                c.check().map_err(|m| err("channels", m))?;
            }
            cfg.channels = channels;
        }
        Ok(cfg)
    }

    /// Overrides settings from `TRAILWARDEN_*` variables, read through `get` (`std::env::var` in
    /// the Lambda; a map in tests).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let env = |var: &str, message: String| ConfigError::Env { var: var.to_string(), message };
        let [
            ingress,
            egress,
            trusted,
            disabled,
            overrides,
            service,
            suppressions,
            suppressions_file,
            facts_role,
            findings_min,
            findings_workflow,
            respond,
            respond_actions,
            respond_min,
            allow_terminate,
            protected,
            quarantine,
            budget,
            evidence,
            forensics,
            lifecycle_days,
            bulk_suppression,
            storm_window,
            routes,
        ] = ENV_VARS;
        let set = |var: &str| get(var).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let boolean = |var: &str, v: &str| match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" => Ok(false),
            _ => Err(env(var, format!("`{v}` is not true or false"))),
        };
        if let Some(v) = get(ingress) {
            self.ingress_allowed_ports = PortList::parse_list(&[v]).map_err(|m| env(ingress, m))?;
        }
        if let Some(v) = get(egress) {
            self.egress_allowed_ports = PortList::parse_list(&[v]).map_err(|m| env(egress, m))?;
        }
        if let Some(v) = get(trusted) {
            self.trusted_accounts = accounts(split(&v)).map_err(|m| env(trusted, m))?;
        }
        if let Some(v) = get(disabled) {
            self.disabled_rules = split(&v).into_iter().collect();
        }
        if let Some(v) = get(overrides) {
            let items = split(&v);
            let mut pairs = Vec::new();
            for item in &items {
                let (id, sev) =
                    item.split_once('=').ok_or_else(|| env(overrides, format!("`{item}` is not rule-id=severity")))?;
                pairs.push((id, sev));
            }
            self.severity_overrides = severities(pairs).map_err(|m| env(overrides, m))?;
        }
        if let Some(v) = get(service) {
            self.include_service_calls = split(&v).into_iter().collect();
        }
        if let Some(v) = get(suppressions_file).filter(|v| !v.trim().is_empty()) {
            self.suppressions = Suppressions::from_file(Path::new(v.trim()))?;
        }
        if let Some(v) = get(suppressions).filter(|v| !v.trim().is_empty()) {
            self.suppressions = Suppressions::parse(&v, suppressions)?;
        }
        if let Some(v) = get(facts_role) {
            self.facts_role_name = role_name(&v).map_err(|m| env(facts_role, m))?;
        }
        if let Some(v) = get(findings_min).filter(|v| !v.trim().is_empty()) {
            self.findings_min_severity = v.parse().map_err(|m| env(findings_min, m))?;
        }
        if let Some(v) = set(findings_workflow) {
            self.findings_update_workflow = boolean(findings_workflow, &v)?;
        }
        let r = &mut self.respond;
        if let Some(v) = set(respond) {
            r.mode = v.parse().map_err(|m| env(respond, m))?;
        }
        if let Some(v) = set(respond_actions) {
            r.actions = RespondSettings::parse_actions(&split(&v)).map_err(|m| env(respond_actions, m))?;
        }
        if let Some(v) = set(respond_min) {
            r.min_severity = v.parse().map_err(|m| env(respond_min, m))?;
        }
        if let Some(v) = set(allow_terminate) {
            r.allow_terminate = boolean(allow_terminate, &v)?;
        }
        if let Some(v) = get(protected) {
            r.protected = split(&v).into_iter().collect();
        }
        if let Some(v) = get(quarantine) {
            let mut map = BTreeMap::new();
            for item in split(&v) {
                let (vpc, sg) =
                    item.split_once('=').ok_or_else(|| env(quarantine, format!("`{item}` is not vpc-id=sg-id")))?;
                map.insert(vpc.trim().to_string(), sg.trim().to_string());
            }
            r.quarantine_security_groups = map;
        }
        if let Some(v) = set(budget) {
            r.budget = RespondSettings::parse_budget(&v).map_err(|m| env(budget, m))?;
        }
        if let Some(v) = get(evidence) {
            r.evidence_bucket = Some(v.trim().to_string()).filter(|b| !b.is_empty());
        }
        if let Some(v) = get(forensics) {
            r.forensics_document = Some(v.trim().to_string()).filter(|d| !d.is_empty());
        }
        r.validate().map_err(|m| ConfigError::Invalid(format!("respond settings from the environment: {m}")))?;
        let number =
            |var: &str, v: &str| v.parse::<u32>().map_err(|_| env(var, format!("`{v}` is not a whole number")));
        if let Some(v) = set(lifecycle_days) {
            self.lifecycle_expiration_days = number(lifecycle_days, &v)?;
        }
        if let Some(v) = set(bulk_suppression) {
            self.bulk_suppression_findings = number(bulk_suppression, &v)?.max(1) as usize;
        }
        if let Some(v) = set(storm_window) {
            self.storm_window_secs = window(number(storm_window, &v)?).map_err(|m| env(storm_window, m))?;
        }
        if let Some(v) = set(routes) {
            self.routes = Routing::parse(&v).map_err(|m| env(routes, m))?;
        }
        Ok(())
    }
}

/// An IAM role name (it goes into a role ARN), or `None` when empty (the stack passes an empty
/// parameter for "no role"). Paths are not accepted: the role is `role/<name>` in every account.
fn role_name(text: &str) -> Result<Option<String>, String> {
    let name = text.trim();
    if name.is_empty() {
        return Ok(None);
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    if name.len() > 64 || !name.chars().all(ok) {
        return Err(format!(
            "`{}` is not an IAM role name (at most 64 letters, digits and +=,.@_-)",
            crate::text::one_line(name)
        ));
    }
    Ok(Some(name.to_string()))
}

fn accounts(items: Vec<String>) -> Result<BTreeSet<String>, String> {
    for a in &items {
        if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("`{a}` is not a 12-digit AWS account id"));
        }
    }
    Ok(items.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_overrides_defaults_and_accepts_both_list_forms() {
        let cfg = Config::from_toml(
            "ingress_allowed_ports = \"80,443,53\"\negress_allowed_ports = [\"tcp/443\"]\ntrusted_accounts = [\"111122223333\"]\n",
            "t.toml",
        )
        .unwrap();
        assert_eq!(cfg.ingress_allowed_ports.to_string(), "80, 443, 53");
        assert_eq!(cfg.egress_allowed_ports.to_string(), "tcp/443");
        assert!(cfg.trusted_accounts.contains("111122223333"));
    }

    #[test]
    fn errors_name_the_place() {
        let e = Config::from_toml("ingress_alowed_ports = []\n", "t.toml").unwrap_err().to_string();
        assert!(e.contains("t.toml") && e.contains("line 1") && e.contains("ingress_alowed_ports"), "{e}");
        let e = Config::from_toml("\ningress_allowed_ports = \"tcp/http\"\n", "t.toml").unwrap_err().to_string();
        assert!(e.contains("ingress_allowed_ports") && e.contains("tcp/http"), "{e}");
        let mut cfg = Config::default();
        let e = cfg.apply_env(|v| (v == "TRAILWARDEN_TRUSTED_ACCOUNTS").then(|| "12".to_string())).unwrap_err();
        assert_eq!(
            e.to_string(),
            "environment variable TRAILWARDEN_TRUSTED_ACCOUNTS: `12` is not a 12-digit AWS account id"
        );
    }

    #[test]
    fn findings_settings_from_the_file() {
        let cfg =
            Config::from_toml("findings_min_severity = \"high\"\nfindings_update_workflow = true\n", "t.toml").unwrap();
        assert_eq!(cfg.findings_min_severity, Severity::High);
        assert!(cfg.findings_update_workflow);
        let e = Config::from_toml("findings_min_severity = \"urgent\"\n", "t.toml").unwrap_err().to_string();
        assert!(e.starts_with("config file t.toml: `findings_min_severity`: unknown severity `urgent`"), "{e}");
    }

    #[test]
    fn respond_settings_from_file_and_environment() {
        use crate::respond::Action;
        use crate::respond::settings::Mode;
        let d = Config::default().respond;
        assert_eq!(d.mode, Mode::Plan);
        assert_eq!(d.min_severity, Severity::High);
        assert!(d.actions.contains(&Action::Ec2Isolate) && !d.actions.contains(&Action::Ec2Terminate));
        let cfg = Config::from_toml(
            "respond = \"apply\"\nrespond_actions = [\"default\", \"ec2-terminate\"]\nallow_terminate = true\n\
             respond_budget = { instances = 2 }\nquarantine_security_groups = { \"vpc-0a1b2c3d\" = \"sg-0a1b2c3d\" }\n\
             evidence_bucket = \"ir-evidence\"\n",
            "t.toml",
        )
        .unwrap();
        let r = &cfg.respond;
        assert_eq!(r.mode, Mode::Apply);
        assert!(r.actions.contains(&Action::Ec2Terminate) && r.actions.contains(&Action::Ec2Tag));
        assert!(r.allow_terminate);
        assert_eq!((r.budget.instances, r.budget.keys), (2, 5));
        assert_eq!(r.evidence_bucket.as_deref(), Some("ir-evidence"));
        let e = Config::from_toml("respond_actions = [\"ec2-nuke\"]\n", "t.toml").unwrap_err().to_string();
        assert!(e.contains("`respond_actions`: unknown response action `ec2-nuke`"), "{e}");
        let e = Config::from_toml("respond = \"yes\"\n", "t.toml").unwrap_err().to_string();
        assert!(e.contains("unknown respond mode `yes`"), "{e}");
        let e = Config::from_toml("quarantine_security_groups = { \"vpc-1\" = \"x\" }\n", "t.toml").unwrap_err();
        assert!(e.to_string().contains("quarantine_security_groups"), "{e}");

        let mut cfg = Config::default();
        let vars = |v: &str| match v {
            "TRAILWARDEN_RESPOND" => Some("off".to_string()),
            "TRAILWARDEN_RESPOND_BUDGET" => Some("instances=1,keys=0".to_string()),
            "TRAILWARDEN_QUARANTINE_SECURITY_GROUPS" => Some("vpc-0a1b2c3d=sg-0a1b2c3d".to_string()),
            _ => None,
        };
        cfg.apply_env(vars).unwrap();
        assert_eq!(cfg.respond.mode, Mode::Off);
        assert_eq!((cfg.respond.budget.instances, cfg.respond.budget.keys), (1, 0));
        assert_eq!(cfg.respond.quarantine_security_groups["vpc-0a1b2c3d"], "sg-0a1b2c3d");
        let e = cfg.apply_env(|v| (v == "TRAILWARDEN_ALLOW_TERMINATE").then(|| "maybe".into())).unwrap_err();
        assert_eq!(e.to_string(), "environment variable TRAILWARDEN_ALLOW_TERMINATE: `maybe` is not true or false");
    }

    #[test]
    fn facts_role_name_from_file_and_environment() {
        assert_eq!(Config::default().facts_role_name, None);
        let cfg = Config::from_toml("facts_role_name = \"trailwarden-facts\"\n", "t.toml").unwrap();
        assert_eq!(cfg.facts_role_name.as_deref(), Some("trailwarden-facts"));
        let e = Config::from_toml("\nfacts_role_name = \"x:role/y\"\n", "t.toml").unwrap_err().to_string();
        assert!(e.contains("t.toml") && e.contains("facts_role_name") && e.contains("x:role/y"), "{e}");

        let mut cfg = cfg;
        let var = |value: String| move |v: &str| (v == "TRAILWARDEN_FACTS_ROLE_NAME").then(|| value.clone());
        cfg.apply_env(var(" audit.read@org ".into())).unwrap();
        assert_eq!(cfg.facts_role_name.as_deref(), Some("audit.read@org"));
        // The stack's empty parameter means no role.
        cfg.apply_env(var(String::new())).unwrap();
        assert_eq!(cfg.facts_role_name, None);
        let e = cfg.apply_env(var("r".repeat(65))).unwrap_err().to_string();
        assert!(e.starts_with("environment variable TRAILWARDEN_FACTS_ROLE_NAME: `rrr"), "{e}");
        let e = cfg.apply_env(var("a/b\u{1b}[31m".into())).unwrap_err().to_string();
        assert!(!e.contains('\u{1b}') && e.contains("not an IAM role name"), "{e}");
    }
}
