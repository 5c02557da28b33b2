//! The Stratus Red Team test: every technique whose detonation left a write (management) event
//! is caught by some rule, and the read-only noise around the attacks (`AssumeRole`,
//! `Describe*`, `Get*`) never alerts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use trailwarden::replay::Replay;
use trailwarden::{Config, Engine};

const STRATUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/stratus");

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    #[serde(rename = "eventID")]
    event_id: String,
    event_name: String,
    read_only: Option<bool>,
}

#[test]
fn every_technique_with_a_write_event_is_caught_and_reads_stay_quiet() {
    let engine = Engine::new(Config::default()).unwrap();
    let mut techniques = 0;
    let (mut with_writes, mut caught) = (BTreeSet::new(), BTreeSet::new());
    let mut missed = Vec::new();
    let mut by_technique: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(STRATUS).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        techniques += 1;
        let technique = path.file_stem().unwrap().to_string_lossy().into_owned();
        let records: Vec<Record> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let writes: BTreeMap<&str, &str> = records
            .iter()
            .filter(|r| r.read_only == Some(false))
            .map(|r| (r.event_id.as_str(), r.event_name.as_str()))
            .collect();
        let report = Replay::new(&engine).scan_file(Path::new(&path));
        assert!(report.errors.is_empty(), "{technique}: {:?}", report.errors);
        for alert in &report.details {
            assert!(
                writes.contains_key(alert.event_id.as_str()),
                "{technique}: {} alerted on the read-only {} ({})",
                alert.rule_id,
                alert.event_name,
                alert.event_id
            );
            by_technique.entry(technique.clone()).or_default().insert(alert.rule_id.to_string());
        }
        if writes.is_empty() {
            continue;
        }
        with_writes.insert(technique.clone());
        if report.details.is_empty() {
            missed.push(format!("{technique} ({})", writes.values().copied().collect::<Vec<_>>().join(", ")));
        } else {
            caught.insert(technique);
        }
    }
    for (technique, rules) in &by_technique {
        println!("{technique}: {}", rules.iter().cloned().collect::<Vec<_>>().join(", "));
    }
    println!(
        "caught {} of the {} techniques with a write event ({techniques} in all)",
        caught.len(),
        with_writes.len()
    );
    assert_eq!(techniques, 35, "the Stratus files in testdata/stratus");
    assert!(missed.is_empty(), "techniques with write events no rule caught: {missed:#?}");
    assert_eq!(caught.len(), 30, "the 30 techniques with a write event");
}
