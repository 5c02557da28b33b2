//! The Lambda's whole logic, testable without the runtime: configuration from the environment,
//! and the handler that evaluates one EventBridge event and mails its alerts.

use serde::Serialize;

pub mod accounts;
pub mod backfill;
pub mod objects;

use crate::cloudtrail::event::Event;
use crate::config::{Config, ConfigError};
use crate::engine::Engine;
use crate::envelope::{Carries, carries};
use crate::facts::Facts;
use crate::facts::aws::FactSource;
use crate::notify::{Batch, Notifier, NotifyError};

/// Everything the function reads from its environment at start.
#[derive(Debug, Clone)]
pub struct LambdaConfig {
    /// `ACCOUNTNAME`: shown in the subject and the email.
    pub account_name: String,
    /// `EMAILIDS`: comma-separated recipients.
    pub recipients: Vec<String>,
    /// `SECRETNAME`: the Secrets Manager secret holding the sender settings.
    pub secret_name: String,
    /// `SECRETREGION`: where that secret lives (default: the function's region).
    pub secret_region: Option<String>,
    /// `TRAILWARDEN_DEDUPE_TABLE`: the DynamoDB table of sent alerts (the stack's). Unset: the
    /// function remembers them in memory, for as long as its container lives.
    pub dedupe_table: Option<String>,
    /// `TRAILWARDEN_DEDUPE_TTL_DAYS`: how long an entry blocks repeats (30 days).
    pub dedupe_ttl_days: u32,
    /// `TRAILWARDEN_CLAIM_LEASE_SECONDS`: how long a claim taken before a send holds off other
    /// deliveries (900; the stacks set their function's timeout plus a minute, since no live send
    /// outlasts it, so a retry after a delivery that died mid-send finds the claim lapsed).
    pub claim_lease_secs: i64,
    /// `TRAILWARDEN_SNS_TOPIC_ARN`: also publish every alert batch there.
    pub sns_topic_arn: Option<String>,
    /// `TRAILWARDEN_*` rule settings.
    pub rules: Config,
    /// How SQS batches of log objects are read (an organisation trail's bucket):
    /// `TRAILWARDEN_TRAIL_PREFIX`, `TRAILWARDEN_TRAIL_ACCOUNTS` (`111122223333,...`; all when
    /// unset), `TRAILWARDEN_ACCOUNT_NAMES` (`111122223333=prod,...`).
    pub objects: objects::ObjectSettings,
    /// `TRAILWARDEN_MAX_OBJECT_MIB`: the largest log object read, as stored (64 MiB).
    pub max_object_bytes: u64,
    /// `TRAILWARDEN_SECURITYHUB_IMPORT` (`true`/`false`, default false): also import each
    /// CloudTrail alert into Security Hub as an ASFF finding.
    pub securityhub_import: bool,
    /// `TRAILWARDEN_ACCOUNT_NAMES_FROM_ORGANIZATIONS` (`true`/`false`, default false): name the
    /// accounts the configured map does not with Organizations `ListAccounts`.
    pub account_names_from_organizations: bool,
    /// `TRAILWARDEN_WEBHOOK_SECRET`: the channel `webhook`, a chat webhook whose URL is this
    /// Secrets Manager secret; `TRAILWARDEN_WEBHOOK_FORMAT`: `slack` (default) or `teams`.
    pub webhook: Option<(String, crate::notify::route::ChannelSpec)>,
    /// `TRAILWARDEN_AMAZON_Q_TOPIC_ARN`: the channel `amazon-q`, Amazon Q Developer's custom
    /// notifications to this topic.
    pub amazon_q_topic_arn: Option<String>,
    /// `TRAILWARDEN_DIGEST_SCHEDULE_ROLE_ARN`: the role EventBridge Scheduler invokes the function
    /// with to flush digests. With the dedupe table, it turns storm grouping and daily digests
    /// on; without it nothing is held. `TRAILWARDEN_DIGEST_SCHEDULE_GROUP` (`default`) is the
    /// schedule group, `TRAILWARDEN_DIGEST_DEAD_LETTER_ARN` the queue for flushes that never ran.
    pub digest_schedule_role_arn: Option<String>,
    pub digest_schedule_group: String,
    pub digest_dead_letter_arn: Option<String>,
}

impl LambdaConfig {
    /// Every channel the function sends through, by name, in order: `email`, then `sns`,
    /// `webhook`, `amazon-q`, `securityhub` when set, then the config file's `[[channels]]`.
    pub fn channel_names(&self) -> Vec<String> {
        let mut names = vec!["email".to_string()];
        names.extend(self.sns_topic_arn.as_ref().map(|_| "sns".to_string()));
        names.extend(self.webhook.as_ref().map(|_| "webhook".to_string()));
        names.extend(self.amazon_q_topic_arn.as_ref().map(|_| "amazon-q".to_string()));
        names.extend(self.securityhub_import.then(|| "securityhub".to_string()));
        names.extend(self.rules.channels.iter().map(|c| c.name.clone()));
        names
    }
}

impl LambdaConfig {
    /// Reads the configuration through `get` (`std::env::var` in the function). A bad value is an
    /// error naming the variable, so the function fails at start, not on the first alert.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = |var: &str, message: String| ConfigError::Env { var: var.to_string(), message };
        let required = |var: &str| {
            get(var)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| env(var, "is not set".into()))
        };
        let recipients: Vec<String> =
            required("EMAILIDS")?.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
        if recipients.is_empty() {
            return Err(env("EMAILIDS", "lists no address".into()));
        }
        if let Some(bad) = recipients.iter().find(|r| !valid_address(r)) {
            return Err(env("EMAILIDS", format!("`{bad}` is not an email address")));
        }
        let mut rules = match get("TRAILWARDEN_CONFIG").filter(|p| !p.trim().is_empty()) {
            Some(path) => Config::from_file(std::path::Path::new(path.trim()))?,
            None => Config::default(),
        };
        rules.apply_env(&get)?;
        let optional = |var: &str| get(var).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let sns_topic_arn = optional("TRAILWARDEN_SNS_TOPIC_ARN");
        if let Some(arn) = &sns_topic_arn
            && !(arn.starts_with("arn:") && arn.split(':').count() == 6 && arn.contains(":sns:"))
        {
            return Err(env(
                "TRAILWARDEN_SNS_TOPIC_ARN",
                format!("`{}` is not an SNS topic ARN", crate::text::one_line(arn)),
            ));
        }
        let dedupe_ttl_days = match optional("TRAILWARDEN_DEDUPE_TTL_DAYS") {
            None => 30,
            Some(v) => v.parse::<u32>().ok().filter(|d| (1..=365).contains(d)).ok_or_else(|| {
                env("TRAILWARDEN_DEDUPE_TTL_DAYS", format!("`{v}` is not a number of days from 1 to 365"))
            })?,
        };
        let claim_lease_secs = match optional("TRAILWARDEN_CLAIM_LEASE_SECONDS") {
            None => crate::dedupe::DEFAULT_LEASE_SECS,
            Some(v) => v.parse::<i64>().ok().filter(|d| (60..=3600).contains(d)).ok_or_else(|| {
                env("TRAILWARDEN_CLAIM_LEASE_SECONDS", format!("`{v}` is not a number of seconds from 60 to 3600"))
            })?,
        };
        let mut account_names = std::collections::BTreeMap::new();
        for entry in optional("TRAILWARDEN_ACCOUNT_NAMES").iter().flat_map(|v| v.split(',')) {
            let bad = || {
                env("TRAILWARDEN_ACCOUNT_NAMES", format!("`{}` is not ACCOUNT_ID=name", crate::text::one_line(entry)))
            };
            let (id, name) = entry.split_once('=').ok_or_else(bad)?;
            let (id, name) = (id.trim(), name.trim());
            if !crate::analysis::names::is_account_id(id) || name.is_empty() {
                return Err(bad());
            }
            account_names.insert(id.to_string(), name.to_string());
        }
        let max_object_bytes = match optional("TRAILWARDEN_MAX_OBJECT_MIB") {
            None => 64 << 20,
            Some(v) => v.parse::<u64>().ok().filter(|m| (1..=4096).contains(m)).map(|m| m << 20).ok_or_else(|| {
                env("TRAILWARDEN_MAX_OBJECT_MIB", format!("`{v}` is not a number of MiB from 1 to 4096"))
            })?,
        };
        let mut accounts = Vec::new();
        for id in optional("TRAILWARDEN_TRAIL_ACCOUNTS").iter().flat_map(|v| v.split(',')).map(str::trim) {
            if !crate::analysis::names::is_account_id(id) {
                let what = format!("`{}` is not a 12-digit account id", crate::text::one_line(id));
                return Err(env("TRAILWARDEN_TRAIL_ACCOUNTS", what));
            }
            accounts.push(id.to_string());
        }
        // Lambda's own variable: half the function's memory may hold an inflated object.
        let memory_mb = optional("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").and_then(|m| m.parse::<u64>().ok());
        let whole_object_bytes = memory_mb.map_or(64 << 20, |mb| (mb / 2).clamp(16, 4096) << 20);
        let objects = objects::ObjectSettings {
            prefix: optional("TRAILWARDEN_TRAIL_PREFIX"),
            whole_object_bytes,
            accounts,
            account_names,
        };
        let flag = |var: &str| match optional(var).as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(env(var, format!("`{}` is not true or false", crate::text::one_line(other)))),
        };
        let account_names_from_organizations = flag("TRAILWARDEN_ACCOUNT_NAMES_FROM_ORGANIZATIONS")?;
        let securityhub_import = flag("TRAILWARDEN_SECURITYHUB_IMPORT")?;
        let webhook = match optional("TRAILWARDEN_WEBHOOK_SECRET") {
            None => None,
            Some(secret) => {
                let kind = optional("TRAILWARDEN_WEBHOOK_FORMAT").unwrap_or_else(|| "slack".into());
                let flavor = kind.to_ascii_lowercase();
                if flavor != "slack" && flavor != "teams" {
                    let what = format!("`{}` is not slack or teams", crate::text::one_line(&kind));
                    return Err(env("TRAILWARDEN_WEBHOOK_FORMAT", what));
                }
                let spec = crate::notify::route::ChannelSpec {
                    name: "webhook".into(),
                    kind: flavor,
                    secret: Some(secret.clone()),
                    topic_arn: None,
                };
                Some((secret, spec))
            }
        };
        let amazon_q_topic_arn = optional("TRAILWARDEN_AMAZON_Q_TOPIC_ARN");
        if let Some(arn) = &amazon_q_topic_arn
            && !crate::notify::route::is_topic_arn(arn)
        {
            let what = format!("`{}` is not an SNS topic ARN", crate::text::one_line(arn));
            return Err(env("TRAILWARDEN_AMAZON_Q_TOPIC_ARN", what));
        }
        let digest_schedule_role_arn = optional("TRAILWARDEN_DIGEST_SCHEDULE_ROLE_ARN");
        if let Some(arn) = &digest_schedule_role_arn
            && !(arn.starts_with("arn:") && arn.contains(":iam::") && arn.contains(":role/"))
        {
            let what = format!("`{}` is not an IAM role ARN", crate::text::one_line(arn));
            return Err(env("TRAILWARDEN_DIGEST_SCHEDULE_ROLE_ARN", what));
        }
        let built = LambdaConfig {
            webhook,
            amazon_q_topic_arn,
            digest_schedule_role_arn,
            digest_schedule_group: optional("TRAILWARDEN_DIGEST_SCHEDULE_GROUP").unwrap_or_else(|| "default".into()),
            digest_dead_letter_arn: optional("TRAILWARDEN_DIGEST_DEAD_LETTER_ARN"),
            objects,
            max_object_bytes,
            account_names_from_organizations,
            securityhub_import,
            dedupe_table: optional("TRAILWARDEN_DEDUPE_TABLE"),
            dedupe_ttl_days,
            claim_lease_secs,
            sns_topic_arn,
            account_name: get("ACCOUNTNAME").unwrap_or_default().trim().to_string(),
            recipients,
            secret_name: required("SECRETNAME")?,
            secret_region: get("SECRETREGION").map(|r| r.trim().to_string()).filter(|r| !r.is_empty()),
            rules,
        };
        // Channel names are unique, and every route names one.
        let names = built.channel_names();
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(ConfigError::Invalid(format!("two channels are named `{}`", crate::text::one_line(n))));
            }
        }
        if let Some(unknown) = built.rules.routes.channel_names().find(|r| !names.iter().any(|n| n == r)) {
            return Err(ConfigError::Invalid(format!(
                "a route names channel `{}`, which is not configured (channels: {})",
                crate::text::one_line(unknown),
                names.join(", ")
            )));
        }
        Ok(built)
    }
}

/// A plain `local@domain.tld` check: enough to catch typos and injection, not an RFC 5322 parser.
pub fn valid_address(addr: &str) -> bool {
    let Some((local, domain)) = addr.rsplit_once('@') else { return false };
    let ok_char = |c: char| c.is_ascii_graphic() && !"<>()[]\\,;:\"@".contains(c);
    !local.is_empty()
        && local.len() <= 64
        && local.chars().all(ok_char)
        && domain.len() <= 253
        && domain.contains('.')
        && !domain.starts_with(['.', '-'])
        && !domain.ends_with(['.', '-'])
        && domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// What one invocation did: the function's response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub event_id: String,
    pub event_name: String,
    /// The rules that looked at the event.
    pub rules_matched: Vec<String>,
    /// The rules that raised an alert.
    pub alerts: Vec<String>,
    /// Alerts a suppression silenced: `rule-id: suppression #N (line L) …: reason`.
    pub suppressed: Vec<String>,
    /// The first channel's message id, when a message was sent.
    pub message_id: Option<String>,
    /// Per channel that sent now: `email: <message id>`, or `webhook: failed: <why>`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    /// Alerts held for a digest: `rule-id: <digest id> via <channel>`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<String>,
    /// Alerts no route sends anywhere (rule ids): logged at warn, one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unrouted: Vec<String>,
    /// Why the event was turned away without evaluation ("not for me"): an EventBridge event
    /// of a kind no rule takes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_for_me: Option<String>,
    /// The findings the event carried (their ARNs), for a findings event.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
    /// Findings triage kept quiet, and why: `arn: a sample finding`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quiet: Vec<String>,
    /// Alerts not sent because the ledger holds them as sent (or being sent): `rule-id: key`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repeats: Vec<String>,
    /// The Security Hub workflow update after the send: what was updated, or why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// The response, one line per action: `ec2-isolate i-0abc: applied`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub response: Vec<String>,
}

/// Why an invocation failed. Failing is deliberate: EventBridge retries, and the dead-letter
/// queue keeps the event, so no alert is silently dropped.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("malformed event: {0}")]
    BadEvent(String),
    #[error("{error}")]
    Notify { channel: String, error: NotifyError },
    #[error("{0}")]
    Ledger(#[from] crate::dedupe::LedgerError),
    /// Several channels failed (each named, with its error); the others delivered.
    #[error("channels failed: {0}")]
    Channels(String),
}

/// What the handler does beyond evaluating and sending: the once-per-alert ledger, and the
/// Security Hub workflow update after a send (when `findings_update_workflow` is on).
#[derive(Clone, Copy, Default)]
pub struct Options<'a> {
    /// Claims each alert before it is sent; `None` sends every alert of every delivery.
    pub ledger: Option<&'a dyn crate::dedupe::Ledger>,
    /// Marks alerted Security Hub findings `NOTIFIED`.
    pub workflow: Option<&'a dyn crate::notify::FindingsWorkflow>,
    /// Applies the response plan when `respond = "apply"`; without one, plans are shown only.
    pub responder: Option<&'a dyn crate::respond::Responder>,
    /// Names for the accounts of an organisation trail's alerts that the configured map does not
    /// name (Organizations `ListAccounts`).
    pub accounts: Option<&'a dyn accounts::AccountDirectory>,
    /// Where storm groups and daily digests wait for their flush; `None`: nothing is held.
    pub holds: Option<&'a dyn crate::notify::storm::Holds>,
    /// The time (Unix seconds) to act at; `None`: the clock's. Tests control time with it.
    pub now: Option<i64>,
}

/// Handles one EventBridge event (its JSON text): evaluate, and send the alerts through the
/// notifier if there are any. An event no rule wants returns at once, without touching the
/// network; so does an event of a kind no rule takes (a GuardDuty finding, say), answered
/// "not for me" with a log line rather than failed into the dead-letter queue.
pub async fn handle<F: FactSource>(
    engine: &Engine,
    notifier: &dyn Notifier,
    facts: &F,
    account_name: &str,
    payload: &str,
) -> Result<Summary, HandlerError> {
    handle_with(engine, notifier, facts, account_name, payload, Options::default()).await
}

/// [`handle`], with a ledger that sends each alert once across deliveries, and the Security Hub
/// workflow update: what the function runs.
pub async fn handle_with<F: FactSource>(
    engine: &Engine,
    notifier: &dyn Notifier,
    facts: &F,
    account_name: &str,
    payload: &str,
    options: Options<'_>,
) -> Result<Summary, HandlerError> {
    let kind = match carries(payload) {
        Carries::Input(kind) if engine.takes(kind) => kind,
        Carries::Input(kind) => return Ok(not_for_me(format!("no rule takes {kind:?} input"))),
        Carries::Other { source, detail_type } => {
            return Ok(not_for_me(format!(
                "`{}` events from `{}`: no rule takes this input",
                crate::text::one_line(&detail_type),
                crate::text::one_line(&source)
            )));
        }
    };
    if kind == crate::rule::InputKind::Finding {
        let min = engine.config().findings_min_severity;
        if crate::findings::read::surely_below(payload, min) {
            let quiet = format!("a GuardDuty finding below findings_min_severity {min}");
            return Ok(Summary { quiet: vec![quiet], ..Summary::default() });
        }
        return handle_findings(engine, notifier, account_name, payload, options).await;
    }
    let raw = crate::cloudtrail::input::parse_single(payload).map_err(|e| HandlerError::BadEvent(e.to_string()))?;
    let name = raw.event_name().map_err(|e| HandlerError::BadEvent(e.to_string()))?;
    if !engine.wants(&name) {
        return Ok(Summary { event_name: name.into_owned(), ..Summary::default() });
    }
    let event = Event::from_raw(&raw).map_err(|e| HandlerError::BadEvent(e.to_string()))?;
    // Live state the rules ask about, looked up concurrently, once for this event.
    let questions = engine.questions(&event).map_err(|e| HandlerError::BadEvent(e.to_string()))?;
    let answers = if questions.is_empty() { Facts::default() } else { facts.answer(&questions).await };
    let eval = engine.evaluate_with(&event, &answers);
    if let Some(e) = eval.errors.first() {
        // A rule could not read the event: treat it as malformed rather than silently passing it.
        return Err(HandlerError::BadEvent(e.to_string()));
    }
    let mut summary = Summary {
        event_id: event.event_id.to_string(),
        event_name: event.event_name.to_string(),
        rules_matched: eval.matched.iter().map(|s| s.to_string()).collect(),
        alerts: eval.details.iter().map(|d| d.rule_id.to_string()).collect(),
        suppressed: eval.suppressed.iter().map(|s| format!("{}: {}", s.detail.rule_id, s.by)).collect(),
        ..Summary::default()
    };
    send(notifier, eval.details, account_name, options, engine.config(), &mut summary).await?;
    tracing::info!(
        event_id = %summary.event_id,
        event_name = %summary.event_name,
        rules = ?summary.rules_matched,
        alerts = ?summary.alerts,
        suppressed = ?summary.suppressed,
        repeats = ?summary.repeats,
        message_id = summary.message_id.as_deref().unwrap_or(""),
        "event evaluated"
    );
    Ok(summary)
}

/// Delivers the alerts through every channel the routes give them ([`crate::notify::route`]), each
/// channel on its own: with a ledger, each alert is claimed per channel first (`key@channel`;
/// those already sent there are dropped into `summary.repeats`), so a retry after one channel
/// failed sends through that channel only. A storm's held alerts and daily-digest alerts go into
/// their group ([`crate::notify::storm`], with `options.holds`) instead of out. Logs one
/// "alert sent" line per alert sent (the stack's metric filter counts them by severity and input
/// kind). Fails, after every channel was tried, naming the channels that failed.
async fn send(
    notifier: &dyn Notifier,
    alerts: Vec<crate::detail::EventDetail>,
    account_name: &str,
    options: Options<'_>,
    config: &crate::config::Config,
    summary: &mut Summary,
) -> Result<(), HandlerError> {
    use crate::dedupe::{Claim, Ticket, key, level};
    use crate::notify::route::Mode;
    use crate::notify::storm::{Digest, Joined, group_key, holdable};
    let now = options.now.unwrap_or_else(|| jiff::Timestamp::now().as_second());
    let channels = crate::notify::channels_of(notifier);
    let names: Vec<&str> = channels.iter().map(|c| c.name()).collect();
    // What each alert gets, per channel: (alert index, channel index, mode, claim).
    let mut fresh: Vec<(usize, usize, Mode, Option<Ticket>)> = Vec::new();
    let mut decided: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
    let mut all_tickets: Vec<Ticket> = Vec::new();
    let mut busy: Vec<(String, NotifyError)> = Vec::new();
    for (i, alert) in alerts.iter().enumerate() {
        let deliveries = config.routes.deliveries(alert, &names);
        if deliveries.is_empty() {
            // No route takes it: said, so a routing table with a gap shows in the log.
            summary.unrouted.push(alert.rule_id.to_string());
            tracing::warn!(
                rule = %alert.rule_id,
                severity = %alert.severity,
                event_id = %crate::text::one_line(&alert.event_id),
                summary = %crate::text::one_line(&alert.summary),
                "alert not routed to any channel"
            );
        }
        for (channel, mode) in deliveries {
            let Some(c) = names.iter().position(|n| *n == channel) else { continue };
            let Some(ledger) = options.ledger else {
                fresh.push((i, c, mode, None));
                continue;
            };
            let k = format!("{}@{channel}", key(alert));
            if let Some(&was_fresh) = decided.get(&k) {
                // Another alert of the same finding: it goes with the one that claimed.
                if was_fresh {
                    fresh.push((i, c, mode, None));
                }
                continue;
            }
            let claim = match ledger.claim(&k, level(alert), now).await {
                Ok(claim) => claim,
                Err(e) => {
                    release(ledger, &all_tickets).await;
                    return Err(e.into());
                }
            };
            decided.insert(k.clone(), matches!(claim, Claim::Fresh(_)));
            match claim {
                Claim::Fresh(ticket) => {
                    all_tickets.push(ticket.clone());
                    fresh.push((i, c, mode, Some(ticket)));
                }
                Claim::Seen { .. } => summary.repeats.push(format!("{}: {k}", alert.rule_id)),
                // Being sent by another delivery now, or by one that died mid-send: this channel
                // fails, so the retry finds it sent (a repeat) or its claim lapsed (sent then).
                Claim::Busy { until, .. } => {
                    let why = format!("{k} is being sent by another delivery (its claim holds until {until})");
                    busy.push((channel.clone(), NotifyError::Channels(crate::text::one_line(&why))));
                }
            }
        }
    }
    let mut alerts = alerts;
    let touched: std::collections::BTreeSet<usize> = fresh.iter().map(|f| f.0).collect();
    summary.alerts = touched.iter().map(|&i| alerts[i].rule_id.to_string()).collect();
    if fresh.is_empty() {
        return match busy.len() {
            0 => Ok(()),
            _ => Err(failure(busy)),
        };
    }
    // The response is planned (and, in apply mode, applied) before the send so that the message
    // carries its outcome; it never fails the invocation, and never holds the alert back.
    for &i in &touched {
        let alert = &mut alerts[i];
        crate::respond::respond(alert, &config.respond, options.responder).await;
        for step in &alert.response {
            summary.response.push(format!("{} {}: {}", step.action, step.resource, step.status.label()));
            tracing::info!(
                action = %step.action,
                resource = %crate::text::one_line(&step.resource),
                status = step.status.label(),
                note = %crate::text::one_line(&step.note),
                "response"
            );
        }
    }
    // Storms: one join per actor in this invocation (an event's alerts go together).
    let mut joined: std::collections::HashMap<String, Joined> = std::collections::HashMap::new();
    let mut failed: Vec<(String, NotifyError)> = busy;
    let mut settle: Vec<(Ticket, bool)> = Vec::new();
    let mut now_send: Vec<Vec<(usize, Option<Ticket>)>> = vec![Vec::new(); channels.len()];
    for (i, c, mode, ticket) in fresh {
        let alert = &alerts[i];
        let digest = match (options.holds, mode) {
            // Critical alerts are never held, not even by a daily route.
            (Some(_), Mode::Daily) if alert.severity < crate::Severity::Critical => Some(Digest::daily(names[c], now)),
            (Some(holds), Mode::Now) if config.storm_window_secs > 0 && holdable(alert) => {
                let group = group_key(alert).unwrap_or_default();
                let state = match joined.get(&group) {
                    Some(state) => state.clone(),
                    None => match holds.join(alert, now, config.storm_window_secs).await {
                        Ok(state) => {
                            joined.insert(group, state.clone());
                            state
                        }
                        Err(e) => {
                            failed.push((names[c].to_string(), NotifyError::Channels(e.to_string())));
                            settle.extend(ticket.map(|t| (t, false)));
                            continue;
                        }
                    },
                };
                match state {
                    Joined::First => None,
                    Joined::Open(digest) => Some(digest),
                }
            }
            _ => None,
        };
        if let (Some(holds), Some(digest)) = (options.holds, digest) {
            match holds.hold(&digest, &key(alert), alert, names[c], now).await {
                Ok(true) => {
                    summary.held.push(format!("{}: {} via {}", alert.rule_id, digest.id, names[c]));
                    tracing::info!(
                        rule = %alert.rule_id,
                        digest = %digest.id,
                        channel = names[c],
                        event_id = %crate::text::one_line(&alert.event_id),
                        resource = %crate::text::one_line(&format!("{} {}", alert.resource.kind, alert.resource.id)),
                        summary = %crate::text::one_line(&alert.summary),
                        "alert held"
                    );
                    settle.extend(ticket.map(|t| (t, true)));
                    continue;
                }
                // The group's digest is already going out: this one goes now.
                Ok(false) => {}
                Err(e) => {
                    failed.push((names[c].to_string(), NotifyError::Channels(e.to_string())));
                    settle.extend(ticket.map(|t| (t, false)));
                    continue;
                }
            }
        }
        now_send[c].push((i, ticket));
    }
    let mut sent_any: std::collections::BTreeSet<usize> = std::collections::BTreeSet::new();
    let mut first_id = None;
    for (c, list) in now_send.into_iter().enumerate() {
        if list.is_empty() {
            continue;
        }
        let batch: Vec<crate::detail::EventDetail> = list.iter().map(|(i, _)| alerts[*i].clone()).collect();
        let ok = match channels[c].notify(Batch::new(&batch, account_name)).await {
            Ok(id) => {
                summary.channels.push(format!("{}: {id}", names[c]));
                first_id.get_or_insert(id);
                sent_any.extend(list.iter().map(|(i, _)| *i));
                true
            }
            Err(error) => {
                summary.channels.push(format!("{}: failed: {}", names[c], crate::text::one_line(&error.to_string())));
                failed.push((names[c].to_string(), error));
                false
            }
        };
        settle.extend(list.into_iter().filter_map(|(_, t)| t.map(|t| (t, ok))));
    }
    if let Some(ledger) = options.ledger {
        for (ticket, ok) in &settle {
            let done = if *ok { ledger.confirm(ticket).await } else { ledger.release(ticket).await };
            if let Err(e) = done {
                // Sent but not recorded: the claim lapses after its lease, and a later delivery
                // may send it again (a double alert is better than a lost one); or a release that
                // did not go through: the claim lapses after its lease.
                tracing::warn!(error = %e, sent = ok, "the ledger did not record the outcome");
            }
        }
    }
    for &i in &sent_any {
        log_sent(&alerts[i]);
    }
    let sent: Vec<crate::detail::EventDetail> = sent_any.iter().map(|&i| alerts[i].clone()).collect();
    if let Some(id) = &first_id
        && config.findings_update_workflow
        && let Some(workflow) = options.workflow
    {
        summary.workflow = workflow_update(workflow, &sent, id).await;
    }
    summary.message_id = first_id;
    match failed.len() {
        0 => Ok(()),
        _ => Err(failure(failed)),
    }
}

/// The invocation's error for the channels that failed: the one, or all of them named.
fn failure(mut failed: Vec<(String, NotifyError)>) -> HandlerError {
    match failed.len() {
        1 => {
            let (channel, error) = failed.remove(0);
            HandlerError::Notify { channel, error }
        }
        _ => HandlerError::Channels(failed.iter().map(|(c, e)| format!("{c}: {e}")).collect::<Vec<_>>().join("; ")),
    }
}

/// What a digest's flush did: the function's response to its schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FlushSummary {
    pub digest: String,
    /// Alerts the digest held.
    pub alerts: usize,
    /// Per channel: `email: <message id>`, `webhook: already sent`.
    pub channels: Vec<String>,
    /// When the flush is called again (Unix seconds), for channels that failed or were busy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub again: Option<i64>,
}

/// Flushes the group `id` at the end of its window (the schedule's call): seals it, and sends its
/// digest through each channel its alerts were held for, once per channel (claimed in the ledger
/// as `digest#<id>@<channel>`, settled right after each send). A channel that fails, or whose
/// claim another flush holds, is tried again by a new schedule (every [`FLUSH_RETRY_SECS`], for a
/// day past the window; after that the failure fails the invocation, so the function's retries
/// and then its dead-letter queue keep it); only those channels are tried again. The group is
/// marked done once every channel has its digest. Flushing again after that, or a group that
/// held nothing, does nothing.
pub async fn flush(
    notifier: &dyn Notifier,
    account_name: &str,
    id: &str,
    options: Options<'_>,
) -> Result<FlushSummary, HandlerError> {
    use crate::dedupe::Claim;
    let mut summary = FlushSummary { digest: crate::text::one_line(id), ..FlushSummary::default() };
    let Some(holds) = options.holds else {
        return Err(HandlerError::BadEvent("a digest flush, but no group store is configured".into()));
    };
    let hold_error = |e: crate::notify::storm::HoldError| HandlerError::Notify {
        channel: "digest".into(),
        error: NotifyError::Channels(e.to_string()),
    };
    let Some(sealed) = holds.seal(id).await.map_err(hold_error)? else {
        tracing::info!(digest = %summary.digest, "nothing held, or already flushed");
        return Ok(summary);
    };
    summary.alerts = sealed.alerts.len();
    let now = options.now.unwrap_or_else(|| jiff::Timestamp::now().as_second());
    let mut failed: Vec<(String, NotifyError)> = Vec::new();
    // Channels to try again later (failed, or another delivery holds the claim): the flush is
    // called again at the latest of these times, and the group stays until then.
    let mut again: Option<i64> = None;
    let channels = crate::notify::channels_of(notifier);
    for held in sealed.channels() {
        let Some(channel) = channels.iter().find(|k| k.name() == held) else {
            // A channel configured away since the alerts were held: said, with each alert in the log.
            summary.channels.push(format!("{}: not configured any more", crate::text::one_line(held)));
            for (alert, _) in sealed.alerts.iter().filter(|(_, cs)| cs.iter().any(|x| x == held)) {
                tracing::error!(
                    channel = %crate::text::one_line(held),
                    rule = %alert.rule_id,
                    event_id = %crate::text::one_line(&alert.event_id),
                    summary = %crate::text::one_line(&alert.summary),
                    "a held alert's channel is not configured any more"
                );
            }
            continue;
        };
        let name = channel.name();
        let (alerts, digest) = sealed.for_channel(name);
        let top = alerts.iter().map(|a| a.severity).max().unwrap_or_default();
        let ticket = match options.ledger {
            None => None,
            Some(ledger) => match ledger.claim(&format!("digest#{id}@{name}"), top, now).await? {
                Claim::Fresh(ticket) => Some(ticket),
                Claim::Seen { .. } => {
                    summary.channels.push(format!("{name}: already sent"));
                    continue;
                }
                // Being sent by another flush, or by one that died mid-send: looked at again
                // after its claim lapses.
                Claim::Busy { until, .. } => {
                    summary.channels.push(format!("{name}: being sent by another flush"));
                    again = again.max(Some(until + 60));
                    continue;
                }
            },
        };
        let sent = channel.notify(Batch { alerts: &alerts, account_name, digest: Some(&digest) }).await;
        let ok = sent.is_ok();
        if let (Some(ledger), Some(ticket)) = (options.ledger, &ticket) {
            let done = if ok { ledger.confirm(ticket).await } else { ledger.release(ticket).await };
            if let Err(e) = done {
                tracing::warn!(error = %e, sent = ok, "the ledger did not record the digest's outcome");
            }
        }
        match sent {
            Ok(message_id) => {
                summary.channels.push(format!("{name}: {message_id}"));
                alerts.iter().for_each(log_sent);
            }
            // Tried again every RETRY_SECS for a day past the window; after that the
            // invocation fails (the function's retries, then the dead-letter queue).
            Err(e) if now < sealed.digest.end + 86_400 => {
                let text = crate::text::one_line(&e.to_string());
                tracing::error!(digest = %summary.digest, channel = name, error = %text, "a digest's channel failed; flushed again later");
                summary.channels.push(format!("{name}: failed: {text}"));
                again = again.max(Some(now + FLUSH_RETRY_SECS));
            }
            Err(e) => {
                summary.channels.push(format!("{name}: failed: {}", crate::text::one_line(&e.to_string())));
                failed.push((name.to_string(), e));
            }
        }
    }
    if let Some(at) = again
        && failed.is_empty()
    {
        match holds.again(id, at).await {
            Ok(()) => summary.again = Some(at),
            Err(e) => failed.push(("digest".into(), NotifyError::Channels(e.to_string()))),
        }
    }
    tracing::info!(digest = %summary.digest, alerts = summary.alerts, channels = ?summary.channels, again = ?summary.again, "digest flushed");
    match failed.len() {
        0 if again.is_none() => {
            holds.forget(id).await.map_err(hold_error)?;
            Ok(summary)
        }
        0 => Ok(summary),
        _ => Err(failure(failed)),
    }
}

/// How long a digest whose channel failed waits before its flush is called again.
pub const FLUSH_RETRY_SECS: i64 = 600;

/// The "alert sent" log line the stack's metric filter counts, by severity and input kind.
fn log_sent(alert: &crate::detail::EventDetail) {
    let input = if alert.origin.is_cloudtrail() { "cloudtrail" } else { "finding" };
    tracing::info!(severity = %alert.severity, input, rule = %alert.rule_id, "alert sent");
}

/// Releases claims after a failure, logging (not failing on) a release that did not go through:
/// the claim then lapses after its lease.
async fn release(ledger: &dyn crate::dedupe::Ledger, tickets: &[crate::dedupe::Ticket]) {
    for ticket in tickets {
        if let Err(e) = ledger.release(ticket).await {
            tracing::warn!(error = %e, "a claim could not be released; it lapses after its lease");
        }
    }
}

/// Marks the Security Hub findings among `sent` as `NOTIFIED`, with a note naming the alert. A
/// failure is logged and reported in the summary, not failed: the alert itself went out.
async fn workflow_update(
    workflow: &dyn crate::notify::FindingsWorkflow,
    sent: &[crate::detail::EventDetail],
    message_id: &str,
) -> Option<String> {
    let mut findings: Vec<crate::notify::FindingRef> = Vec::new();
    for d in sent {
        if let Some(f) = d.origin.finding()
            && f.format == "asff"
            && let Some(product_arn) = &f.product_arn
            && !findings.iter().any(|r| r.id == d.event_id)
        {
            findings.push(crate::notify::FindingRef { id: d.event_id.clone(), product_arn: product_arn.clone() });
        }
    }
    if findings.is_empty() {
        return None;
    }
    let mut rules: Vec<&str> = sent.iter().map(|d| &*d.rule_id).collect();
    rules.dedup();
    let note = format!("trailwarden alerted ({}), message {message_id}", rules.join(", "));
    Some(match workflow.notified(&findings, &note).await {
        Ok(()) => format!("{} finding(s) set to NOTIFIED", findings.len()),
        Err(e) => {
            tracing::warn!(error = %e, "the Security Hub workflow update failed");
            format!("workflow update failed: {e}")
        }
    })
}

/// A GuardDuty or Security Hub findings event: every finding is triaged and evaluated, and the
/// alerts go out in one message. A finding that cannot be read (or that a rule cannot read)
/// fails the invocation after the others were sent, so the event reaches the dead-letter queue.
async fn handle_findings(
    engine: &Engine,
    notifier: &dyn Notifier,
    account_name: &str,
    payload: &str,
    options: Options<'_>,
) -> Result<Summary, HandlerError> {
    let mut summary = Summary::default();
    let mut alerts = Vec::new();
    let mut problems = Vec::new();
    for read in crate::findings::read::document(payload) {
        let finding = match read {
            Ok(finding) => finding,
            Err((i, what)) => {
                problems.push(format!("finding {i}: {what}"));
                continue;
            }
        };
        if summary.event_name.is_empty() {
            summary.event_id = finding.id.clone();
            summary.event_name = finding.finding_type.clone();
        }
        summary.findings.push(finding.id.clone());
        let result = engine.evaluate_finding(&finding);
        if let Some(quiet) = result.quiet {
            summary.quiet.push(format!("{}: {quiet}", finding.id));
            continue;
        }
        let eval = result.evaluation;
        summary.rules_matched.extend(eval.matched.iter().map(|s| s.to_string()));
        summary.suppressed.extend(eval.suppressed.iter().map(|s| format!("{}: {}", s.detail.rule_id, s.by)));
        problems.extend(eval.errors.iter().map(|e| format!("finding {}: {e}", finding.id)));
        alerts.extend(eval.details);
    }
    send(notifier, alerts, account_name, options, engine.config(), &mut summary).await?;
    tracing::info!(
        findings = ?summary.findings,
        quiet = ?summary.quiet,
        alerts = ?summary.alerts,
        repeats = ?summary.repeats,
        suppressed = ?summary.suppressed,
        message_id = summary.message_id.as_deref().unwrap_or(""),
        workflow = summary.workflow.as_deref().unwrap_or(""),
        "findings evaluated"
    );
    match problems.is_empty() {
        true => Ok(summary),
        false => Err(HandlerError::BadEvent(crate::text::one_line(&problems.join("; ")))),
    }
}

/// The answer to an event no rule takes, logged.
fn not_for_me(reason: String) -> Summary {
    tracing::info!(reason = %reason, "not for me");
    Summary { not_for_me: Some(reason), ..Summary::default() }
}

/// The Lambda's log output: JSON lines filtered by `setting` (`TRAILWARDEN_LOG`, an `EnvFilter`
/// directive such as `debug` or `trailwarden=trace`; `info` when unset), except that the AWS SDK's
/// crates never log below `info`, whatever the setting: at debug and trace they print the
/// resolved credentials' access key id, which is the sender secret's `ACCESS_KEY`. `Err` carries
/// the reason a setting was not understood (the layer then logs at `info`).
pub fn log_layer<S, W>(
    setting: Option<&str>,
    writer: W,
) -> (impl tracing_subscriber::Layer<S> + Send + Sync + 'static, Result<(), String>)
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::Layer;
    use tracing_subscriber::filter::{EnvFilter, FilterExt, filter_fn};
    let (env, parsed) = match EnvFilter::try_new(setting.unwrap_or("info")) {
        Ok(filter) => (filter, Ok(())),
        Err(e) => (EnvFilter::new("info"), Err(e.to_string())),
    };
    let sdk_at_most_info =
        filter_fn(|meta| !(meta.target().starts_with("aws_") && *meta.level() > tracing::Level::INFO));
    let layer = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(false)
        .without_time()
        .with_writer(writer)
        .with_filter(env.and(sdk_at_most_info));
    (layer, parsed)
}
