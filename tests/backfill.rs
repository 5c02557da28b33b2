//! Backfill's three steps against moto's S3 (and SES for the digest), with the exact inputs
//! Step Functions gives them: the plan's manifest, each Distributed Map child's `Items` and
//! `BatchInput` (day folders from the manifest, and objects as an S3-listing ItemReader gives
//! them), and the ResultWriter's manifest and `FLATTEN` JSON lines for the summary. The state
//! machine itself is checked in `tests/cloudformation.rs` (moto does not run a Distributed Map).
#![cfg(feature = "aws")]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Value, json};
use support::{Moto, gzip, stratus_records};
use trailwarden::lambda::backfill::{self, Call, ChildLine, PlanOutput, RunSummary, backfill_call};
use trailwarden::objects::s3::S3Objects;
use trailwarden::replay::{Replay, TimeWindow};
use trailwarden::{Config, Engine};

const TRAIL: &str = "org-trail";
const REPORTS: &str = "backfill-reports";
const ACCOUNTS: [&str; 2] = ["111122223333", "444455556666"];
const REGIONS: [&str; 2] = ["eu-west-1", "us-east-1"];
/// Days 2026-01-01 to 2026-01-06, eight log files per account, region and day: 192 objects.
const DAYS: u32 = 6;
const FILES_PER_DAY: u32 = 8;

/// The key of a log file delivered at `day` and `hour`.
fn key(account: &str, region: &str, day: u32, n: u32) -> String {
    format!(
        "AWSLogs/o-abc123/{account}/CloudTrail/{region}/2026/01/{day:02}/{account}_CloudTrail_{region}_202601{day:02}T{n:02}00Z_{n:04}.json.gz"
    )
}

/// A log file of four pool records made its own, their events at `time`.
fn log_file(pool: &[Value], seq: usize, account: &str, region: &str, time: &str) -> Vec<u8> {
    let records: Vec<Value> = (0..4)
        .map(|j| {
            let mut r = pool[(seq * 4 + j) % pool.len()].clone();
            let id = r["eventID"].as_str().unwrap_or("none").to_string();
            r["eventID"] = format!("{id}-{seq:05}").into();
            r["recipientAccountId"] = account.into();
            r["awsRegion"] = region.into();
            r["eventTime"] = time.into();
            r
        })
        .collect();
    gzip(&serde_json::to_vec(&json!({ "Records": records })).unwrap())
}

struct Trail {
    moto: Moto,
    s3: aws_sdk_s3::Client,
    store: S3Objects,
    mailer: trailwarden::notify::ses::SesMailer,
    /// Every object put, by key.
    objects: BTreeMap<String, Vec<u8>>,
}

/// The trail bucket with 192 log files, a digest per region-day of the first account, one
/// object with a record that is not JSON, and one file holding an event of the day before (it
/// was delivered minutes after midnight).
async fn trail() -> Trail {
    let moto = Moto::start();
    let (sdk, mailer) = moto.role_mailer().await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    s3.create_bucket().bucket(TRAIL).send().await.unwrap();
    s3.create_bucket().bucket(REPORTS).send().await.unwrap();
    let pool = stratus_records();
    let mut objects = BTreeMap::new();
    let mut seq = 0;
    for account in ACCOUNTS {
        for region in REGIONS {
            for day in 1..=DAYS {
                for n in 0..FILES_PER_DAY {
                    let time = format!("2026-01-{day:02}T{n:02}:30:00Z");
                    objects.insert(key(account, region, day, n), log_file(&pool, seq, account, region, &time));
                    seq += 1;
                }
                if account == ACCOUNTS[0] {
                    let digest = format!(
                        "AWSLogs/o-abc123/{account}/CloudTrail-Digest/{region}/2026/01/{day:02}/{account}_CloudTrail-Digest_{region}_x_202601{day:02}T000000Z.json.gz"
                    );
                    objects.insert(digest, gzip(b"{\"digestStartTime\":\"2026-01-01T00:00:00Z\"}"));
                }
            }
        }
    }
    // Delivered on the 4th, holding an event of the 3rd at 23:58.
    let late = key(ACCOUNTS[1], REGIONS[0], 4, 23);
    objects.insert(late, log_file(&pool, seq, ACCOUNTS[1], REGIONS[0], "2026-01-03T23:58:00Z"));
    // A record that is not JSON among good ones.
    let bad = key(ACCOUNTS[0], REGIONS[1], 2, 22);
    let good =
        String::from_utf8(flate2_gunzip(&log_file(&pool, seq + 1, ACCOUNTS[0], REGIONS[1], "2026-01-02T22:00:00Z")))
            .unwrap();
    let broken = good.replacen("{\"Records\":[", "{\"Records\":[{\"eventVersion\": nope},", 1);
    objects.insert(bad, gzip(broken.as_bytes()));
    for (key, bytes) in &objects {
        s3.put_object().bucket(TRAIL).key(key).body(bytes.clone().into()).send().await.unwrap();
    }
    let store = S3Objects::new(s3.clone(), 64 << 20);
    Trail { moto, s3, store, mailer, objects }
}

fn flate2_gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

/// The plan step's payload, as the state machine builds it.
fn plan_payload(since: &str, until: &str, accounts: &[&str]) -> String {
    json!({"Backfill": "plan", "Bucket": TRAIL, "Prefix": "", "Since": since, "Until": until,
           "Accounts": accounts, "Regions": [], "ReportBucket": REPORTS, "ReportPrefix": "reports/run-1/"})
    .to_string()
}

/// The `BatchInput` every child of the run gets.
fn batch_input(since: &str, until: &str) -> Value {
    json!({"Bucket": TRAIL, "Since": since, "Until": until, "Accounts": [], "Regions": [],
           "ReportBucket": REPORTS, "ReportPrefix": "reports/run-1/"})
}

async fn get(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = s3.get_object().bucket(bucket).key(key).send().await.unwrap();
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

async fn run_plan(t: &Trail, payload: &str) -> (PlanOutput, Vec<Value>) {
    let Some(Ok(Call::Plan(input))) = backfill_call(payload) else { panic!("a plan call: {payload}") };
    let out = backfill::plan(&t.s3, &input).await.unwrap();
    let manifest: Vec<Value> = serde_json::from_slice(&get(&t.s3, &out.bucket, &out.key).await).unwrap();
    (out, manifest)
}

async fn run_child(t: &Trail, engine: &Engine, items: &[Value], batch: &Value) -> Vec<Value> {
    let payload = json!({"Items": items, "BatchInput": batch}).to_string();
    let Some(Ok(Call::Child(input))) = backfill_call(&payload) else { panic!("a child call: {payload}") };
    backfill::child(engine, &t.s3, &t.store, &input).await.unwrap()
}

async fn put(s3: &aws_sdk_s3::Client, key: &str, body: String) {
    s3.put_object().bucket(REPORTS).key(key).body(body.into_bytes().into()).send().await.unwrap();
}

/// What the Map's ResultWriter leaves for run `run` (one SUCCEEDED file per slice of result
/// lines, a FAILED file when given, the manifest), and the summary step's input for it.
async fn result_writer(
    t: &Trail,
    run: &str,
    succeeded: &[&[Value]],
    failed: Option<Value>,
    digest: bool,
) -> backfill::SummaryInput {
    let prefix = format!("reports/{run}/results/map-run-1/");
    let mut files = json!({"SUCCEEDED": [], "FAILED": [], "PENDING": []});
    for (i, part) in succeeded.iter().enumerate() {
        let key = format!("{prefix}SUCCEEDED_{i}.json");
        put(&t.s3, &key, part.iter().map(|v| format!("{v}\n")).collect()).await;
        files["SUCCEEDED"].as_array_mut().unwrap().push(json!({"Key": key, "Size": 1}));
    }
    if let Some(failed) = failed {
        // JSON lines, as the stack's ResultWriter (OutputType JSONL) writes failed executions.
        let key = format!("{prefix}FAILED_0.json");
        put(&t.s3, &key, failed.as_array().unwrap().iter().map(|v| format!("{v}\n")).collect()).await;
        files["FAILED"].as_array_mut().unwrap().push(json!({"Key": key, "Size": 1}));
    }
    let manifest = json!({"DestinationBucket": REPORTS,
        "MapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:backfill/Read:1", "ResultFiles": files});
    put(&t.s3, &format!("{prefix}manifest.json"), manifest.to_string()).await;
    let payload = json!({"Backfill": "summary", "ResultWriterDetails": {"Bucket": REPORTS, "Key": format!("{prefix}manifest.json")},
        "ReportBucket": REPORTS, "ReportPrefix": format!("reports/{run}/"), "Digest": digest});
    let Some(Ok(Call::Summary(input))) = backfill_call(&payload.to_string()) else { panic!("{payload}") };
    input
}

/// (rule, eventID) of every alert replay finds in the objects, in the window.
fn replay_alerts(engine: &Engine, t: &Trail, since: &str, until: &str) -> BTreeSet<(String, String)> {
    let window = TimeWindow::parse(Some(since), Some(until)).unwrap();
    let scan = Replay { window, ..Replay::new(engine) };
    let mut out = BTreeSet::new();
    for (key, bytes) in t.objects.iter().filter(|(k, _)| !k.contains("CloudTrail-Digest")) {
        for d in scan.scan_object(Path::new(key), bytes).details {
            out.insert((d.rule_id.to_string(), d.event_id));
        }
    }
    out
}

fn alerts_of(lines: &[Value]) -> BTreeSet<(String, String)> {
    lines
        .iter()
        .filter(|l| l.get("rule_id").is_some())
        .map(|l| (l["rule_id"].as_str().unwrap().to_string(), l["event_id"].as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plan_lists_region_folders_and_names_each_region_day() {
    let t = trail().await;
    let (out, manifest) = run_plan(&t, &plan_payload("2026-01-02", "2026-01-04", &[ACCOUNTS[0]])).await;
    // One account, two regions; the 2nd to the 4th and the day after: 8 region-days.
    assert_eq!(out.region_folders, 2);
    assert_eq!(out.days, 8);
    assert_eq!(manifest.len(), 8);
    let first = manifest[0]["Prefix"].as_str().unwrap();
    assert_eq!(first, "AWSLogs/o-abc123/111122223333/CloudTrail/eu-west-1/2026/01/02/");
    assert!(manifest.iter().all(|i| !i["Prefix"].as_str().unwrap().contains(ACCOUNTS[1])));
    // The days are never listed: root, org, account(s), service, regions.
    assert!(out.list_requests <= 6, "{} requests", out.list_requests);

    let (all, _) = run_plan(&t, &plan_payload("2026-01-01", "2026-01-06", &[])).await;
    assert_eq!((all.region_folders, all.days), (4, 4 * 7));

    // A mistyped year is refused, not planned as millions of region-days.
    let Some(Ok(Call::Plan(long))) = backfill_call(&plan_payload("1970-01-01", "2026-01-06", &[])) else { panic!() };
    let e = backfill::plan(&t.s3, &long).await.unwrap_err();
    assert!(e.to_string().contains("over 1100 days"), "{e}");
    // A range that is not one is an error naming it.
    let Some(Ok(Call::Plan(bad))) = backfill_call(&plan_payload("2026-01-05", "2026-01-01", &[])) else { panic!() };
    let e = backfill::plan(&t.s3, &bad).await.unwrap_err();
    assert!(e.to_string().contains("not before"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn children_find_what_replay_finds_and_the_summary_counts_it() {
    let t = trail().await;
    let engine = Engine::new(Config::default()).unwrap();
    let (since, until) = ("2026-01-02", "2026-01-05");
    let (_, manifest) = run_plan(&t, &plan_payload(since, until, &[])).await;
    let batch = batch_input(since, until);
    // One region-day per child, as the stack's default DaysPerChild.
    let mut results: Vec<Value> = Vec::new();
    for item in &manifest {
        results.extend(run_child(&t, &engine, std::slice::from_ref(item), &batch).await);
    }
    let expected = replay_alerts(&engine, &t, since, until);
    assert!(expected.len() > 20, "{}", expected.len());
    assert_eq!(alerts_of(&results), expected, "the children's alerts are replay's");
    let lines: Vec<ChildLine> = results
        .iter()
        .filter(|l| l.get("trailwarden_backfill").is_some())
        .map(|l| serde_json::from_value(l.clone()).unwrap())
        .collect();
    assert_eq!(lines.len(), manifest.len(), "one line per child");
    // The late file of the 4th holds an event of the 3rd: read, and in the window.
    // Days 2 to 5 and the 6th (the day after): 5 days x 4 region folders x 8 files, the late one
    // and the broken one.
    assert_eq!(lines.iter().map(|l| l.objects).sum::<u64>(), 5 * 4 * 8 + 2);
    // Digests live in their own folders, which the plan never names.
    assert_eq!(lines.iter().map(|l| l.skipped).sum::<u64>(), 0);
    let errors: Vec<&String> = lines.iter().flat_map(|l| &l.errors).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains(&key(ACCOUNTS[0], REGIONS[1], 2, 22)) && errors[0].contains("record 1"),
        "{}",
        errors[0]
    );

    // Batched three region-days to a child: the same alerts.
    let mut batched: Vec<Value> = Vec::new();
    for items in manifest.chunks(3) {
        batched.extend(run_child(&t, &engine, items, &batch).await);
    }
    assert_eq!(alerts_of(&batched), expected);

    // The ResultWriter's output (FLATTEN, JSONL) split over two files, one failed child, and
    // its manifest; then the summary step.
    let (a, b) = results.split_at(results.len() / 2);
    let child_input = json!({"Items": [{"Prefix": "AWSLogs/o-abc123/444455556666/CloudTrail/us-east-1/2026/01/03/"}],
        "BatchInput": batch})
    .to_string();
    let failed = json!([{"ExecutionArn": "arn:aws:states:us-east-1:123456789012:express:backfill:x:child-7",
        "Error": "S3", "Cause": "s3://org-trail/AWSLogs/...: GetObject: SlowDown", "Input": child_input}]);
    let input = result_writer(&t, "run-1", &[a, b], Some(failed), true).await;
    let summary =
        backfill::summarize(&t.s3, Some(&t.mailer as &dyn trailwarden::notify::Notifier), &input).await.unwrap();
    assert_eq!(summary.alerts, expected.len() as u64);
    let mut by_rule: BTreeMap<String, u64> = BTreeMap::new();
    for (rule, _) in &expected {
        *by_rule.entry(rule.clone()).or_default() += 1;
    }
    assert_eq!(summary.by_rule, by_rule);
    assert_eq!(summary.by_account.keys().collect::<Vec<_>>(), ACCOUNTS.iter().collect::<Vec<_>>());
    assert_eq!(summary.by_month.keys().collect::<Vec<_>>(), ["2026-01"]);
    assert_eq!(summary.by_rule_account_month.iter().map(|c| c.alerts).sum::<u64>(), summary.alerts);
    assert_eq!(summary.input_errors, 1);
    assert_eq!(summary.objects, 5 * 4 * 8 + 2);
    assert_eq!(summary.failed_children.len(), 1);
    assert!(summary.failed_children[0].contains("SlowDown"), "{:?}", summary.failed_children);
    // It names what it did not read, to run again.
    assert!(
        summary.failed_children[0]
            .contains("first item AWSLogs/o-abc123/444455556666/CloudTrail/us-east-1/2026/01/03/")
    );
    assert_eq!(summary.unreadable_lines, 0);
    // The step returns the totals; the whole summary is in summary.json.
    let out = backfill::SummaryOutput::from(&summary);
    assert_eq!((out.alerts, out.failed_children), (summary.alerts, 1));
    assert!(serde_json::to_string(&out).unwrap().len() < 1024);
    // summary.json is what the step returned.
    let stored: RunSummary = serde_json::from_slice(&get(&t.s3, REPORTS, "reports/run-1/summary.json").await).unwrap();
    assert_eq!(stored, summary);
    // One digest, its subject carrying the counts.
    let sent = t.moto.sent_messages();
    assert_eq!(sent.len(), 1, "one digest");
    assert!(sent[0].to_string().contains(&format!("backfill: {} alerts in 2 accounts", summary.alerts)), "{}", sent[0]);
    assert!(summary.digest.as_deref().is_some_and(|d| !d.is_empty()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_child_over_the_output_limit_writes_an_overflow_object_the_summary_reads() {
    let t = trail().await;
    let engine = Engine::new(Config::default()).unwrap();
    // One record that alerts, 1,500 times with its own ids, in one object of a new day.
    let pool = stratus_records();
    let scan = Replay::new(&engine);
    let firing = pool
        .iter()
        .find(|r| {
            !scan
                .scan_object(Path::new("r.json"), &serde_json::to_vec(&json!({"Records": [r]})).unwrap())
                .details
                .is_empty()
        })
        .unwrap();
    let records: Vec<Value> = (0..1500)
        .map(|i| {
            let mut r = firing.clone();
            r["eventID"] = format!("overflow-{i:05}").into();
            r["eventTime"] = "2026-02-01T10:00:00Z".into();
            r
        })
        .collect();
    let big = key(ACCOUNTS[0], REGIONS[0], 1, 0).replace("/01/01/", "/02/01/");
    t.s3.put_object()
        .bucket(TRAIL)
        .key(&big)
        .body(gzip(&serde_json::to_vec(&json!({"Records": records})).unwrap()).into())
        .send()
        .await
        .unwrap();
    let prefix = big.rsplit_once('/').unwrap().0.to_string() + "/";
    let out = run_child(&t, &engine, &[json!({"Prefix": prefix})], &batch_input("2026-02-01", "2026-02-01")).await;
    assert_eq!(out.len(), 1, "only the child's line comes back");
    let line: ChildLine = serde_json::from_value(out[0].clone()).unwrap();
    assert!(line.alerts >= 1500, "{}", line.alerts);
    let url = line.overflow.clone().expect("an overflow object");
    assert!(serde_json::to_string(&out).unwrap().len() < backfill::CHILD_OUTPUT_BYTES);
    let (bucket, key) = trailwarden::objects::s3::parse_url(&url).unwrap();
    let body = get(&t.s3, &bucket, &key).await;
    let lines: Vec<Value> =
        body.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).unwrap()).collect();
    assert_eq!(alerts_of(&lines).len() as u64, line.alerts);

    // The summary reads the overflow object through the child's line.
    let input = result_writer(&t, "run-2", &[&out], None, false).await;
    let summary = backfill::summarize(&t.s3, None, &input).await.unwrap();
    assert_eq!(summary.alerts, line.alerts);
    assert_eq!(summary.objects, 1);
    assert!(summary.digest.is_none(), "no digest unless asked");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_child_takes_objects_as_an_s3_listing_item_reader_gives_them() {
    let t = trail().await;
    let engine = Engine::new(Config::default()).unwrap();
    // ListObjectsV2 items of one day folder, digests among them, in the reader's own shape.
    let day = "AWSLogs/o-abc123/111122223333/CloudTrail/eu-west-1/2026/01/03/";
    let digest_day = "AWSLogs/o-abc123/111122223333/CloudTrail-Digest/eu-west-1/2026/01/03/";
    let items: Vec<Value> = t
        .objects
        .iter()
        .filter(|(k, _)| k.starts_with(day) || k.starts_with(digest_day))
        .map(|(k, v)| json!({"Etag": "\"0\"", "Key": k, "LastModified": 1767398400, "Size": v.len(), "StorageClass": "STANDARD"}))
        .collect();
    assert_eq!(items.len(), FILES_PER_DAY as usize + 1);
    let out = run_child(&t, &engine, &items, &batch_input("2026-01-01", "2026-01-06")).await;
    let line: ChildLine = serde_json::from_value(out.last().unwrap().clone()).unwrap();
    assert_eq!((line.objects, line.skipped), (u64::from(FILES_PER_DAY), 1));
    let window = TimeWindow::parse(Some("2026-01-01"), Some("2026-01-06")).unwrap();
    let scan = Replay { window, ..Replay::new(&engine) };
    let expected: BTreeSet<(String, String)> = t
        .objects
        .iter()
        .filter(|(k, _)| k.starts_with(day))
        .flat_map(|(k, v)| scan.scan_object(Path::new(k), v).details)
        .map(|d| (d.rule_id.to_string(), d.event_id))
        .collect();
    assert_eq!(alerts_of(&out), expected);
    // An object no retry can read (gone, denied, archived) is an error of its own; the rest of
    // the batch is read.
    let gone = "AWSLogs/o-abc123/111122223333/CloudTrail/eu-west-1/2026/01/03/111122223333_CloudTrail_eu-west-1_20260103T0000Z_gone.json.gz";
    let mut with_gone = items.clone();
    with_gone.insert(0, json!({"Key": gone}));
    let out = run_child(&t, &engine, &with_gone, &batch_input("2026-01-01", "2026-01-06")).await;
    let line: ChildLine = serde_json::from_value(out.last().unwrap().clone()).unwrap();
    assert_eq!(line.objects, u64::from(FILES_PER_DAY) + 1);
    assert_eq!(line.errors.len(), 1, "{:?}", line.errors);
    assert!(line.errors[0].contains("gone.json.gz") && line.errors[0].contains("NoSuchKey"), "{}", line.errors[0]);
    assert_eq!(alerts_of(&out), expected);

    // Throttling or a 5xx that outlasts the SDK's retries fails the child: the state machine
    // retries it whole.
    let faults = support::faults::Faults::scripted(&[support::faults::Fault::Unavailable; 8]);
    let sdk = t.moto.sdk().await;
    let retries = aws_sdk_s3::config::retry::RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(std::time::Duration::from_millis(1));
    let flaky = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .http_client(faults.clone())
            .retry_config(retries)
            .build(),
    );
    let log_file = items.iter().find(|i| !i["Key"].as_str().unwrap().contains("Digest")).unwrap();
    let payload = json!({"Items": [log_file], "BatchInput": batch_input("2026-01-01", "2026-01-06")}).to_string();
    let Some(Ok(Call::Child(input))) = backfill_call(&payload) else { panic!() };
    let e = backfill::child(&engine, &flaky, &t.store, &input).await.unwrap_err();
    assert!(e.to_string().contains("GetObject") && e.to_string().contains("503"), "{e}");
    assert_eq!(faults.count(support::faults::Fault::Unavailable), 3, "the SDK's own retries first");
}
