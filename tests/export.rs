//! `replay --format ocsf`: every line is an OCSF 1.3.0 Detection Finding (class 2004, the
//! `cloud` profile), checked against the OCSF schema as JSON Schema (PyPI's `ocsf-json-schema`,
//! which ships every OCSF version) by `jsonschema`, over every alert of testdata/.
#![cfg(all(feature = "cli", feature = "aws"))]

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::venv_bin;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn trailwarden(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_trailwarden")).args(args).current_dir(ROOT).output().unwrap()
}

/// Validates each line of `lines` against the Detection Finding schema; the errors, one line
/// each (`LINE: path: message`), empty when every line is valid.
fn schema_errors(lines: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("findings.jsonl");
    std::fs::write(&input, lines).unwrap();
    let script = r#"
import json, sys
import jsonschema
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema
schema = OcsfJsonSchemaEmbedded(get_ocsf_schema("1.3.0")).get_class_schema("detection_finding", ["cloud"])
validator = jsonschema.Draft202012Validator(schema)
for n, line in enumerate(open(sys.argv[1]), 1):
    for e in validator.iter_errors(json.loads(line)):
        print(f"{n}: {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}")
"#;
    let out = Command::new(venv_bin().join("python")).args(["-c", script]).arg(&input).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_alert_is_a_valid_ocsf_detection_finding() {
    let ocsf = trailwarden(&["replay", "--format", "ocsf", "testdata/"]);
    assert_eq!(ocsf.status.code(), Some(0), "{}", String::from_utf8_lossy(&ocsf.stderr));
    let lines = String::from_utf8(ocsf.stdout).unwrap();
    let errors = schema_errors(&lines);
    assert!(errors.is_empty(), "{errors}");

    // One finding per alert, in the same order, each naming its rule and event.
    let jsonl = String::from_utf8(trailwarden(&["replay", "--format", "jsonl", "testdata/"]).stdout).unwrap();
    let alerts: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let findings: Vec<Value> = lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(findings.len(), alerts.len());
    assert!(findings.len() > 300);
    for (f, a) in findings.iter().zip(&alerts) {
        let uid = format!("{}:{}", a["rule_id"].as_str().unwrap(), a["event_id"].as_str().unwrap());
        assert_eq!(f["finding_info"]["uid"], uid.as_str());
        assert_eq!(f["finding_info"]["title"], a["title"]);
        assert_eq!(f["message"], a["summary"]);
        assert_eq!(f["cloud"]["account"]["uid"], a["account_id"]);
        assert_eq!(f["cloud"]["region"], a["region"]);
        let level = ["info", "low", "medium", "high", "critical"].iter().position(|s| a["severity"] == *s).unwrap();
        assert_eq!(f["severity_id"], level as u64 + 1);
        if a.get("input").is_none() {
            assert_eq!(f["api"]["operation"], a["event_name"]);
            assert_eq!(f["api"]["request"]["uid"], a["event_id"]);
        }
    }
    // The ATT&CK techniques of the rules' references are the findings' attacks.
    let sts = findings.iter().find(|f| f["finding_info"]["analytic"]["uid"] == "sts-federation-token").unwrap();
    assert_eq!(sts["finding_info"]["attacks"][0]["technique"]["uid"], "T1550.001");
    // The event's time, in milliseconds.
    for (f, a) in findings.iter().zip(&alerts) {
        let t: jiff::Timestamp = a["event_time"].as_str().unwrap().parse().unwrap();
        assert_eq!(f["time"].as_i64(), Some(t.as_millisecond()), "{}", a["event_time"]);
    }

    // The check can fail: a finding without its cloud, or with a severity OCSF does not have.
    let mut broken: Value = findings[0].clone();
    broken.as_object_mut().unwrap().remove("cloud");
    let mut bad_severity = findings[1].clone();
    bad_severity["severity_id"] = 7.into();
    let errors = schema_errors(&format!("{broken}\n{bad_severity}\n"));
    assert!(errors.contains("1: : 'cloud' is a required property"), "{errors}");
    assert!(errors.contains("2: severity_id: 7 is not one of"), "{errors}");
}

#[test]
fn a_suppressed_alert_is_a_suppressed_finding() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("suppressions.toml");
    std::fs::write(
        &file,
        "[[suppress]]\nrule = \"ec2-sg-ingress-open-to-world\"\nresource = \"sg-0a1b2c3d4e5f60718\"\nreason = \"bastion\"\n",
    )
    .unwrap();
    let fixtures = Path::new("testdata/events/ec2-sg-ingress-open-to-world");
    let out = trailwarden(&[
        "replay",
        "--format",
        "ocsf",
        "--show-suppressed",
        "--suppressions",
        file.to_str().unwrap(),
        fixtures.to_str().unwrap(),
    ]);
    let lines = String::from_utf8(out.stdout).unwrap();
    assert!(schema_errors(&lines).is_empty());
    let suppressed: Vec<Value> =
        lines.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).filter(|f| f["status_id"] == 3).collect();
    // The same four the JSON lines list as suppressed (tests/replay_cli.rs), and the one alert.
    assert_eq!(suppressed.len(), 4, "{lines}");
    assert_eq!(lines.lines().count(), 5);
    assert_eq!(suppressed[0]["status"], "Suppressed");
    assert!(suppressed[0]["status_detail"].as_str().unwrap().contains("bastion"), "{}", suppressed[0]);
}

#[test]
fn sarif_is_one_log_with_each_alert_a_result_of_its_rule_in_its_file() {
    let out = trailwarden(&["replay", "--format", "sarif", "testdata/events/"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "trailwarden");
    let rules = driver["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    let jsonl = String::from_utf8(trailwarden(&["replay", "--format", "jsonl", "testdata/events/"]).stdout).unwrap();
    let alerts: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(results.len(), alerts.len());
    assert!(results.len() > 200);
    let mut fingerprints = std::collections::BTreeSet::new();
    for (r, a) in results.iter().zip(&alerts) {
        // Each result points at its rule's descriptor, by id and index.
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        assert_eq!(r["ruleId"], a["rule_id"]);
        assert_eq!(r["message"]["text"], a["summary"]);
        let level = match a["severity"].as_str().unwrap() {
            "critical" | "high" => "error",
            "medium" => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], level);
        // In the fixture it came from, relative to the working folder, as a URI reference.
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.starts_with("testdata/events/") && Path::new(ROOT).join(uri).is_file(), "{uri}");
        assert!(uri.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~/%".contains(&b)), "{uri}");
        let fingerprint = r["partialFingerprints"]["trailwarden/v1"].as_str().unwrap();
        assert_eq!(fingerprint, format!("{}:{}", a["rule_id"].as_str().unwrap(), a["event_id"].as_str().unwrap()));
        fingerprints.insert(fingerprint.to_string());
    }
    // One descriptor per rule that alerted, with what code-scanning services rank and show.
    let alerted: std::collections::BTreeSet<&str> = alerts.iter().map(|a| a["rule_id"].as_str().unwrap()).collect();
    assert_eq!(rules.len(), alerted.len());
    for rule in rules {
        let score: f64 = rule["properties"]["security-severity"].as_str().unwrap().parse().unwrap();
        assert!((0.0..=10.0).contains(&score));
        assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
        assert!(!rule["help"]["text"].as_str().unwrap().is_empty());
        assert!(rule["helpUri"].as_str().unwrap().starts_with("https://"));
    }
    let ssh = rules.iter().find(|r| r["id"] == "ec2-sg-ingress-open-to-world").unwrap();
    assert!(ssh["properties"]["tags"].to_string().contains("external/mitre/attack/T"), "{ssh}");
}
