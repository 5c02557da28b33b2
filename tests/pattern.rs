//! The EventBridge patterns come from the registry: exactly the events the rules want, in
//! patterns EventBridge accepts.

use std::collections::BTreeSet;

use serde_json::Value;
use trailwarden::cloudtrail::pattern::{
    DETAIL_TYPES, EVENTBRIDGE_MAX_PATTERN_CHARS, MAX_PATTERN_CHARS, VERSIONED_SOURCES, event_patterns,
};
use trailwarden::registry;

/// A pattern list's entries: plain names, and `{"prefix": name}` as `name*`.
fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| match s.as_str() {
            Some(name) => name.to_string(),
            None => format!("{}*", s["prefix"].as_str().expect("a name or {\"prefix\": name}")),
        })
        .collect()
}

#[test]
fn patterns_cover_every_rule_event_and_nothing_else_within_the_quota() {
    let patterns = event_patterns(registry(), MAX_PATTERN_CHARS);
    assert!(patterns.len() >= 2, "the library does not fit one pattern; it is split");
    let wanted: BTreeSet<(String, String)> =
        // CloudTrail rules only: finding rules are routed by the findings patterns.
        registry()
            .iter()
            .filter(|r| r.input == trailwarden::InputKind::CloudTrail)
            .flat_map(|r| r.events.iter().map(|e| (r.source.to_string(), e.to_string()))).collect();
    // Sources whose names carry an API version are matched by prefix.
    let versioned = |source: &str| VERSIONED_SOURCES.contains(&source);
    let wanted: BTreeSet<(String, String)> =
        wanted.into_iter().map(|(s, n)| if versioned(&s) { (s, format!("{n}*")) } else { (s, n) }).collect();
    let names: BTreeSet<String> = wanted.iter().map(|(_, n)| n.clone()).collect();
    let mut covered = BTreeSet::new();
    for p in &patterns {
        let text = p.to_string();
        assert!(text.len() <= MAX_PATTERN_CHARS && MAX_PATTERN_CHARS < EVENTBRIDGE_MAX_PATTERN_CHARS, "{}", text.len());
        assert_eq!(strings(&p["detail-type"]), DETAIL_TYPES.iter().map(|s| s.to_string()).collect());
        let (sources, events) = (strings(&p["detail"]["eventSource"]), strings(&p["detail"]["eventName"]));
        assert!(events.is_subset(&names), "a pattern names an event no rule wants");
        for s in &sources {
            for e in &events {
                covered.insert((s.clone(), e.clone()));
            }
        }
    }
    assert!(wanted.is_subset(&covered), "missing: {:?}", wanted.difference(&covered).collect::<Vec<_>>());
}

#[test]
fn a_small_budget_splits_into_more_patterns_each_within_it() {
    let patterns = event_patterns(registry(), 600);
    assert!(patterns.len() > event_patterns(registry(), MAX_PATTERN_CHARS).len());
    assert!(patterns.iter().all(|p| p.to_string().len() <= 600));
}

/// EventBridge's prefix matching, as the pattern uses it: a plain entry equals, `name*` starts with.
fn matches(entries: &BTreeSet<String>, name: &str) -> bool {
    entries.iter().any(|e| match e.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => e == name,
    })
}

#[test]
fn every_api_version_of_a_lambda_operation_is_delivered() {
    let patterns = event_patterns(registry(), MAX_PATTERN_CHARS);
    let delivered = |source: &str, name: &str| {
        patterns.iter().any(|p| {
            strings(&p["detail"]["eventSource"]).contains(source) && matches(&strings(&p["detail"]["eventName"]), name)
        })
    };
    for name in ["AddPermission20150331", "AddPermission20150331v2", "AddPermission"] {
        assert!(delivered("lambda.amazonaws.com", name), "{name}");
    }
    // Plain names stay exact: a longer name of another service is not delivered by accident.
    assert!(delivered("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress"));
    assert!(!delivered("ec2.amazonaws.com", "AuthorizeSecurityGroupIngressX"));
}
