//! The engine: every enabled rule, indexed by eventName once, run against events.

use std::fmt;

use crate::config::{Config, ConfigError};
use crate::detail::EventDetail;
use crate::event::{Event, FieldError, RawRecord};
use crate::facts::{Facts, Question};
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
    /// Facts known up front (replay's `--facts` file); the Lambda passes its own per event.
    facts: Facts,
    rules: Vec<&'static Rule>,
    // The eventName lookup runs for every record: FxHash, not SipHash (names are ours to index,
    // the lookups are of attacker text but a lookup cannot grow the table).
    index: rustc_hash::FxHashMap<&'static str, Vec<&'static Rule>>,
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
        Ok(Engine { config, facts: Facts::default(), rules, index })
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

    /// Answers rules' questions from these facts (replay's `--facts` file) in [`Engine::evaluate`].
    pub fn with_facts(mut self, facts: Facts) -> Self {
        self.facts = facts;
        self
    }

    /// The rules that look at this event: right source, not failed (unless the rule wants
    /// failures), not a call an AWS service made (unless the rule or config wants those).
    fn applicable<'e>(&'e self, ev: &'e Event) -> impl Iterator<Item = &'static Rule> + 'e {
        let service_call = ev.user_identity.invoked_by.is_some() || ev.user_identity.kind() == "AWSService";
        self.index.get(ev.event_name.as_ref()).into_iter().flatten().copied().filter(move |rule| {
            (rule.source.is_empty() || rule.source == ev.event_source)
                && (!ev.failed() || rule.include_failed)
                && (!service_call || rule.include_service_calls || self.config.include_service_calls.contains(rule.id))
        })
    }

    /// Every live-state question the applicable rules ask about this event (to answer before
    /// [`Engine::evaluate_with`]).
    pub fn questions(&self, ev: &Event) -> Result<std::collections::BTreeSet<Question>, RuleError> {
        let mut out = std::collections::BTreeSet::new();
        for rule in self.applicable(ev) {
            if let Some(needs) = rule.needs {
                out.extend(needs(ev).map_err(|error| RuleError { rule_id: rule.id, error })?);
            }
        }
        Ok(out)
    }

    /// Warnings about the configuration, such as expired suppressions, for the operator.
    pub fn warnings(&self) -> Vec<String> {
        self.config.suppressions.warnings(&crate::suppress::today())
    }

    /// Runs every rule that wants the event, with the engine's own facts (see
    /// [`Engine::with_facts`]; unknown otherwise), then applies severity overrides and suppressions.
    pub fn evaluate(&self, ev: &Event) -> Evaluation {
        self.evaluate_with(ev, &self.facts)
    }

    /// [`Engine::evaluate`] with the answers to [`Engine::questions`] for this event.
    pub fn evaluate_with(&self, ev: &Event, facts: &Facts) -> Evaluation {
        let mut out = Evaluation::default();
        let cx = Context { config: &self.config, facts };
        let mut today = None;
        for rule in self.applicable(ev) {
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
        Ok(self.wanted_event(raw)?.map(|ev| self.evaluate(&ev)))
    }

    /// The record as an [`Event`] when some rule wants it; `Ok(None)`, having decoded only the
    /// `eventName`, when none does.
    pub fn wanted_event<'a>(&self, raw: &RawRecord<'a>) -> Result<Option<Event<'a>>, FieldError> {
        let name = raw.event_name()?;
        if !self.wants(&name) {
            return Ok(None);
        }
        Event::from_raw(raw).map(Some)
    }
}
