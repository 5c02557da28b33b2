//! Alerts imported into Security Hub as ASFF findings (`BatchImportFindings`), checked by reading
//! them back from moto's Security Hub (`GetFindings`).
#![cfg(feature = "aws")]

mod support;

use std::path::Path;

use support::Moto;
use trailwarden::notify::securityhub::{SecurityHubImporter, asff_finding};
use trailwarden::notify::{Batch, Notifier};
use trailwarden::replay::Replay;
use trailwarden::{Config, Engine};

#[test]
fn cloudtrail_alerts_are_imported_once_each_with_severity_resource_and_remediation() {
    // The SDK's ASFF serializer is one very large function: unoptimized, its frame outgrows a
    // test thread's 2 MiB stack (a release build does not), so the test runs on a larger one.
    std::thread::Builder::new()
        .stack_size(32 << 20)
        .spawn(|| tokio::runtime::Runtime::new().unwrap().block_on(imported_once_each()))
        .unwrap()
        .join()
        .unwrap();
}

async fn imported_once_each() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let client = aws_sdk_securityhub::Client::new(&sdk);
    // Boxed: the SDK's futures are large in a debug build, and the test thread's stack is small.
    Box::pin(client.enable_security_hub().send()).await.unwrap();
    let engine = Engine::new(Config::default()).unwrap();
    let scan = Replay::new(&engine);
    let (files, _) =
        trailwarden::cloudtrail::input::collect_files(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/events")]);
    let alerts: Vec<_> = files.iter().flat_map(|f| scan.scan_file(f).details).collect();
    let from_cloudtrail = alerts.iter().filter(|d| asff_finding(d, "2026-12-04T00:00:00Z").is_some()).count();
    // Fixtures repeat some events (a Stratus record and its fixture copy): one finding each.
    let distinct: std::collections::BTreeSet<(String, String)> = alerts
        .iter()
        .filter(|d| asff_finding(d, "2026-12-04T00:00:00Z").is_some())
        .map(|d| (d.rule_id.to_string(), d.event_id.clone()))
        .collect();
    assert!(from_cloudtrail > 150 && from_cloudtrail < alerts.len(), "{from_cloudtrail} of {}", alerts.len());

    let importer = SecurityHubImporter::new(client.clone());
    let said = importer.notify(Batch::new(&alerts, "")).await.unwrap();
    assert_eq!(said, format!("imported {from_cloudtrail} findings"));
    // Imported again (a redelivery): the same Ids, so no new findings.
    importer.notify(Batch::new(&alerts, "")).await.unwrap();

    let mut found = Vec::new();
    let mut token = None;
    loop {
        let page = Box::pin(client.get_findings().set_next_token(token.take()).max_results(100).send()).await.unwrap();
        found.extend(page.findings().to_vec());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    let ids: std::collections::BTreeSet<&str> = found.iter().filter_map(|f| f.id()).collect();
    assert_eq!(ids.len(), distinct.len(), "one finding per rule and event");
    assert_eq!(found.len(), distinct.len(), "a second import updates, never adds");

    let d = alerts.iter().find(|d| d.rule_id == "cloudtrail-trail-deleted").unwrap();
    let id = format!("trailwarden/cloudtrail-trail-deleted/{}", d.event_id);
    let f = found.iter().find(|f| f.id() == Some(id.as_str())).unwrap();
    assert_eq!(f.severity().and_then(|s| s.label()), Some(&aws_sdk_securityhub::types::SeverityLabel::Critical));
    assert_eq!(f.aws_account_id(), Some(d.account_id.as_str()));
    assert_eq!(f.title(), Some(d.title.as_ref()));
    assert_eq!(f.description(), Some(d.summary.as_str()));
    assert_eq!(f.generator_id(), Some("trailwarden/cloudtrail-trail-deleted"));
    let resource = &f.resources()[0];
    assert_eq!(resource.region(), Some(d.region.as_str()));
    let recommendation = f.remediation().and_then(|r| r.recommendation()).unwrap();
    assert!(recommendation.text().unwrap().chars().count() <= 512);
    assert_eq!(recommendation.url(), d.references.first().map(String::as_str));
    assert_eq!(f.created_at(), Some(d.event_time.as_str()));
}
