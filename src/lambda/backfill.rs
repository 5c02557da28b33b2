//! Backfill on Step Functions Distributed Map (`cloudformation/backfill.yaml`): the function's
//! three steps, run by the same binary as the live paths.
//!
//! 1. **Plan** (`{"Backfill": "plan", ...}`): lists the trail bucket down to its region folders
//!    (accounts and regions pruned as `replay s3://` prunes them) and writes the manifest the
//!    Map's ItemReader reads: a JSON array with one item per region and day in the range,
//!    `{"Prefix": ".../CloudTrail/REGION/YYYY/MM/DD/"}`. Days are not listed: a day folder holds
//!    up to a few hundred log files (one per five minutes, more for a busy account), which is
//!    what one child reads.
//! 2. **A child** (`{"Items": [...], "BatchInput": {...}}`, what the Map's ItemBatcher hands each
//!    child): lists each day folder (or takes each object an S3-listing ItemReader gives, by its
//!    `Key`), reads every log file through the same readers and limits as replay, and returns a
//!    JSON array: one EventDetail per alert, then one `{"trailwarden_backfill": "child", ...}`
//!    line with what it read and the input errors met. The Map's ResultWriter (`FLATTEN`,
//!    `JSONL`) writes each element as a line of the report. Output past
//!    [`CHILD_OUTPUT_BYTES`] (Step Functions' state output limit is 256 KiB) goes to an
//!    overflow object in the report bucket, named in the child's line, so nothing is cut. No
//!    email is sent, and no live state is asked: the state today says nothing about the state
//!    then, and a thousand children would throttle the member accounts' APIs, so rules that ask
//!    answer as for an unknown fact.
//! 3. **Summary** (`{"Backfill": "summary", ...}`): reads the ResultWriter's manifest and every
//!    result file (and overflow object), and writes `summary.json`: alerts per rule, account and
//!    month, objects and records read, input errors, and children that failed. Optionally it
//!    mails one digest: the most severe alerts, with the counts in the subject line.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::detail::EventDetail;
use crate::engine::Engine;
use crate::notify::{Batch, Notifier};
use crate::objects::ObjectRef;
use crate::objects::s3::{Fetch, S3Objects, Walk, get_object};
use crate::replay::{Replay, TimeWindow};
use crate::text::one_line;

/// The most a child returns inline; the rest of its report goes to an overflow object. Step
/// Functions caps a state's output at 256 KiB.
pub const CHILD_OUTPUT_BYTES: usize = 200 << 10;

/// The longest range one run plans (about three years): a mistyped year would otherwise plan
/// millions of region-days.
pub const MAX_RANGE_DAYS: i64 = 1100;

/// Objects a child fetches at once.
const FETCH_AT_ONCE: usize = 8;

/// The alerts a digest email shows (the most severe first); the counts cover every alert.
pub const DIGEST_ALERTS: usize = 50;

/// Why a backfill step failed. A child that fails is retried by the state machine, then
/// counted as failed in the summary; input errors inside log files are not failures (they are
/// reported in the child's line).
#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    #[error("bad input: {0}")]
    BadInput(String),
    #[error("{0}")]
    S3(String),
    #[error("sending the digest: {0}")]
    Digest(String),
}

/// What the state machine passes to the plan step: the run (its range as RFC 3339 times or
/// dates, both needed here) and the trail's key prefix.
#[derive(Debug, Clone, Deserialize)]
pub struct PlanInput {
    /// The trail's key prefix (with its trailing slash), before `AWSLogs/`.
    #[serde(rename = "Prefix", default)]
    pub prefix: String,
    #[serde(flatten)]
    pub run: BatchInput,
}

/// The plan step's answer: where the manifest is, and its size.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PlanOutput {
    #[serde(rename = "Bucket")]
    pub bucket: String,
    #[serde(rename = "Key")]
    pub key: String,
    /// Items in the manifest: region folders × days.
    #[serde(rename = "Days")]
    pub days: u64,
    /// Region folders found (`ACCOUNT/CloudTrail/REGION/`).
    #[serde(rename = "RegionFolders")]
    pub region_folders: u64,
    /// ListObjectsV2 requests the plan made.
    #[serde(rename = "ListRequests")]
    pub list_requests: u64,
}

/// One item of a child's batch: a day folder from the plan's manifest, or an object as an
/// S3-listing ItemReader gives it (`Key`, `Size`, `Etag`, `LastModified`, `StorageClass`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Item {
    #[serde(rename = "Prefix", default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(rename = "Key", default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(rename = "Size", default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// What every step of one run shares; each child gets it as the Map's
/// `ItemBatcher.BatchInput`.
#[derive(Debug, Clone, Deserialize)]
pub struct BatchInput {
    /// The trail's bucket.
    #[serde(rename = "Bucket")]
    pub bucket: String,
    #[serde(rename = "Since", default)]
    pub since: Option<String>,
    #[serde(rename = "Until", default)]
    pub until: Option<String>,
    #[serde(rename = "Accounts", default)]
    pub accounts: Vec<String>,
    #[serde(rename = "Regions", default)]
    pub regions: Vec<String>,
    #[serde(rename = "ReportBucket")]
    pub report_bucket: String,
    /// Where this run's report goes: the state machine passes `reports/<execution name>/`.
    #[serde(rename = "ReportPrefix")]
    pub report_prefix: String,
}

/// A child's input, as the Distributed Map hands it over.
#[derive(Debug, Clone, Deserialize)]
pub struct ChildInput {
    #[serde(rename = "Items")]
    pub items: Vec<Item>,
    #[serde(rename = "BatchInput")]
    pub batch_input: BatchInput,
}

/// The line a child adds after its alerts: what it read.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChildLine {
    /// Always `"child"`: tells this line from an alert's (alerts have `rule_id`).
    pub trailwarden_backfill: String,
    /// The batch's first item, to find the child again.
    pub first_item: String,
    pub objects: u64,
    /// Objects listed and not read (digests, other services' keys, outside the range).
    pub skipped: u64,
    pub records: u64,
    pub alerts: u64,
    /// Input errors: file, record and field, as replay reports them.
    pub errors: Vec<String>,
    /// Where the child's whole report went when it was too large to return inline
    /// (`s3://bucket/key`, JSON lines: alerts, then this line without `overflow`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overflow: Option<String>,
}

/// What the summary step is given: the Map's output (`ResultWriterDetails`) and the run's
/// settings.
#[derive(Debug, Clone, Deserialize)]
pub struct SummaryInput {
    #[serde(rename = "ResultWriterDetails")]
    pub result_writer: ResultWriterDetails,
    #[serde(rename = "ReportBucket")]
    pub report_bucket: String,
    #[serde(rename = "ReportPrefix")]
    pub report_prefix: String,
    /// Mail one digest of the run's alerts.
    #[serde(rename = "Digest", default)]
    pub digest: bool,
}

/// Where the Map's ResultWriter put its manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct ResultWriterDetails {
    #[serde(rename = "Bucket")]
    pub bucket: String,
    #[serde(rename = "Key")]
    pub key: String,
}

/// The run's summary (`summary.json`, and the summary step's output).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RunSummary {
    pub alerts: u64,
    pub objects: u64,
    pub skipped: u64,
    pub records: u64,
    pub input_errors: u64,
    /// Children that failed after their retries (their items were not read): from the
    /// ResultWriter's `FAILED` files, with Step Functions' error and cause.
    pub failed_children: Vec<String>,
    /// Children the Map never ran (`PENDING` files: the run was stopped).
    pub pending_files: u64,
    /// Result lines that were neither an alert nor a child's line (none, unless the results
    /// were edited): counted, not dropped silently.
    pub unreadable_lines: u64,
    pub by_rule: BTreeMap<String, u64>,
    pub by_account: BTreeMap<String, u64>,
    pub by_month: BTreeMap<String, u64>,
    /// Every (rule, account, month) with its count.
    pub by_rule_account_month: Vec<Count>,
    /// `s3://` of this file.
    pub report: String,
    /// What the digest did: the channel's message id, or why none was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// What the summary step returns to the state machine: the totals and where the whole summary
/// is (a state's output is capped at 256 KiB; `summary.json` is not).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SummaryOutput {
    pub alerts: u64,
    pub objects: u64,
    pub records: u64,
    pub input_errors: u64,
    pub failed_children: u64,
    pub report: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

impl From<&RunSummary> for SummaryOutput {
    fn from(s: &RunSummary) -> Self {
        SummaryOutput {
            alerts: s.alerts,
            objects: s.objects,
            records: s.records,
            input_errors: s.input_errors,
            failed_children: s.failed_children.len() as u64,
            report: s.report.clone(),
            digest: s.digest.clone(),
        }
    }
}

/// Alerts of one rule in one account in one month (`YYYY-MM` of the event).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Count {
    pub rule_id: String,
    pub account_id: String,
    pub month: String,
    pub alerts: u64,
}

/// A backfill call, told apart from the live paths' payloads.
#[derive(Debug, Clone)]
pub enum Call {
    Plan(PlanInput),
    Child(ChildInput),
    Summary(SummaryInput),
}

/// The payload as a backfill call; `None` for anything else (an EventBridge event, an SQS
/// batch). A payload that says it is one and is malformed is an error naming the field.
pub fn backfill_call(payload: &str) -> Option<Result<Call, BackfillError>> {
    #[derive(Deserialize)]
    struct Tag {
        #[serde(rename = "Backfill")]
        backfill: Option<String>,
        #[serde(rename = "Items")]
        items: Option<serde::de::IgnoredAny>,
        #[serde(rename = "BatchInput")]
        batch_input: Option<serde::de::IgnoredAny>,
    }
    if !payload.contains("\"Backfill\"") && !payload.contains("\"BatchInput\"") {
        return None;
    }
    let tag: Tag = serde_json::from_str(payload).ok()?;
    let bad = |e: serde_json::Error| BackfillError::BadInput(e.to_string());
    Some(match (tag.backfill.as_deref(), tag.items.is_some() && tag.batch_input.is_some()) {
        (Some("plan"), _) => serde_json::from_str(payload).map(Call::Plan).map_err(bad),
        (Some("summary"), _) => serde_json::from_str(payload).map(Call::Summary).map_err(bad),
        (Some(other), _) => {
            Err(BackfillError::BadInput(format!("`Backfill: {}` is not plan or summary", one_line(other))))
        }
        (None, true) => serde_json::from_str(payload).map(Call::Child).map_err(bad),
        (None, false) => return None,
    })
}

/// The plan step: the manifest of day folders for the range.
pub async fn plan(client: &aws_sdk_s3::Client, input: &PlanInput) -> Result<PlanOutput, BackfillError> {
    let run = &input.run;
    let window = TimeWindow::parse(run.since.as_deref(), run.until.as_deref())
        .map_err(|e| BackfillError::BadInput(e.to_string()))?;
    let (Some(since), Some(until)) = (window.since, window.until) else {
        return Err(BackfillError::BadInput("Since and Until are both needed".into()));
    };
    if since >= until {
        return Err(BackfillError::BadInput(format!("Since ({since}) is not before Until ({until})")));
    }
    if until.duration_since(since) > jiff::SignedDuration::from_hours(24 * MAX_RANGE_DAYS) {
        return Err(BackfillError::BadInput(format!(
            "{since} to {until} is over {MAX_RANGE_DAYS} days: start one run per year or so"
        )));
    }
    let walk = Walk { window, accounts: run.accounts.clone(), regions: run.regions.clone() };
    let root = format!("{}AWSLogs/", input.prefix);
    let listed =
        crate::objects::s3::list_regions(client, &run.bucket, &root, &walk).await.map_err(BackfillError::S3)?;
    let days = days_in(&window);
    let mut manifest = Vec::with_capacity(listed.regions.len() * days.len());
    for region in &listed.regions {
        for day in &days {
            manifest.push(Item {
                prefix: Some(format!("{region}{}/", day.strftime("%Y/%m/%d"))),
                key: None,
                size: None,
            });
        }
    }
    let key = format!("{}days.json", run.report_prefix);
    let body = serde_json::to_vec(&manifest).map_err(|e| BackfillError::BadInput(e.to_string()))?;
    put(client, &run.report_bucket, &key, body, "application/json").await?;
    tracing::info!(
        region_folders = listed.regions.len(),
        days = manifest.len(),
        list_requests = listed.requests,
        "backfill planned"
    );
    Ok(PlanOutput {
        bucket: run.report_bucket.clone(),
        key,
        days: manifest.len() as u64,
        region_folders: listed.regions.len() as u64,
        list_requests: listed.requests,
    })
}

/// The delivery days whose folders may hold events of the window: a log file lands minutes
/// after its events, so the day after the window's last counts too (and the window's edges are
/// applied to each event's own time when it is read).
fn days_in(window: &TimeWindow) -> Vec<jiff::civil::Date> {
    let (Some(since), Some(until)) = (window.since, window.until) else { return Vec::new() };
    let utc = |t: jiff::Timestamp| t.to_zoned(jiff::tz::TimeZone::UTC).date();
    // The last instant in the window is just before `until`.
    let last_event = until.checked_sub(jiff::SignedDuration::from_nanos(1)).unwrap_or(until);
    let (first, last) = (utc(since), utc(last_event).tomorrow().unwrap_or(utc(last_event)));
    let mut days = Vec::new();
    let mut day = first;
    while day <= last {
        days.push(day);
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    days
}

/// One child: reads every object its items name and returns its part of the report.
pub async fn child(
    engine: &Engine,
    client: &aws_sdk_s3::Client,
    store: &S3Objects,
    input: &ChildInput,
) -> Result<Vec<serde_json::Value>, BackfillError> {
    let batch = &input.batch_input;
    let window = TimeWindow::parse(batch.since.as_deref(), batch.until.as_deref())
        .map_err(|e| BackfillError::BadInput(e.to_string()))?;
    let walk = Walk { window, accounts: batch.accounts.clone(), regions: batch.regions.clone() };
    let mut line = ChildLine {
        trailwarden_backfill: "child".into(),
        first_item: input.items.first().map(item_name).unwrap_or_default(),
        ..ChildLine::default()
    };
    let mut objects = Vec::new();
    for item in &input.items {
        match (&item.prefix, &item.key) {
            (Some(prefix), _) => {
                let listed =
                    crate::objects::s3::list(client, &batch.bucket, prefix, &walk).await.map_err(BackfillError::S3)?;
                line.skipped += listed.skipped.len() as u64;
                objects.extend(listed.objects);
            }
            (None, Some(key)) => match crate::objects::s3::wanted(key, &walk) {
                Ok(()) => objects.push(ObjectRef { bucket: batch.bucket.clone(), key: key.clone(), size: item.size }),
                Err(_) => line.skipped += 1,
            },
            (None, None) => return Err(BackfillError::BadInput("an item has neither Prefix nor Key".into())),
        }
    }
    let scan = Replay { window, ..Replay::new(engine) };
    let mut alerts: Vec<EventDetail> = Vec::new();
    for chunk in objects.chunks(FETCH_AT_ONCE) {
        let mut set = tokio::task::JoinSet::new();
        for (i, object) in chunk.iter().enumerate() {
            let (client, object, most) = (client.clone(), object.clone(), store.max_bytes());
            set.spawn(async move { (i, get_object(&client, &object, most).await) });
        }
        let mut bodies: Vec<Option<Result<Vec<u8>, String>>> = vec![None; chunk.len()];
        while let Some(done) = set.join_next().await {
            let (i, body) = done.map_err(|e| BackfillError::S3(format!("a fetch stopped: {e}")))?;
            let object = &chunk[i];
            let name = format!("s3://{}/{}", one_line(&object.bucket), one_line(&object.key));
            bodies[i] = Some(match body {
                Ok(bytes) => Ok(bytes),
                // Throttling, a 5xx, a timeout: the child fails, and the state machine retries it.
                Err(Fetch::Retry(e)) => return Err(BackfillError::S3(format!("{name}: {e}"))),
                // Gone, denied, archived, too large: no retry reads it; the rest is read.
                Err(Fetch::Skip(e)) => Err(format!("{name}: cannot read: {e}")),
            });
        }
        for (object, body) in chunk.iter().zip(bodies) {
            line.objects += 1;
            let bytes = match body {
                Some(Ok(bytes)) => bytes,
                Some(Err(e)) => {
                    line.errors.push(e);
                    continue;
                }
                None => continue,
            };
            let path = PathBuf::from(format!("s3://{}/{}", object.bucket, object.key));
            let report = scan.scan_object(&path, &bytes);
            line.records += report.records;
            line.errors.extend(report.errors.iter().map(|e| one_line(&e.to_string())));
            alerts.extend(report.details);
        }
    }
    line.alerts = alerts.len() as u64;
    tracing::info!(
        first_item = %one_line(&line.first_item),
        objects = line.objects,
        records = line.records,
        alerts = line.alerts,
        errors = line.errors.len(),
        "backfill child read"
    );
    let mut out: Vec<serde_json::Value> = Vec::with_capacity(alerts.len() + 1);
    for alert in &alerts {
        out.push(serde_json::to_value(alert).map_err(|e| BackfillError::BadInput(e.to_string()))?);
    }
    out.push(serde_json::to_value(&line).map_err(|e| BackfillError::BadInput(e.to_string()))?);
    let size: usize = out.iter().map(|v| v.to_string().len() + 1).sum();
    if size <= CHILD_OUTPUT_BYTES {
        return Ok(out);
    }
    // Too large to return: the whole report to an overflow object, named by the batch's first
    // item so that a retried child overwrites its own.
    let key = format!("{}overflow/{}.jsonl", batch.report_prefix, line.first_item.replace('/', "_"));
    let mut body = Vec::with_capacity(size);
    for v in &out {
        body.extend_from_slice(v.to_string().as_bytes());
        body.push(b'\n');
    }
    put(client, &batch.report_bucket, &key, body, "application/x-ndjson").await?;
    line.overflow = Some(format!("s3://{}/{key}", batch.report_bucket));
    line.errors.truncate(0);
    Ok(vec![serde_json::to_value(&line).map_err(|e| BackfillError::BadInput(e.to_string()))?])
}

fn item_name(item: &Item) -> String {
    item.prefix.clone().or_else(|| item.key.clone()).unwrap_or_default()
}

/// The ResultWriter's manifest (the fields read).
#[derive(Debug, Deserialize)]
struct Manifest {
    #[serde(rename = "DestinationBucket")]
    destination_bucket: String,
    #[serde(rename = "ResultFiles")]
    result_files: ResultFiles,
}

#[derive(Debug, Default, Deserialize)]
struct ResultFiles {
    #[serde(rename = "SUCCEEDED", default)]
    succeeded: Vec<ResultFile>,
    #[serde(rename = "FAILED", default)]
    failed: Vec<ResultFile>,
    #[serde(rename = "PENDING", default)]
    pending: Vec<ResultFile>,
}

#[derive(Debug, Deserialize)]
struct ResultFile {
    #[serde(rename = "Key")]
    key: String,
}

/// The summary step: counts over every result file, `summary.json`, and the optional digest.
pub async fn summarize(
    client: &aws_sdk_s3::Client,
    notifier: Option<&dyn Notifier>,
    input: &SummaryInput,
) -> Result<RunSummary, BackfillError> {
    let manifest_bytes = get(client, &input.result_writer.bucket, &input.result_writer.key).await?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).map_err(|e| {
        BackfillError::BadInput(format!("s3://{}/{}: {e}", input.result_writer.bucket, input.result_writer.key))
    })?;
    let bucket = &manifest.destination_bucket;
    let mut counts = Counter { keep: input.digest, ..Counter::default() };
    for file in &manifest.result_files.succeeded {
        let text = get(client, bucket, &file.key).await?;
        for (n, line) in text.split(|&b| b == b'\n').enumerate().filter(|(_, l)| !l.trim_ascii().is_empty()) {
            let value: serde_json::Value = serde_json::from_slice(line)
                .map_err(|e| BackfillError::BadInput(format!("s3://{bucket}/{}: line {}: {e}", file.key, n + 1)))?;
            match value.get("overflow").and_then(|o| o.as_str()) {
                Some(url) => {
                    let (b, k) = crate::objects::s3::parse_url(url)
                        .ok_or_else(|| BackfillError::BadInput(format!("`{}` is not an s3:// URL", one_line(url))))?;
                    let body = get(client, &b, &k).await?;
                    for (m, l) in body.split(|&b| b == b'\n').enumerate().filter(|(_, l)| !l.trim_ascii().is_empty()) {
                        let v = serde_json::from_slice(l)
                            .map_err(|e| BackfillError::BadInput(format!("{url}: line {}: {e}", m + 1)))?;
                        counts.add(v);
                    }
                }
                None => counts.add(value),
            }
        }
    }
    for file in &manifest.result_files.failed {
        let text = get(client, bucket, &file.key).await?;
        // The failed children's executions: JSON lines (the stack's OutputType), or a JSON array.
        let executions: Vec<serde_json::Value> = match serde_json::from_slice::<Vec<serde_json::Value>>(&text) {
            Ok(array) => array,
            Err(_) => text
                .split(|&b| b == b'\n')
                .filter(|l| !l.trim_ascii().is_empty())
                .filter_map(|l| match serde_json::from_slice(l) {
                    Ok(v) => Some(v),
                    Err(_) => {
                        counts.summary.unreadable_lines += 1;
                        None
                    }
                })
                .collect(),
        };
        for execution in executions {
            counts.summary.failed_children.push(failed_child(&execution));
        }
    }
    counts.summary.pending_files = manifest.result_files.pending.len() as u64;
    let mut summary = counts.finish();
    let key = format!("{}summary.json", input.report_prefix);
    summary.report = format!("s3://{}/{key}", input.report_bucket);
    if input.digest {
        summary.digest = Some(match notifier {
            None => "no channel is configured".into(),
            Some(_) if counts.alerts.is_empty() => "no alerts: nothing sent".into(),
            Some(notifier) => {
                counts.trim();
                let top = counts.alerts;
                let title = format!(
                    "backfill: {} alerts in {} accounts; the {} most severe",
                    summary.alerts,
                    summary.by_account.len(),
                    top.len()
                );
                notifier.notify(Batch::new(&top, &title)).await.map_err(|e| BackfillError::Digest(e.to_string()))?
            }
        });
    }
    let body = serde_json::to_vec_pretty(&summary).map_err(|e| BackfillError::BadInput(e.to_string()))?;
    put(client, &input.report_bucket, &key, body, "application/json").await?;
    Ok(summary)
}

/// A failed child, for the summary: its execution, Step Functions' error and cause, and the first
/// region-day it was given (its `Input`), so the run can be repeated for what it missed.
fn failed_child(execution: &serde_json::Value) -> String {
    let what = |k: &str| execution.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let input: Option<serde_json::Value> = execution.get("Input").and_then(|i| match i {
        serde_json::Value::String(text) => serde_json::from_str(text).ok(),
        other => Some(other.clone()),
    });
    let first = input
        .as_ref()
        .and_then(|i| i.get("Items")?.get(0).cloned())
        .and_then(|item| serde_json::from_value::<Item>(item).ok())
        .map(|item| item_name(&item))
        .unwrap_or_default();
    one_line(&format!("{}: {}: {}: first item {first}", what("ExecutionArn"), what("Error"), what("Cause")))
}

/// Counts as the result lines are read.
#[derive(Default)]
struct Counter {
    summary: RunSummary,
    cells: BTreeMap<(String, String, String), u64>,
    /// Keep the most severe alerts for a digest (at most [`DIGEST_ALERTS`] once finished).
    keep: bool,
    alerts: Vec<EventDetail>,
}

impl Counter {
    fn add(&mut self, value: serde_json::Value) {
        if value.get("trailwarden_backfill").is_some() {
            match serde_json::from_value::<ChildLine>(value) {
                Ok(line) => {
                    let s = &mut self.summary;
                    s.objects += line.objects;
                    s.skipped += line.skipped;
                    s.records += line.records;
                    s.input_errors += line.errors.len() as u64;
                }
                Err(_) => self.summary.unreadable_lines += 1,
            }
            return;
        }
        let Ok(alert) = serde_json::from_value::<EventDetail>(value) else {
            self.summary.unreadable_lines += 1;
            return;
        };
        let month = alert.event_time.get(..7).unwrap_or("unknown").to_string();
        let s = &mut self.summary;
        s.alerts += 1;
        *s.by_rule.entry(alert.rule_id.to_string()).or_default() += 1;
        *s.by_account.entry(alert.account_id.clone()).or_default() += 1;
        *s.by_month.entry(month.clone()).or_default() += 1;
        *self.cells.entry((alert.rule_id.to_string(), alert.account_id.clone(), month)).or_default() += 1;
        if self.keep {
            self.alerts.push(alert);
            // Memory bounded by the digest, not the run: the most severe, earliest first.
            if self.alerts.len() >= 4 * DIGEST_ALERTS {
                self.trim();
            }
        }
    }

    fn trim(&mut self) {
        self.alerts.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.event_time.cmp(&b.event_time)));
        self.alerts.truncate(DIGEST_ALERTS);
    }

    fn finish(&mut self) -> RunSummary {
        let mut summary = std::mem::take(&mut self.summary);
        summary.by_rule_account_month = std::mem::take(&mut self.cells)
            .into_iter()
            .map(|((rule_id, account_id, month), alerts)| Count { rule_id, account_id, month, alerts })
            .collect();
        summary
    }
}

/// A report file of the run (no size limit: the run wrote it).
async fn get(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Result<Vec<u8>, BackfillError> {
    let object = ObjectRef { bucket: bucket.to_string(), key: key.to_string(), size: None };
    get_object(client, &object, u64::MAX).await.map_err(|e| BackfillError::S3(format!("s3://{bucket}/{key}: {e}")))
}

async fn put(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    content_type: &str,
) -> Result<(), BackfillError> {
    client.put_object().bucket(bucket).key(key).content_type(content_type).body(body.into()).send().await.map_err(
        |e| {
            BackfillError::S3(format!("s3://{bucket}/{key}: PutObject: {}", aws_sdk_s3::error::DisplayErrorContext(&e)))
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_days_run_from_the_first_to_the_day_after_the_last() {
        let w = TimeWindow::parse(Some("2026-02-27"), Some("2026-03-01")).unwrap();
        let days: Vec<String> = days_in(&w).iter().map(|d| d.to_string()).collect();
        assert_eq!(days, ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]);
        // An exact time: its own day, and the next.
        let w = TimeWindow::parse(Some("2026-02-27T10:00:00Z"), Some("2026-02-28T00:00:00Z")).unwrap();
        let days: Vec<String> = days_in(&w).iter().map(|d| d.to_string()).collect();
        assert_eq!(days, ["2026-02-27", "2026-02-28"]);
    }

    #[test]
    fn calls_are_told_apart_from_live_payloads() {
        assert!(backfill_call(r#"{"detail-type":"AWS API Call via CloudTrail"}"#).is_none());
        assert!(backfill_call(r#"{"Records":[{"eventSource":"aws:sqs"}]}"#).is_none());
        let child =
            r#"{"Items":[{"Prefix":"AWSLogs/"}],"BatchInput":{"Bucket":"b","ReportBucket":"r","ReportPrefix":"p/"}}"#;
        assert!(matches!(backfill_call(child), Some(Ok(Call::Child(_)))));
        let bad = r#"{"Backfill":"plan","Bucket":"b"}"#;
        let Some(Err(e)) = backfill_call(bad) else { panic!("a plan call without its fields") };
        assert!(e.to_string().contains("missing field"), "{e}");
        assert!(matches!(backfill_call(r#"{"Backfill":"go"}"#), Some(Err(BackfillError::BadInput(_)))));
    }
}
