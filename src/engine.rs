//! The engine: every enabled rule, indexed once per input kind (CloudTrail records by
//! `eventName`), run against inputs; it joins each rule's [`Detection`] with the input into an
//! [`EventDetail`], then applies severity overrides and suppressions.

use std::borrow::Cow;
use std::fmt;

use crate::cloudtrail::actor::Acting;
use crate::cloudtrail::event::{Event, FieldError, RawRecord, operation};
use crate::config::{Config, ConfigError};
use crate::detail::{Actor, Detection, EventDetail, FindingOrigin, Origin};
use crate::facts::{Facts, Question};
use crate::findings::{Finding, Quiet};
use crate::rule::{Context, Index, InputKind, Rule, registry};

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

/// What the rules made of one finding: why it stayed quiet before any rule saw it, or what
/// the rules that took it raised.
#[derive(Debug, Default, Clone)]
pub struct FindingEvaluation {
    /// Triage's verdict ([`crate::findings::triage`]): sample, archived, suppressed or resolved
    /// workflow, archived record, or below `findings_min_severity`.
    pub quiet: Option<Quiet>,
    pub evaluation: Evaluation,
}

/// The rules to run and the index from eventName to them, built once.
pub struct Engine {
    config: Config,
    /// Facts known up front (replay's `--facts` file); the Lambda passes its own per event.
    facts: Facts,
    rules: Vec<&'static Rule>,
    // One index per input kind. The eventName lookup runs for every record: FxHash, not SipHash
    // (names are ours to index, the lookups are of attacker text but a lookup cannot grow the table).
    index: [Index; InputKind::ALL.len()],
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

    /// True when some rule looks at CloudTrail records of this name: the one question asked of
    /// every record. Versioned names (`AddPermission20150331v2`) count as their operation's.
    pub fn wants(&self, event_name: &str) -> bool {
        self.rules_for(InputKind::CloudTrail, event_name).is_some()
    }

    /// True when some rule takes inputs of this kind at all.
    pub fn takes(&self, kind: InputKind) -> bool {
        !self.index[kind.slot()].is_empty()
    }

    /// The rules indexed under `key` for inputs of `kind`.
    fn rules_for(&self, kind: InputKind, key: &str) -> Option<&Vec<&'static Rule>> {
        let index = &self.index[kind.slot()];
        index.get(key).or_else(|| {
            // Only names that end in a digit can carry an API version; the rest pay nothing.
            let op = operation(key);
            if op.len() < key.len() { index.get(op) } else { None }
        })
    }

    /// The facts [`Engine::evaluate`] answers questions from (see [`Engine::with_facts`]).
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// Answers rules' questions from these facts (replay's `--facts` file) in [`Engine::evaluate`].
    pub fn with_facts(mut self, facts: Facts) -> Self {
        self.facts = facts;
        self
    }

    /// The rules that look at this event: right source, not failed (unless the rule wants
    /// failures), and an actor the rule watches: people and principals always; a service acting
    /// on a principal's behalf unless the rule watches people only; AWS on its own only when the
    /// rule or the config includes service calls (see [`crate::cloudtrail::actor`]).
    fn applicable<'e>(&'e self, ev: &'e Event, acting: Acting<'e>) -> impl Iterator<Item = &'static Rule> + 'e {
        self.rules_for(InputKind::CloudTrail, &ev.event_name).into_iter().flatten().copied().filter(move |rule| {
            (rule.source.is_empty() || rule.source == ev.event_source)
                && (!ev.failed() || rule.include_failed)
                && match acting {
                    Acting::Direct | Acting::Console => true,
                    Acting::OnBehalf(_) => !rule.people_only,
                    Acting::Aws(_) => rule.include_service_calls || self.config.include_service_calls.contains(rule.id),
                }
        })
    }

    /// Every live-state question the applicable rules ask about this event (to answer before
    /// [`Engine::evaluate_with`]).
    pub fn questions(&self, ev: &Event) -> Result<std::collections::BTreeSet<Question>, RuleError> {
        let mut out = std::collections::BTreeSet::new();
        for rule in self.applicable(ev, Acting::of(ev)) {
            if let Some(needs) = rule.needs {
                out.extend(needs(ev).map_err(|error| RuleError { rule_id: rule.id, error })?);
            }
        }
        Ok(out)
    }

    /// Warnings about the configuration, such as expired suppressions, for the operator.
    pub fn warnings(&self) -> Vec<String> {
        self.config.suppressions.warnings(&crate::config::suppress::today())
    }

    /// Runs every rule that wants the event, with the engine's own facts (see
    /// [`Engine::with_facts`]; unknown otherwise), then applies severity overrides and suppressions.
    pub fn evaluate(&self, ev: &Event) -> Evaluation {
        self.evaluate_with(ev, &self.facts)
    }

    /// [`Engine::evaluate`] with the answers to [`Engine::questions`] for this event.
    pub fn evaluate_with(&self, ev: &Event, facts: &Facts) -> Evaluation {
        let mut out = Evaluation::default();
        self.evaluate_into(ev, facts, &mut out);
        out
    }

    /// [`Engine::evaluate_with`], adding to `out`: a caller that gathers many events' alerts
    /// (replay, per file) files each alert once, where it stays.
    pub fn evaluate_into(&self, ev: &Event, facts: &Facts, out: &mut Evaluation) {
        let cx = Context { config: &self.config, facts };
        let mut today = None;
        // Who acted is decided once for the event: it picks the rules and names the service.
        let acting = Acting::of(ev);
        for rule in self.applicable(ev, acting) {
            out.matched.push(rule.id);
            let detections = match (rule.check)(ev, &cx) {
                Ok(detections) => detections,
                Err(error) => {
                    out.errors.push(RuleError { rule_id: rule.id, error });
                    continue;
                }
            };
            for detection in detections {
                self.settle(rule, alert(rule, ev, acting, detection), &mut today, out);
            }
        }
    }

    /// Applies the rule's severity override and the suppressions to one alert, and files it.
    fn settle(&self, rule: &Rule, mut detail: EventDetail, today: &mut Option<String>, out: &mut Evaluation) {
        if let Some(&severity) = self.config.severity_overrides.get(rule.id) {
            detail.severity = severity;
        }
        let suppressions = &self.config.suppressions;
        let by = if suppressions.0.is_empty() {
            None
        } else {
            let today = today.get_or_insert_with(crate::config::suppress::today);
            suppressions.find(&detail, today).map(ToString::to_string)
        };
        match by {
            Some(by) => out.suppressed.push(Suppressed { detail, by }),
            None => out.details.push(detail),
        }
    }

    /// True when some finding rule could take a finding of this product (the product's own
    /// rules, or rules of any product).
    pub fn wants_product(&self, product: crate::findings::Product) -> bool {
        self.rules_for(InputKind::Finding, product.name()).is_some()
            || self.rules_for(InputKind::Finding, "*").is_some()
    }

    /// Triages a finding ([`crate::findings::triage`] with `findings_min_severity`), then runs
    /// every finding rule that takes it: the product's rules and any-product rules whose type,
    /// control and resource globs match; fallback rules only when no other rule took it.
    pub fn evaluate_finding(&self, finding: &Finding) -> FindingEvaluation {
        let mut out = FindingEvaluation {
            quiet: crate::findings::triage(finding, self.config.findings_min_severity),
            ..FindingEvaluation::default()
        };
        if out.quiet.is_some() {
            return out;
        }
        let candidates: Vec<(&'static Rule, usize)> = [finding.product.name(), "*"]
            .into_iter()
            .filter_map(|key| self.rules_for(InputKind::Finding, key))
            .flatten()
            .filter_map(|&rule| crate::findings::check::rule_takes(rule, finding).map(|s| (rule, s)))
            .collect();
        // The most specific rules that take it; fallback rules only when no other does.
        let pool: Vec<(&'static Rule, usize)> = match candidates.iter().any(|(r, _)| !r.fallback) {
            true => candidates.into_iter().filter(|(r, _)| !r.fallback).collect(),
            false => candidates,
        };
        let best = pool.iter().map(|&(_, s)| s).max().unwrap_or(0);
        let chosen: Vec<&'static Rule> = pool.into_iter().filter(|&(_, s)| s == best).map(|(r, _)| r).collect();
        let cx = Context { config: &self.config, facts: &self.facts };
        let mut today = None;
        for rule in chosen {
            let check = rule.finding_check.unwrap_or(crate::findings::check::detect);
            out.evaluation.matched.push(rule.id);
            match check(finding, &cx) {
                Ok(detections) => {
                    for detection in detections {
                        self.settle(rule, finding_alert(rule, finding, detection), &mut today, &mut out.evaluation);
                    }
                }
                Err(error) => out.evaluation.errors.push(RuleError { rule_id: rule.id, error }),
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

/// Joins a rule's detection with its rule and CloudTrail record (and who acted in it,
/// [`Acting::of`]) into the alert record.
pub fn alert(rule: &'static Rule, ev: &Event, acting: Acting, detection: Detection) -> EventDetail {
    let who = &ev.user_identity;
    let docs = crate::rule::docs(rule);
    let remediation = fix_text(&docs.remediation, &detection, &ev.aws_region, &ev.account_id);
    EventDetail {
        rule_id: Cow::Borrowed(rule.id),
        severity: detection.severity.unwrap_or(rule.severity),
        title: Cow::Borrowed(rule.title),
        // A value the record lacked leaves a hole in text built with format!: say so instead.
        summary: crate::text::fill_holes(detection.summary),
        resource: detection.resource,
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
            invoked_by: acting.via().map(str::to_string),
        },
        remediation,
        fields: shown(detection.fields),
        references: Cow::Borrowed(&docs.references),
        origin: Origin::CloudTrail,
        params: detection.params.into_iter().collect(),
        response: Vec::new(),
    }
}

/// The rule's "How to fix" with this alert's ids in its `<name>` holes: the detection's params,
/// the resource's id under its kind's name (`<security-group>`, `<ebs-snapshot>`, `<trail>`),
/// `<region>` and `<account-id>`; each value made one inert shell argument or left a hole
/// ([`crate::text::fill_params`]).
fn fix_text(text: &'static str, detection: &Detection, region: &str, account: &str) -> Cow<'static, str> {
    if !text.contains('<') {
        return Cow::Borrowed(text);
    }
    Cow::Owned(crate::text::fill_params(text, |name| {
        if let Some((_, v)) = detection.params.iter().find(|(n, _)| n == name) {
            return Some(v.as_str());
        }
        match name {
            "region" => crate::text::valid_region(region).then_some(region),
            "account-id" => (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account),
            kind if kind == detection.resource.kind && !detection.resource.id.is_empty() => {
                Some(detection.resource.id.as_str())
            }
            _ => None,
        }
    }))
}

/// Joins a finding rule's detection with the finding into the alert record: its id is the
/// finding's ARN, its actor what the finding saw (remote address, domain, API, process).
pub fn finding_alert(rule: &'static Rule, f: &Finding, detection: Detection) -> EventDetail {
    let docs = crate::rule::docs(rule);
    let remediation = fix_text(&docs.remediation, &detection, &f.region, &f.account_id);
    let seen = &f.seen;
    let actor_name = seen
        .remote_ip
        .clone()
        .map(|ip| {
            let place: Vec<&str> =
                [seen.country.as_deref(), seen.organization.as_deref()].into_iter().flatten().collect();
            if place.is_empty() { ip } else { format!("{ip} ({})", place.join(", ")) }
        })
        .or_else(|| seen.domain.clone())
        .or_else(|| seen.process.clone())
        .unwrap_or_default();
    let actor_kind = match (&seen.remote_ip, &seen.domain, &seen.process) {
        (Some(_), _, _) => "remote-ip",
        (None, Some(_), _) => "domain",
        (None, None, Some(_)) => "process",
        _ => "unknown",
    };
    let principal = f.resource_fields.iter().find(|(label, _)| label == "User").map(|(_, v)| v.clone());
    EventDetail {
        rule_id: Cow::Borrowed(rule.id),
        severity: detection.severity.unwrap_or(f.level),
        title: Cow::Borrowed(rule.title),
        summary: crate::text::fill_holes(detection.summary),
        resource: detection.resource,
        event_id: f.id.clone(),
        event_name: f.finding_type.clone(),
        event_source: f.product_name.clone(),
        event_time: if f.updated_at.is_empty() { f.last_seen.clone() } else { f.updated_at.clone() },
        account_id: f.account_id.clone(),
        region: f.region.clone(),
        source_ip: seen.remote_ip.clone().unwrap_or_default(),
        user_agent: seen.user_agent.clone().unwrap_or_default(),
        actor: Actor {
            kind: actor_kind.to_string(),
            arn: principal.unwrap_or_default(),
            name: actor_name,
            invoked_by: None,
        },
        remediation,
        fields: shown(detection.fields),
        references: Cow::Borrowed(&docs.references),
        params: detection.params.into_iter().collect(),
        response: Vec::new(),
        origin: Origin::Finding(Box::new(FindingOrigin {
            product: f.product_name.clone(),
            format: match f.format {
                crate::findings::Format::GuardDuty => "guard_duty".into(),
                crate::findings::Format::Asff => "asff".into(),
            },
            finding_title: f.title.clone(),
            description: f.description.clone(),
            score: f.score.map(|s| format!("{s:.1}")),
            level: f.level,
            count: f.count,
            first_seen: f.first_seen.clone(),
            last_seen: f.last_seen.clone(),
            seen: if seen.is_empty() { String::new() } else { seen.describe() },
            remote_ip: seen.remote_ip.clone(),
            country: seen.country.clone(),
            organization: seen.organization.clone(),
            domain: seen.domain.clone(),
            api: seen.api.clone(),
            product_arn: f.product_arn.clone(),
            console_url: crate::findings::console_url(&f.product_name, &f.id, &f.region),
            custom_action: f.custom_action.clone(),
        })),
    }
}

/// A detection's fields as an alert shows them: a value the input lacked reads "(unknown)".
fn shown(fields: Vec<(String, String)>) -> Vec<(String, String)> {
    fields
        .into_iter()
        .map(|(label, value)| (label, if value.is_empty() { "(unknown)".to_string() } else { value }))
        .collect()
}
