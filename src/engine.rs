//! The engine: every enabled rule, indexed by eventName once, run against events.

use std::collections::HashMap;
use std::fmt;

use crate::config::{Config, ConfigError};
use crate::detail::EventDetail;
use crate::event::{Event, FieldError, RawRecord};
use crate::rule::{Context, Rule, registry};

/// A rule that could not read a field of the event it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub rule_id: &'static str,
    pub error: FieldError,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "rule {}: {}", self.rule_id, self.error)
    }
}

impl std::error::Error for RuleError {}

/// An alert a suppression entry silenced, and which entry (`suppression #2 (line 7) …: reason`).
#[derive(Debug, Clone)]
pub struct Suppressed {
    pub detail: EventDetail,
    pub by: String,
}

/// What the rules made of one event.
#[derive(Debug, Default, Clone)]
pub struct Evaluation {
    /// The alerts to send.
    pub details: Vec<EventDetail>,
    /// Alerts a suppression entry silenced.
    pub suppressed: Vec<Suppressed>,
    /// The ids of the rules that looked at the event.
    pub matched: Vec<&'static str>,
    pub errors: Vec<RuleError>,
}

/// The rules to run and the index from eventName to them, built once.
pub struct Engine {
    config: Config,
    rules: Vec<&'static Rule>,
    index: HashMap<&'static str, Vec<&'static Rule>>,
}

impl Engine {
    /// Every registered rule except those the config disables.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        Engine::with_rules(config, &[])
    }

    /// Only the rules named in `only` (every rule when empty), less the disabled ones.
    /// An unknown id, in either list, is an error: a typo must not silently turn a rule off.
    pub fn with_rules(config: Config, only: &[String]) -> Result<Self, ConfigError> {
        let all = registry();
        let known = |id: &String| all.iter().any(|r| r.id == id);
        let named = only
            .iter()
            .chain(&config.disabled_rules)
            .chain(config.severity_overrides.keys())
            .chain(&config.include_service_calls);
        if let Some(id) = named.into_iter().find(|id| !known(id)) {
            return Err(ConfigError::Invalid(format!("unknown rule id `{id}` (list them with --list-rules)")));
        }
        let rules: Vec<&'static Rule> = all
            .iter()
            .copied()
            .filter(|r| only.is_empty() || only.iter().any(|id| id == r.id))
            .filter(|r| !config.disabled_rules.contains(r.id))
            .collect();
        let index = crate::rule::index(&rules);
        Ok(Engine { config, rules, index })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The rules this engine runs, sorted by id.
    pub fn rules(&self) -> &[&'static Rule] {
        &self.rules
    }

    /// True when some rule looks at events of this name: the one question asked of every record.
    pub fn wants(&self, event_name: &str) -> bool {
        self.index.contains_key(event_name)
    }

    /// Warnings about the configuration, such as expired suppressions, for the operator.
    pub fn warnings(&self) -> Vec<String> {
        self.config.suppressions.warnings(&crate::suppress::today())
    }

    /// Runs every rule that wants the event, then applies severity overrides and suppressions.
    pub fn evaluate(&self, ev: &Event) -> Evaluation {
        let mut out = Evaluation::default();
        let Some(rules) = self.index.get(ev.event_name.as_ref()) else { return out };
        let cx = Context { config: &self.config };
        // Calls AWS services make on someone's behalf (CloudFormation, Auto Scaling, ...).
        let service_call = ev.user_identity.invoked_by.is_some() || ev.user_identity.kind() == "AWSService";
        let mut today = None;
        for rule in rules {
            if (!rule.source.is_empty() && rule.source != ev.event_source)
                || (ev.failed() && !rule.include_failed)
                || (service_call && !rule.include_service_calls && !self.config.include_service_calls.contains(rule.id))
            {
                continue;
            }
            out.matched.push(rule.id);
            let findings = match (rule.check)(ev, &cx) {
                Ok(findings) => findings,
                Err(error) => {
                    out.errors.push(RuleError { rule_id: rule.id, error });
                    continue;
                }
            };
            for finding in findings {
                let mut detail = EventDetail::new(rule, ev, finding);
                if let Some(&severity) = self.config.severity_overrides.get(rule.id) {
                    detail.severity = severity;
                }
                let suppressions = &self.config.suppressions;
                let by = if suppressions.0.is_empty() {
                    None
                } else {
                    let today = today.get_or_insert_with(crate::suppress::today);
                    suppressions.find(&detail, today).map(ToString::to_string)
                };
                match by {
                    Some(by) => out.suppressed.push(Suppressed { detail, by }),
                    None => out.details.push(detail),
                }
            }
        }
        out
    }

    /// The hot path for a scanned record: `Ok(None)` when no rule wants it (nothing else is decoded).
    pub fn evaluate_raw(&self, raw: &RawRecord) -> Result<Option<Evaluation>, FieldError> {
        let name = raw.event_name()?;
        if !self.wants(&name) {
            return Ok(None);
        }
        let ev = Event::from_raw(raw)?;
        Ok(Some(self.evaluate(&ev)))
    }
}
