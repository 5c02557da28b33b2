//! Every rule, fed events whose fields hold arbitrary JSON: no rule panics, and every email
//! rendered from what they find is well formed (`render::check_email`).
//!
//! The events start from every fixture under testdata/events (so every field some rule reads is
//! there to be replaced) and have values anywhere in them (top-level fields, requestParameters,
//! responseElements, userIdentity, nested items) replaced by arbitrary values: hostile strings,
//! numbers where strings belong, nulls, arrays, objects.

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::Value;
use trailwarden::notify::render::{check_email, render};
use trailwarden::replay::Replay;
use trailwarden::{Config, Engine};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Each fixture with the JSON pointers of every value in it.
fn fixtures() -> &'static Vec<(Value, Vec<String>)> {
    static FIXTURES: OnceLock<Vec<(Value, Vec<String>)>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let mut out = Vec::new();
        for entry in walkdir::WalkDir::new(Path::new(ROOT).join("testdata/events")).sort_by_file_name() {
            let entry = entry.unwrap();
            if entry.path().extension().is_none_or(|e| e != "json") {
                continue;
            }
            let value: Value = serde_json::from_str(&std::fs::read_to_string(entry.path()).unwrap()).unwrap();
            let mut paths = Vec::new();
            pointers(&value, String::new(), &mut paths);
            out.push((value, paths));
        }
        assert!(out.len() > 100, "{} fixtures", out.len());
        out
    })
}

fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                pointers(child, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(Config::default()).unwrap())
}

fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "<script>alert(1)</script>",
            "\"><img src=x onerror=alert(1)>",
            "javascript:alert(1)",
            "a\r\nBcc: attacker@example.com",
            "&amp;&#60;&",
            "0.0.0.0/0",
            "::/0",
            "-1",
            "*",
            "all",
            "",
            "sg-0123456789abcdef0",
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
            "Root",
            "IAMUser",
            "2025-01-01T00:00:00Z",
            "\u{202e}\u{0}\u{7f}",
        ])
        .prop_map(str::to_string),
        any::<String>(),
        "[ -~]{0,40}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        prop::sample::select(vec![0i64, 1, 22, 65535, 65536, -1]).prop_map(Value::from),
        hostile_string().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 20, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    hostile_string(),
                    prop::sample::select(vec!["items", "cidrIp", "ipProtocol", "fromPort", "toPort", "groupId"])
                        .prop_map(str::to_string),
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn rules_never_panic_and_emails_stay_well_formed(
        fixture in any::<prop::sample::Index>(),
        changes in prop::collection::vec((any::<prop::sample::Index>(), json_value()), 1..6),
    ) {
        let (original, paths) = &fixtures()[fixture.index(fixtures().len())];
        let mut event = original.clone();
        for (at, value) in changes {
            let path = &paths[at.index(paths.len())];
            if path.is_empty() {
                continue;
            }
            if let Some(slot) = event.pointer_mut(path) {
                *slot = value;
            }
        }
        let text = serde_json::to_string(&event).unwrap();
        // The replay path (the one-pass reader) and the Lambda path (one event) both.
        let report = Replay::new(engine()).scan_bytes(Path::new("prop.json"), text.as_bytes());
        if let Ok(raw) = trailwarden::cloudtrail::input::parse_single(&text)
            && let Ok(e) = trailwarden::Event::from_raw(&raw)
        {
            let _ = engine().evaluate(&e);
        }
        for group in trailwarden::notify::render::per_event(&report.details) {
            let email = render(group, "prod <b>&").unwrap();
            if let Err(problem) = check_email(&email) {
                prop_assert!(false, "{problem}\nevent: {text}\nhtml: {}", email.html);
            }
        }
    }
}

#[test]
fn the_oracle_catches_what_it_guards_against() {
    let text =
        std::fs::read_to_string(Path::new(ROOT).join("testdata/events/cloudtrail-trail-deleted/fires_stratus.json"))
            .unwrap();
    let report = Replay::new(engine()).scan_bytes(Path::new("x.json"), text.as_bytes());
    let email = render(&report.details, "prod").unwrap();
    check_email(&email).unwrap();
    let broken = |f: &dyn Fn(&mut trailwarden::notify::render::Email)| {
        let mut e = email.clone();
        f(&mut e);
        check_email(&e).unwrap_err()
    };
    assert!(
        broken(&|e| e.html = e.html.replacen("</strong>", "<img src=x onerror=alert(1)></strong>", 1))
            .contains("unexpected tag `img`")
    );
    assert!(broken(&|e| e.html = e.html.replacen("</strong>", "\"></strong>", 1)).contains("raw `>`"));
    assert!(broken(&|e| e.html = e.html.replacen("</p>", "", 1)).contains("closes"));
    assert!(
        broken(&|e| e.html = e.html.replacen("<a href=\"https://", "<a href=\"javascript:x//", 1))
            .contains("link to `javascript:")
    );
    assert!(broken(&|e| e.html = e.html.replacen("</strong>", "a & b</strong>", 1)).contains("bare `&`"));
    assert!(broken(&|e| e.subject.push_str("\r\nBcc: x@example.com")).contains("line break"));
}
