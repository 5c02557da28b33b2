//! The stack template: cfn-lint clean, and its EventBridge patterns are the registry's.
#![cfg(feature = "aws")]

mod support;

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;
use support::venv_bin;

const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/cloudformation/template.yaml");
const FORWARDER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/cloudformation/forwarder.yaml");

/// The stack template as JSON.
fn template() -> Value {
    load(TEMPLATE)
}

/// A template as JSON, read by cfn-lint's own loader (it understands `!Ref`, `!GetAtt`, ...).
fn load(path: &str) -> Value {
    let out = Command::new(venv_bin().join("python"))
        .args([
            "-c",
            "import json,sys; from cfnlint.decode import cfn_yaml; print(json.dumps(cfn_yaml.load(sys.argv[1])))",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A pattern with its lists sorted, so order does not matter.
fn normalized(v: &Value) -> Value {
    match v {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(normalized).collect();
            items.sort_by_key(|i| i.to_string());
            Value::Array(items)
        }
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), normalized(v))).collect()),
        other => other.clone(),
    }
}

#[test]
fn cfn_lint_reports_nothing() {
    for path in [TEMPLATE, FORWARDER] {
        let out = Command::new(venv_bin().join("cfn-lint")).arg(path).output().unwrap();
        let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && report.trim().is_empty(), "cfn-lint {path}:\n{report}");
    }
}

#[test]
fn the_templates_route_exactly_the_events_the_registry_wants() {
    let wanted: BTreeSet<String> = trailwarden::cloudtrail::pattern::event_patterns(
        trailwarden::registry(),
        trailwarden::cloudtrail::pattern::MAX_PATTERN_CHARS,
    )
    .iter()
    .map(|p| normalized(p).to_string())
    .collect();
    for path in [TEMPLATE, FORWARDER] {
        let in_template: BTreeSet<String> = load(path)["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| r["Type"] == "AWS::Events::Rule")
            .map(|r| normalized(&r["Properties"]["EventPattern"]).to_string())
            .collect();
        assert_eq!(
            in_template, wanted,
            "{path}'s event patterns differ from the rules': regenerate them from \
             `cargo run --example replay -- --print-event-pattern` (one AWS::Events::Rule per pattern)"
        );
    }
}

#[test]
fn the_function_runs_the_binary_cargo_lambda_packages() {
    let t = template();
    let f = &t["Resources"]["Function"]["Properties"];
    // cargo lambda packages the `trailwarden-lambda` binary as `bootstrap` for provided.* runtimes.
    assert_eq!(f["Runtime"], "provided.al2023");
    assert_eq!(f["Handler"], "bootstrap");
    assert_eq!(f["MemorySize"], 128);
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"trailwarden-lambda\""));
    let env = f["Environment"]["Variables"].as_object().unwrap();
    for var in ["ACCOUNTNAME", "EMAILIDS", "SECRETNAME", "SECRETREGION"] {
        assert!(env.contains_key(var), "{var} is not set for the function");
    }
}

#[test]
fn checkov_finds_nothing_unjustified() {
    // Each skipped check carries its justification in the resource's Metadata.
    for path in [TEMPLATE, FORWARDER] {
        // checkov files the template's path under the function's environment (`__file__`) and
        // CKV_AWS_45 then scans that path for secrets: some absolute paths (a clone under
        // `/check/...`) look like one to it. Scanning by a relative name from the template's folder
        // keeps the result independent of where the clone lives.
        let path = std::path::Path::new(path);
        let out = Command::new(venv_bin().join("checkov"))
            .current_dir(path.parent().unwrap())
            .args(["--compact", "--quiet", "--framework", "cloudformation", "-f"])
            .arg(path.file_name().unwrap())
            .output()
            .unwrap();
        let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "checkov {}:\n{report}", path.display());
    }
}
