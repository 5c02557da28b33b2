//! Fixtures drive the plan: every rule that declares response actions gets a plan from its
//! firing fixtures, made only of its own actions, on the resource its alert names; the default
//! settings never plan `ec2-terminate` and nothing below High; `respond = "off"` plans nothing.

use std::path::Path;

use trailwarden::detail::Severity;
use trailwarden::facts::Facts;
use trailwarden::replay::Replay;
use trailwarden::respond::Action;
use trailwarden::respond::plan::plan;
use trailwarden::respond::settings::{Mode, Settings};
use trailwarden::rule::registry;
use trailwarden::{Config, Engine, EventDetail};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/events");

/// The alerts of `rule` from its firing fixtures (with their facts files).
fn alerts(rule: &str) -> Vec<EventDetail> {
    let dir = Path::new(FIXTURES).join(rule);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("fires_") || name.ends_with(".facts") {
            continue;
        }
        let mut engine = Engine::new(Config::default()).unwrap();
        let facts = path.with_extension("facts");
        if facts.exists() {
            engine = engine.with_facts(Facts::from_file(&facts).unwrap());
        }
        let report = Replay::new(&engine).scan_file(&path);
        assert!(report.errors.is_empty(), "{name}: {:?}", report.errors);
        out.extend(report.details.into_iter().filter(|d| d.rule_id == rule));
    }
    out
}

#[test]
fn every_rule_with_actions_plans_them_from_its_fixtures() {
    let everything = Settings {
        mode: Mode::Plan,
        actions: Action::ALL.into_iter().collect(),
        allow_terminate: true,
        min_severity: Severity::Info,
        ..Settings::default()
    };
    let mut rules = 0;
    for rule in registry().iter().filter(|r| !r.respond.is_empty()) {
        rules += 1;
        let alerts = alerts(rule.id);
        assert!(!alerts.is_empty(), "{}: no firing fixture alerted", rule.id);
        let mut planned = 0;
        for alert in &alerts {
            for p in plan(alert, &everything) {
                assert!(rule.respond.contains(&p.kind), "{}: planned {} it does not declare", rule.id, p.action);
                assert_eq!(p.finding_id, alert.event_id);
                assert!(!p.resource.is_empty());
                planned += 1;
            }
        }
        assert!(
            planned > 0,
            "{}: no fixture gave a plan: {:#?}",
            rule.id,
            alerts.iter().map(|a| (&a.resource, &a.fields)).collect::<Vec<_>>()
        );
    }
    assert!(rules >= 20, "{rules} rules declare actions");
}

#[test]
fn the_defaults_plan_no_termination_and_nothing_below_high_and_off_plans_nothing() {
    let defaults = Settings::default();
    let alerts = alerts("guardduty-ec2-backdoor");
    let plans: Vec<_> = alerts.iter().flat_map(|a| plan(a, &defaults)).collect();
    let ids: std::collections::BTreeSet<&str> = plans.iter().map(|p| p.action).collect();
    assert_eq!(
        ids.into_iter().collect::<Vec<_>>(),
        [
            "ec2-capture-metadata",
            "ec2-deregister-targets",
            "ec2-detach-asg",
            "ec2-isolate",
            "ec2-protect",
            "ec2-snapshot",
            "ec2-tag"
        ]
    );
    let mut medium = alerts[0].clone();
    medium.severity = Severity::Medium;
    assert!(plan(&medium, &defaults).is_empty());
    let off = Settings { mode: Mode::Off, ..Settings::default() };
    assert!(alerts.iter().all(|a| plan(a, &off).is_empty()));
    // A protected resource gets no plan.
    let protected = Settings { protected: [alerts[0].resource.id.clone()].into(), ..Settings::default() };
    assert!(plan(&alerts[0], &protected).is_empty());
}
