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
        Ok(LambdaConfig {
            objects,
            max_object_bytes,
            account_names_from_organizations,
            securityhub_import,
            dedupe_table: optional("TRAILWARDEN_DEDUPE_TABLE"),
            dedupe_ttl_days,
            sns_topic_arn,
            account_name: get("ACCOUNTNAME").unwrap_or_default().trim().to_string(),
            recipients,
            secret_name: required("SECRETNAME")?,
            secret_region: get("SECRETREGION").map(|r| r.trim().to_string()).filter(|r| !r.is_empty()),
            rules,
        })
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
    /// The channel's message id, when a message was sent.
    pub message_id: Option<String>,
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

/// Sends the alerts (when there are any) as one message, and logs one "alert sent" line per
/// alert (the stack's metric filter counts them by severity and input kind). With a ledger, each
/// alert is claimed first (once per key: a finding's alerts share one), those already sent are
/// dropped into `summary.repeats`, and the claims are confirmed after the send or released when
/// it fails (so EventBridge's retry sends them). Then the workflow update, if configured.
async fn send(
    notifier: &dyn Notifier,
    alerts: Vec<crate::detail::EventDetail>,
    account_name: &str,
    options: Options<'_>,
    config: &crate::config::Config,
    summary: &mut Summary,
) -> Result<(), HandlerError> {
    use crate::dedupe::{Claim, key, level};
    let mut tickets = Vec::new();
    let mut to_send = Vec::new();
    match options.ledger {
        None => to_send = alerts,
        Some(ledger) => {
            let now = jiff::Timestamp::now().as_second();
            let mut decided: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
            for alert in alerts {
                let k = key(&alert);
                let fresh = match decided.get(&k) {
                    Some(&fresh) => fresh,
                    None => {
                        let claim = match ledger.claim(&k, level(&alert), now).await {
                            Ok(claim) => claim,
                            Err(e) => {
                                release(ledger, &tickets).await;
                                return Err(e.into());
                            }
                        };
                        let fresh = matches!(claim, Claim::Fresh(_));
                        if let Claim::Fresh(ticket) = claim {
                            tickets.push(ticket);
                        }
                        decided.insert(k.clone(), fresh);
                        fresh
                    }
                };
                if fresh {
                    to_send.push(alert);
                } else {
                    summary.repeats.push(format!("{}: {k}", alert.rule_id));
                }
            }
        }
    }
    summary.alerts = to_send.iter().map(|d| d.rule_id.to_string()).collect();
    if to_send.is_empty() {
        return Ok(());
    }
    // The response is planned (and, in apply mode, applied) before the send so that the email
    // carries its outcome; it never fails the invocation, and never holds the alert back.
    for alert in &mut to_send {
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
    let sent = notifier.notify(Batch { alerts: &to_send, account_name }).await;
    let id = match sent {
        Ok(id) => id,
        Err(error) => {
            if let Some(ledger) = options.ledger {
                release(ledger, &tickets).await;
            }
            return Err(HandlerError::Notify { channel: notifier.name().to_string(), error });
        }
    };
    if let Some(ledger) = options.ledger {
        for ticket in &tickets {
            if let Err(e) = ledger.confirm(ticket).await {
                // Sent, but not recorded: the claim lapses after its lease, and a later delivery
                // may send it again. A double alert is better than a lost one.
                tracing::warn!(error = %e, "the alert was sent but the ledger did not record it");
            }
        }
    }
    for alert in &to_send {
        let input = if alert.origin.is_cloudtrail() { "cloudtrail" } else { "finding" };
        tracing::info!(severity = %alert.severity, input, rule = %alert.rule_id, "alert sent");
    }
    if config.findings_update_workflow
        && let Some(workflow) = options.workflow
    {
        summary.workflow = workflow_update(workflow, &to_send, &id).await;
    }
    summary.message_id = Some(id);
    Ok(())
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
