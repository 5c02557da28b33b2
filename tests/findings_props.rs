//! Properties of the findings readers: any value anywhere in a finding is either read or
//! reported by field (never a panic), whatever was read renders to a safe email, GuardDuty's and
//! Security Hub's shapes of one finding agree, and triage and the once-per-finding rule hold.

use proptest::prelude::*;
use serde_json::{Value, json};
use trailwarden::findings::read::document;
use trailwarden::findings::{Repeats, level_of_score};
use trailwarden::notify::render::{check_email, render};
use trailwarden::{Config, Engine, Severity};

const GD: &str = include_str!("../testdata/events/guardduty-ec2-backdoor/fires_cc_activity_dns.json");
const SH: &str = include_str!("../testdata/events/guardduty-ec2-backdoor/fires_cc_activity_dns_via_security_hub.json");

fn engine() -> &'static Engine {
    static E: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    E.get_or_init(|| Engine::new(Config::default()).unwrap())
}

/// Every path (object keys and array indexes) in a value, to its leaves and inner nodes.
fn paths(v: &Value, at: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    match v {
        Value::Object(map) => map.iter().for_each(|(k, x)| {
            let mut p = at.clone();
            p.push(k.clone());
            paths(x, p, out);
        }),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, x)| {
            let mut p = at.clone();
            p.push(i.to_string());
            paths(x, p, out);
        }),
        _ => {}
    }
}

fn at<'v>(v: &'v mut Value, path: &[String]) -> &'v mut Value {
    path.iter().fold(v, |v, k| match v {
        Value::Array(items) => &mut items[k.parse::<usize>().unwrap()],
        other => &mut other[k.as_str()],
    })
}

/// Hostile text: markup, controls, bidi overrides, terminal escapes, long runs.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<script>alert(1)</script>".to_string()),
        Just("\u{1b}[2J\u{1b}]8;;http://evil\u{7}x".to_string()),
        Just("line\r\nBcc: victim@example.com".to_string()),
        Just("\u{202e}gnp.exe".to_string()),
        Just("javascript:alert(document.domain)".to_string()),
        Just("a".repeat(5000)),
        "\\PC{0,40}",
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|n| json!(n)),
        hostile().prop_map(Value::String),
        hostile().prop_map(|s| json!([s])),
        hostile().prop_map(|s| json!({"k": s})),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Any value at any place of a GuardDuty or ASFF finding: read, or an error naming a field.
    #[test]
    fn any_value_anywhere_is_read_or_named(which in 0..2usize, pick in any::<prop::sample::Index>(), value in any_json()) {
        let mut doc: Value = serde_json::from_str([GD, SH][which]).unwrap();
        let mut all = Vec::new();
        paths(&doc, Vec::new(), &mut all);
        let path = pick.get(&all[1..]).clone();
        *at(&mut doc, &path) = value;
        let text = doc.to_string();
        let mut alerts = Vec::new();
        for read in document(&text) {
            match read {
                Ok(finding) => alerts.extend(engine().evaluate_finding(&finding).evaluation.details),
                Err((_, what)) => prop_assert!(
                    what.contains("field `") || what.contains("hold no findings") || what.contains("expected a finding"),
                    "{what}"
                ),
            }
        }
        if !alerts.is_empty() {
            let email = render(&alerts, "prop").unwrap();
            check_email(&email).map_err(|e| TestCaseError::fail(format!("{e}\n{}", email.html)))?;
            let unsafe_subject = email.subject.chars().any(|c| c.is_control());
            prop_assert!(!unsafe_subject, "subject {:?}", email.subject);
        }
    }

    /// GuardDuty's own shape and Security Hub's of one finding agree on what alerts use, at any
    /// score: id, type, level, resource and what was seen.
    #[test]
    fn both_shapes_of_one_finding_agree(tenths in 10u32..=100) {
        let score = f64::from(tenths) / 10.0;
        let mut gd: Value = serde_json::from_str(GD).unwrap();
        gd["detail"]["severity"] = json!(score);
        let mut sh: Value = serde_json::from_str(SH).unwrap();
        let label = level_of_score(score).label();
        sh["detail"]["findings"][0]["Severity"] = json!({"Product": score, "Label": label});
        let a = document(&gd.to_string()).remove(0).unwrap();
        let b = document(&sh.to_string()).remove(0).unwrap();
        prop_assert_eq!(&a.id, &b.id);
        prop_assert_eq!(&a.finding_type, &b.finding_type);
        prop_assert_eq!(a.level, b.level);
        prop_assert_eq!(&a.resource.id, &b.resource.id);
        prop_assert_eq!(&a.seen.domain, &b.seen.domain);
        prop_assert_eq!(a.count, b.count);
        let alerts = |f| engine().evaluate_finding(f).evaluation.details;
        let (x, y) = (alerts(&a), alerts(&b));
        prop_assert_eq!(x.len(), y.len());
        prop_assert_eq!(x.is_empty(), a.level < Severity::Medium);
    }

    /// Once per finding: in any order of deliveries, an id alerts once per level it rises to.
    #[test]
    fn a_finding_alerts_once_per_rise(levels in prop::collection::vec(0usize..5, 1..20)) {
        let mut repeats = Repeats::default();
        let mut best: Option<Severity> = None;
        for l in levels {
            let level = Severity::ALL[l];
            let fresh = repeats.first("arn:aws:guardduty:x", level);
            prop_assert_eq!(fresh, best.is_none_or(|b| level > b));
            best = best.max(Some(level));
        }
    }
}
