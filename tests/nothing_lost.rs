//! Nothing is lost: 1,000 alerting events go through the Lambda handler against moto's server
//! while a fault-injecting layer in front of the SES client's HTTP connection answers at random
//! with throttling (429), server errors (500, 503) and dropped connections. Every event must
//! either be mailed exactly once or fail its invocation (so EventBridge retries it and the DLQ
//! keeps it): the two counts add up to 1,000, and moto holds exactly the mailed ones.
#![cfg(feature = "aws")]

mod support;

use std::collections::HashMap;

use support::Moto;
use support::faults::{Fault, Faults};
use trailwarden::facts::Facts;
use trailwarden::lambda::{HandlerError, handle};
use trailwarden::notify::NotifyError;
use trailwarden::{Config, Engine, Event};

/// Every firing fixture that alerts without live-state facts.
fn alerting_events(engine: &Engine) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/events")).sort_by_file_name() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy();
        if !(name.starts_with("fires_") && name.ends_with(".json")) {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        // CloudTrail events only: findings have their own delivery tests (tests/findings_lambda.rs).
        if trailwarden::findings::read::holds_findings(&text) {
            continue;
        }
        let raw = trailwarden::cloudtrail::input::parse_single(&text).unwrap();
        let event = Event::from_raw(&raw).unwrap();
        if !engine.evaluate(&event).details.is_empty() {
            out.push(serde_json::from_str(&text).unwrap());
        }
    }
    assert!(out.len() > 50, "{} alerting fixtures", out.len());
    out
}

/// A fixture (a bare record, an envelope, a one-record array or log file) with a fresh event id.
fn with_event_id(event: &serde_json::Value, id: &str) -> String {
    let mut event = event.clone();
    let record = match () {
        _ if event.get("detail").is_some() => &mut event["detail"],
        _ if event.get("Records").is_some() => &mut event["Records"][0],
        _ if event.is_array() => &mut event[0],
        _ => &mut event,
    };
    record["eventID"] = id.into();
    serde_json::to_string(&event).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_alerts_under_random_ses_faults_are_each_mailed_or_failed() {
    let moto = Moto::start();
    let secret =
        r#"{"EMAIL_FROM":"alerts@example.com","SES_REGION":"us-east-1","ACCESS_KEY":"NA","ACCESS_SECRET_KEY":"NA"}"#;
    let sdk = moto.prepare("alerts@example.com", "trailwarden/sender", Some(secret)).await;

    let seed = std::env::var("FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x7a11_3a2d);
    println!("FAULT_SEED={seed}");
    let faults = Faults::random(seed);
    // Through the layer, with the SDK's standard retries (3 attempts).
    let mailer = faults.mailer(&sdk, "trailwarden/sender");
    let engine = Engine::new(Config::default()).unwrap();
    let events = alerting_events(&engine);

    let (mut mailed, mut failed) = (Vec::new(), Vec::new());
    let mut failures: HashMap<String, u64> = HashMap::new();
    for i in 0..1000u32 {
        let id = format!("00000000-0000-4000-8000-{i:012}");
        let payload = with_event_id(&events[i as usize % events.len()], &id);
        match handle(&engine, &mailer, &Facts::default(), "prod", &payload).await {
            Ok(summary) => {
                assert!(summary.message_id.as_deref().is_some_and(|m| !m.is_empty()), "{summary:?}");
                assert_eq!(summary.event_id, id);
                mailed.push(id);
            }
            Err(HandlerError::Notify { error: NotifyError::Mail(e), .. }) => {
                let e = e.to_string();
                let kind = ["TooManyRequestsException", "InternalFailure", "ServiceUnavailable", "dispatch failure"]
                    .into_iter()
                    .find(|k| e.contains(k))
                    .unwrap_or_else(|| panic!("unexpected failure: {e}"));
                *failures.entry(kind.to_string()).or_default() += 1;
                failed.push(id);
            }
            Err(other) => panic!("event {i}: {other}"),
        }
    }
    println!("mailed {}, failed {} {failures:?}; attempts {faults:?}", mailed.len(), failed.len());
    assert_eq!(mailed.len() + failed.len(), 1000);
    assert!(!failed.is_empty() && !mailed.is_empty(), "the faults must bite, and retries must save some");
    assert!(faults.count(Fault::Throttle) > 0 && faults.count(Fault::Drop) > 0);

    // moto holds exactly the mailed events, each once; none of the failed ones.
    let sent = moto.sent_messages();
    assert_eq!(sent.len(), mailed.len());
    let mut seen: HashMap<String, u32> = HashMap::new();
    for m in &sent {
        let body = m["body"].as_str().unwrap_or_default();
        let at = body.find("00000000-0000-4000-8000-").expect("the email names its event id");
        *seen.entry(body[at..at + 36].to_string()).or_default() += 1;
    }
    for id in &mailed {
        assert_eq!(seen.get(id), Some(&1), "{id} mailed once");
    }
    for id in &failed {
        assert_eq!(seen.get(id), None, "{id} failed its invocation yet was mailed");
    }
}
