//! The function reading an organisation trail's bucket: SQS batches of object notifications.
//!
//! Each message names log objects ([`crate::objects::read_notice`]); each object is read with
//! GetObject, cut into records by the same readers and limits as replay (inflated whole when
//! small, streamed in parts otherwise), and every record some rule wants is evaluated with live
//! facts, as an EventBridge event is. Alerts are sent once per event, through the ledger, so a
//! redelivered message mails nothing twice. A message fails alone (`ReportBatchItemFailures`)
//! when its notice is not one, an object cannot be read, or an object holds input errors (after
//! its good records' alerts are sent): SQS redelivers it, and its dead-letter queue keeps it after
//! the last try. Skipped objects (digests, other services' keys, S3's test event) are logged with
//! the reason and are not failures.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{HandlerError, Options, Summary, send};
use crate::cloudtrail::input::InputError;
use crate::detail::EventDetail;
use crate::engine::Engine;
use crate::facts::Facts;
use crate::facts::aws::FactSource;
use crate::notify::Notifier;
use crate::objects::{NoticeError, ObjectRef, ObjectStore, read_notice};
use crate::replay::{Replay, place};
use crate::text::one_line;

/// An SQS event as Lambda delivers it (the fields read).
#[derive(Debug, Clone, Deserialize)]
pub struct SqsEvent {
    #[serde(rename = "Records")]
    pub records: Vec<SqsMessage>,
}

/// One message of the batch.
#[derive(Debug, Clone, Deserialize)]
pub struct SqsMessage {
    #[serde(rename = "messageId")]
    pub message_id: String,
    pub body: String,
    /// `aws:sqs` in what Lambda delivers.
    #[serde(rename = "eventSource", default)]
    pub event_source: String,
}

/// The function's answer: the messages to redeliver (`ReportBatchItemFailures`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchResponse {
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemFailure {
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// How the object path reads.
#[derive(Debug, Clone)]
pub struct ObjectSettings {
    /// Only keys under this prefix are read (the trail's S3 key prefix).
    pub prefix: Option<String>,
    /// Only these accounts' log files are read (all when empty).
    pub accounts: Vec<String>,
    /// Account names for the alerts, by account id; an account not named here is shown by id.
    pub account_names: BTreeMap<String, String>,
    /// An object inflating to at most this much is read whole (libdeflate, the fast path); a
    /// larger one streams in parts. Half the function's memory (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`),
    /// so the object, its inflated copy and the runtime fit: 64 MiB at 128 MB.
    pub whole_object_bytes: u64,
}

impl Default for ObjectSettings {
    fn default() -> Self {
        ObjectSettings {
            prefix: None,
            accounts: Vec::new(),
            account_names: BTreeMap::new(),
            whole_object_bytes: 64 << 20,
        }
    }
}

/// Why a message failed (it is redelivered alone).
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error(transparent)]
    Notice(#[from] NoticeError),
    #[error("s3://{bucket}/{key}: cannot read: {error}", bucket = one_line(&.object.bucket), key = one_line(&.object.key))]
    Get { object: ObjectRef, error: String },
    #[error("{} input error(s), the first: {}", .errors.len(), .errors.first().map(|e| one_line(e)).unwrap_or_default())]
    Input { errors: Vec<String> },
    #[error(transparent)]
    Send(#[from] HandlerError),
}

/// What reading one object did (logged).
#[derive(Debug, Default)]
pub struct ObjectSummary {
    pub records: u64,
    pub alerts: Vec<String>,
    pub repeats: Vec<String>,
    pub errors: Vec<String>,
}

/// The payload as an SQS batch (every record from `aws:sqs`), read once; `None` for an
/// EventBridge event.
pub fn sqs_event(payload: &str) -> Option<SqsEvent> {
    if !payload.contains("\"aws:sqs\"") {
        return None;
    }
    serde_json::from_str::<SqsEvent>(payload)
        .ok()
        .filter(|b| !b.records.is_empty() && b.records.iter().all(|r| r.event_source == "aws:sqs"))
}

/// Handles one SQS batch: each message on its own; the ones that failed are returned for
/// redelivery.
pub async fn handle_sqs<F: FactSource, S: ObjectStore>(
    engine: &Engine,
    notifier: &dyn Notifier,
    facts: &F,
    store: &S,
    settings: &ObjectSettings,
    event: &SqsEvent,
    options: Options<'_>,
) -> BatchResponse {
    let mut response = BatchResponse::default();
    for message in &event.records {
        if let Err(e) = handle_message(engine, notifier, facts, store, settings, &message.body, options).await {
            tracing::error!(message_id = %one_line(&message.message_id), error = %e, "message failed; it is redelivered alone");
            response.batch_item_failures.push(ItemFailure { item_identifier: message.message_id.clone() });
        }
    }
    response
}

/// Handles one message: every object it names; the first failure fails the message after the
/// other objects are read.
pub async fn handle_message<F: FactSource, S: ObjectStore>(
    engine: &Engine,
    notifier: &dyn Notifier,
    facts: &F,
    store: &S,
    settings: &ObjectSettings,
    body: &str,
    options: Options<'_>,
) -> Result<Vec<ObjectSummary>, ObjectError> {
    let notice = read_notice(body, settings.prefix.as_deref())?.only_accounts(&settings.accounts);
    for (key, skip) in &notice.skipped {
        tracing::info!(key = %one_line(key), reason = skip.reason(), "object skipped");
    }
    let mut first_failure = None;
    let mut done = Vec::new();
    for object in &notice.objects {
        match handle_object(engine, notifier, facts, store, settings, object, options).await {
            Ok(summary) => done.push(summary),
            Err(e) => {
                tracing::error!(bucket = %one_line(&object.bucket), key = %one_line(&object.key), error = %e, "object failed");
                first_failure.get_or_insert(e);
            }
        }
    }
    first_failure.map_or(Ok(done), Err)
}

/// Reads one object and sends its alerts, one message per event.
pub async fn handle_object<F: FactSource, S: ObjectStore>(
    engine: &Engine,
    notifier: &dyn Notifier,
    facts: &F,
    store: &S,
    settings: &ObjectSettings,
    object: &ObjectRef,
    options: Options<'_>,
) -> Result<ObjectSummary, ObjectError> {
    let bytes = store.get(object).await.map_err(|error| ObjectError::Get { object: object.clone(), error })?;
    let path = PathBuf::from(format!("s3://{}/{}", object.bucket, object.key));
    let scan = Replay { whole_file_bytes: settings.whole_object_bytes, ..Replay::new(engine) };
    let mut parts = scan.object_parts(&path, &bytes);
    let mut summary = ObjectSummary::default();
    let mut errors: Vec<InputError> = Vec::new();
    let mut alerts: Vec<EventDetail> = Vec::new();
    while let Some(part) = parts.next_part() {
        let part = match part {
            Ok(part) => part,
            Err(e) => {
                let mut report = crate::replay::FileReport::of_cutter_error(&path, e);
                place(&mut report, None, summary.records);
                summary.records += report.records;
                errors.extend(report.errors);
                continue;
            }
        };
        let mut events = Vec::new();
        let mut report = scan.visit_bytes(&path, &part.bytes, |_, event, n, at| events.push((event, n, at)));
        for (event, n, at) in events {
            let record_error = |what: String| {
                let line = crate::cloudtrail::input::line_at(&part.bytes, at);
                InputError::Record { path: path.clone(), record: n as usize, line, what }
            };
            let questions = match engine.questions(&event) {
                Ok(questions) => questions,
                Err(e) => {
                    report.errors.push(record_error(e.to_string()));
                    continue;
                }
            };
            // Live state, in the event's own account through `facts_role_name` where set.
            let answers = if questions.is_empty() { Facts::default() } else { facts.answer(&questions).await };
            let eval = engine.evaluate_with(&event, &answers);
            report.errors.extend(eval.errors.iter().map(|e| record_error(e.to_string())));
            alerts.extend(eval.details);
        }
        place(&mut report, Some(&part), summary.records);
        summary.records += report.records;
        errors.extend(report.errors);
    }
    // What was found is sent even when the object is also partly bad: the ledger keeps the
    // message's redelivery from sending it again.
    // One event's alerts are next to each other: each evaluation appends its own.
    for group in crate::notify::render::per_event(&alerts) {
        let group = group.to_vec();
        let account = group[0].account_id.clone();
        // The configured name, else the organisation's, else the id.
        let name = match settings.account_names.get(&account) {
            Some(name) => Some(name.clone()),
            None => match options.accounts {
                Some(directory) => directory.name(&account).await,
                None => None,
            },
        };
        let name = name.unwrap_or(account);
        let mut sent = Summary::default();
        send(notifier, group, &name, options, engine.config(), &mut sent).await?;
        summary.alerts.extend(sent.alerts);
        summary.repeats.extend(sent.repeats);
    }
    summary.errors = errors.iter().map(ToString::to_string).collect();
    tracing::info!(
        bucket = %one_line(&object.bucket),
        key = %one_line(&object.key),
        records = summary.records,
        alerts = ?summary.alerts,
        repeats = summary.repeats.len(),
        errors = summary.errors.len(),
        "object read"
    );
    if !summary.errors.is_empty() {
        return Err(ObjectError::Input { errors: std::mem::take(&mut summary.errors) });
    }
    Ok(summary)
}
