//! A summary never shows a hole where an id is missing: every firing fixture, with its
//! identifiers blanked or removed, still gives summaries without a doubled space, a space before
//! punctuation, or a dangling space at either end ("(unknown id)" stands in the gap), and no empty
//! field value ("(unknown)").

use std::path::Path;

use serde_json::Value;
use trailwarden::{Config, Engine, Event};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/events");

/// Keys that name a resource (ids, names, ARNs, URLs) in request parameters and responses.
fn is_identifier(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["id", "ids", "identifier", "name", "arn", "url"].iter().any(|s| k.ends_with(s)) && k != "eventname"
}

/// Every identifier string under `v` replaced by `with` (None: removed).
fn blank(v: &mut Value, with: Option<&str>) {
    match v {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                if is_identifier(&k) && map[&k].is_string() {
                    match with {
                        Some(w) => map[&k] = Value::String(w.to_string()),
                        None => {
                            map.remove(&k);
                        }
                    }
                } else if let Some(child) = map.get_mut(&k) {
                    blank(child, with);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| blank(i, with)),
        _ => {}
    }
}

fn records(doc: Value) -> Vec<Value> {
    match doc {
        Value::Object(mut m) if m.contains_key("Records") => {
            m.remove("Records").and_then(|r| r.as_array().cloned()).unwrap_or_default()
        }
        Value::Object(mut m) if m.contains_key("detail-type") => m.remove("detail").into_iter().collect(),
        Value::Array(items) => items,
        other => vec![other],
    }
}

/// An empty word (two spaces, or a space at an end) or punctuation standing alone after a space.
fn holes(text: &str) -> bool {
    text.split(' ').enumerate().any(|(i, w)| w.is_empty() || (i > 0 && w.chars().all(|c| ",.:;)".contains(c))))
}

#[test]
fn missing_ids_leave_no_hole_in_a_summary() {
    let engine = Engine::new(Config::default()).unwrap();
    let mut checked = 0;
    let mut bad = Vec::new();
    for entry in walkdir::WalkDir::new(FIXTURES).into_iter().filter_map(Result::ok) {
        let path = entry.path();
        let name = path.file_name().unwrap().to_string_lossy();
        if !name.starts_with("fires_") || path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for record in records(doc) {
            for with in [Some(""), None] {
                let mut r = record.clone();
                for part in ["requestParameters", "responseElements"] {
                    if let Some(p) = r.get_mut(part) {
                        blank(p, with);
                    }
                }
                let text = r.to_string();
                let Ok(ev) = Event::from_json(&text) else { continue };
                for d in engine.evaluate(&ev).details {
                    checked += 1;
                    // Field values are shown as they came (a comment may hold two spaces); only an empty one
                    // is a hole there.
                    if holes(&d.summary) || d.fields.iter().any(|(_, v)| v.trim().is_empty()) {
                        bad.push(format!("{} ({}): {:?} {:?}", d.rule_id, short(path), d.summary, d.fields));
                    }
                }
            }
        }
    }
    assert!(checked > 50, "only {checked} alerts checked");
    assert!(bad.is_empty(), "{} alerts with a hole:\n{}", bad.len(), bad.join("\n"));
}

fn short(p: &Path) -> String {
    p.strip_prefix(FIXTURES).unwrap_or(p).display().to_string()
}

#[test]
fn the_check_sees_a_hole() {
    assert!(holes("RDS database  was made publicly accessible"));
    assert!(holes("Key  policy"));
    assert!(holes("hosted zone : 3 changes"));
    assert!(holes("for trail "));
    assert!(!holes("RDS database (unknown id) was made publicly accessible"));
    assert!(!holes("opened tcp/22 to ::/0"));
}

/// Identifiers blanked or removed inside a finding's resource and what it saw (where a finding
/// names its instance, key, bucket, addresses), anywhere in any shape.
fn blank_finding(v: &mut Value, with: Option<&str>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if ["resource", "Resource", "Resources", "service", "Service", "Action", "action"].contains(&k.as_str())
                {
                    blank(child, with);
                } else {
                    blank_finding(child, with);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| blank_finding(i, with)),
        _ => {}
    }
}

#[test]
fn missing_ids_in_a_finding_leave_no_hole_in_a_summary() {
    let engine = Engine::new(Config::default()).unwrap();
    let (mut checked, mut bad) = (0, Vec::new());
    for entry in walkdir::WalkDir::new(FIXTURES).into_iter().filter_map(Result::ok) {
        let path = entry.path();
        let name = path.file_name().unwrap().to_string_lossy();
        if !name.starts_with("fires_") || path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        if !trailwarden::findings::read::holds_findings(&text) {
            continue;
        }
        for with in [Some(""), None] {
            let mut doc: Value = serde_json::from_str(&text).unwrap();
            blank_finding(&mut doc, with);
            for finding in trailwarden::findings::read::document(&doc.to_string()).into_iter().flatten() {
                for d in engine.evaluate_finding(&finding).evaluation.details {
                    checked += 1;
                    if holes(&d.summary) || d.fields.iter().any(|(_, v)| v.trim().is_empty()) {
                        bad.push(format!("{} ({}): {:?} {:?}", d.rule_id, short(path), d.summary, d.fields));
                    }
                }
            }
        }
    }
    assert!(checked >= 6, "only {checked} finding alerts checked");
    assert!(bad.is_empty(), "{} alerts with a hole:\n{}", bad.len(), bad.join("\n"));
}
