//! Alerts as one SARIF 2.1.0 log (`replay --format sarif`), for code review and CI pipelines
//! that scan CloudTrail logs in a pull request: each alert a result of its rule, located in the
//! log file it was read from, with a fingerprint (`rule_id:event_id`) that stays the same across
//! runs so that a code-scanning service tracks it as one alert.
//!
//! | SARIF | from |
//! |---|---|
//! | `tool.driver.rules[]` | every rule that raised an alert: id, title, "What it detects", "How to fix", first reference, ATT&CK id, `security-severity` |
//! | `results[].level` | critical and high `error`, medium `warning`, low and info `note` |
//! | `results[].locations` | the file (relative to the working folder where it can be), and the AWS resource as a logical location |
//! | `results[].partialFingerprints` | `trailwarden/v1`: `rule_id:event_id` |
//! | `results[].properties` | the event: id, name, time, account, region, actor, source IP |

use std::path::Path;

use serde_json::{Value, json};

use crate::detail::{EventDetail, Severity};

/// SARIF's result level for an alert's severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// The `security-severity` score code-scanning services rank by (GitHub: over 9.0 critical,
/// 7.0 to 8.9 high, 4.0 to 6.9 medium, 0.1 to 3.9 low).
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.5",
    }
}

/// One SARIF log of every alert, each with the file it was read from.
pub fn log<'a>(alerts: impl IntoIterator<Item = (&'a Path, &'a EventDetail)>) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let mut rule_ids: Vec<String> = Vec::new();
    let mut results = Vec::new();
    for (path, d) in alerts {
        let index = match rule_ids.iter().position(|id| *id == d.rule_id) {
            Some(i) => i,
            None => {
                rule_ids.push(d.rule_id.to_string());
                rules.push(rule(d));
                rule_ids.len() - 1
            }
        };
        results.push(result(path, d, index));
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "trailwarden",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

/// The rule's descriptor, from the registry where the rule is in it (its docs), else from the alert.
fn rule(d: &EventDetail) -> Value {
    let registered = crate::rule::find(&d.rule_id);
    let detects = registered.and_then(|r| r.section("What it detects")).unwrap_or_else(|| d.title.to_string());
    let severity = registered.map_or(d.severity, |r| r.severity);
    let mut tags = vec!["security".to_string()];
    if let Some(attack) = registered.and_then(|r| r.attack) {
        tags.push(format!("external/mitre/attack/{attack}"));
    }
    let mut out = json!({
        "id": d.rule_id,
        "name": d.rule_id,
        "shortDescription": {"text": d.title},
        "fullDescription": {"text": detects},
        "help": {"text": d.remediation},
        "defaultConfiguration": {"level": level(severity)},
        "properties": {"security-severity": security_severity(severity), "tags": tags},
    });
    if let Some(url) = d.references.first() {
        out["helpUri"] = url.clone().into();
    }
    out
}

fn result(path: &Path, d: &EventDetail, rule_index: usize) -> Value {
    // A path under the working folder is given relative to it, as code-scanning services expect.
    let relative = std::env::current_dir().ok().and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf));
    let uri = uri_path(&relative.as_deref().unwrap_or(path).to_string_lossy().replace('\\', "/"));
    json!({
        "ruleId": d.rule_id,
        "ruleIndex": rule_index,
        "level": level(d.severity),
        "message": {"text": d.summary},
        "locations": [{
            "physicalLocation": {"artifactLocation": {"uri": uri}},
            "logicalLocations": [{
                "name": d.resource.id,
                "kind": "resource",
                "fullyQualifiedName": format!("{}/{}/{}/{}", d.account_id, d.region, d.resource.kind, d.resource.id),
            }],
        }],
        "partialFingerprints": {"trailwarden/v1": format!("{}:{}", d.rule_id, d.event_id)},
        "properties": {
            "event_id": d.event_id,
            "event_name": d.event_name,
            "event_time": d.event_time,
            "account_id": d.account_id,
            "region": d.region,
            "actor": d.actor.name,
            "source_ip": d.source_ip,
            "severity": d.severity.name(),
        },
    })
}

/// A path as a URI reference: bytes other than letters, digits, `-._~/` percent-encoded (a file
/// name is the attacker's to choose too).
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_become_uri_references() {
        assert_eq!(super::uri_path("testdata/a b/é#1.json"), "testdata/a%20b/%C3%A9%231.json");
    }
}
