//! An alert as an OCSF Detection Finding (class 2004, schema 1.3.0, the `cloud` profile): what
//! Amazon Security Lake and SIEMs read. One object a line (`replay --format ocsf`).
//!
//! | OCSF | from the alert |
//! |---|---|
//! | `finding_info.uid` | `rule_id:event_id`: stable, one per rule and event |
//! | `finding_info.title`, `.desc`, `.types`, `.analytic` | the rule's title, the summary, the rule id |
//! | `finding_info.attacks` | the ATT&CK techniques among the rule's references |
//! | `severity_id`, `severity` | info 1, low 2, medium 3, high 4, critical 5 |
//! | `time`, `finding_info.created_time` | the event's time, in milliseconds |
//! | `cloud` | AWS, the account and the region |
//! | `api` | the call: `eventName`, `eventSource`, `eventID` |
//! | `resources` | the resource the alert is about |
//! | `evidences` | the call, who made it, and from where |
//! | `remediation` | the rule's fix text and references |
//! | `unmapped` | the rule's fields, the user agent, a finding's origin |

use serde_json::{Value, json};

use crate::detail::{EventDetail, Origin, Severity};

/// The OCSF schema version written.
pub const OCSF_VERSION: &str = "1.3.0";

/// OCSF's severity id and name for an alert's severity.
pub fn severity(s: Severity) -> (u8, &'static str) {
    match s {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// A suppressed alert as a Detection Finding: status Suppressed (3), with the entry that
/// silenced it as the status detail.
pub fn suppressed_finding(d: &EventDetail, by: &str) -> Value {
    let mut out = detection_finding(d);
    out["status_id"] = 3.into();
    out["status"] = "Suppressed".into();
    out["status_detail"] = by.into();
    out
}

/// The alert as a Detection Finding.
pub fn detection_finding(d: &EventDetail) -> Value {
    let (severity_id, severity_name) = severity(d.severity);
    // An event time that is not RFC 3339 cannot be placed: 0, and the text kept in `unmapped`.
    let time = d.event_time.parse::<jiff::Timestamp>().map(|t| t.as_millisecond()).unwrap_or(0);
    let uid = format!("{}:{}", d.rule_id, d.event_id);
    let attacks: Vec<Value> = d
        .references
        .iter()
        .filter_map(|r| technique(r))
        .map(|t| json!({"technique": {"uid": t, "src_url": format!("https://attack.mitre.org/techniques/{}/", t.replace('.', "/"))}}))
        .collect();
    let mut finding_info = json!({
        "uid": uid,
        "title": d.title,
        "desc": d.summary,
        "types": [d.rule_id],
        "analytic": {"uid": d.rule_id, "name": d.rule_id, "type_id": 1, "type": "Rule"},
        "created_time": time,
    });
    if !attacks.is_empty() {
        finding_info["attacks"] = Value::Array(attacks);
    }
    let mut user = json!({"name": d.actor.name, "type": d.actor.kind});
    if !d.actor.arn.is_empty() {
        user["uid"] = d.actor.arn.clone().into();
    }
    let mut actor = json!({"user": user});
    if let Some(service) = &d.actor.invoked_by {
        actor["app_name"] = service.clone().into();
    }
    let api = json!({"operation": d.event_name, "service": {"name": d.event_source}, "request": {"uid": d.event_id}});
    let mut evidence = json!({"api": api, "actor": actor});
    if !d.source_ip.is_empty() {
        // An address where it is one; a service name (`AWS Internal`, `ec2.amazonaws.com`) otherwise.
        evidence["src_endpoint"] = match d.source_ip.parse::<std::net::IpAddr>() {
            Ok(ip) => json!({"ip": ip.to_string()}),
            Err(_) => json!({"svc_name": d.source_ip}),
        };
    }
    let mut resource = json!({"uid": d.resource.id, "type": d.resource.kind, "region": d.region});
    if let Some(arn) = &d.resource.arn {
        resource["name"] = arn.clone().into();
    }
    let mut unmapped = json!({
        "fields": d.fields.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        "user_agent": d.user_agent,
        "event_time": d.event_time,
    });
    if let Origin::Finding(origin) = &d.origin {
        unmapped["origin"] = serde_json::to_value(origin).unwrap_or(Value::Null);
    }
    let log_name = match d.origin {
        Origin::Finding(_) => "Findings",
        _ => "CloudTrail",
    };
    let mut out = json!({
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "severity_id": severity_id,
        "severity": severity_name,
        "status_id": 1,
        "status": "New",
        "time": time,
        "message": d.summary,
        "metadata": {
            "version": OCSF_VERSION,
            "profiles": ["cloud"],
            "uid": uid,
            "log_name": log_name,
            "product": {"name": "trailwarden", "vendor_name": "trailwarden", "version": env!("CARGO_PKG_VERSION")},
        },
        "finding_info": finding_info,
        "cloud": {"provider": "AWS", "region": d.region, "account": {"uid": d.account_id, "type_id": 10, "type": "AWS Account"}},
        "api": api,
        "resources": [resource],
        "evidences": [evidence],
        "unmapped": unmapped,
    });
    if !d.remediation.is_empty() {
        out["remediation"] = json!({"desc": d.remediation, "references": d.references});
    }
    out
}

/// `T1098` or `T1550.001` from an ATT&CK technique page's address among a rule's references.
fn technique(reference: &str) -> Option<String> {
    let rest = reference.strip_prefix("https://attack.mitre.org/techniques/")?;
    let mut parts = rest.trim_end_matches('/').split('/');
    let id = parts.next()?;
    let valid = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    if !(id.len() == 5 && id.starts_with('T') && valid(&id[1..], 4)) {
        return None;
    }
    match parts.next() {
        None => Some(id.to_string()),
        Some(sub) if valid(sub, 3) && parts.next().is_none() => Some(format!("{id}.{sub}")),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::technique;

    #[test]
    fn techniques_come_from_attack_pages_only() {
        assert_eq!(technique("https://attack.mitre.org/techniques/T1098/").as_deref(), Some("T1098"));
        assert_eq!(technique("https://attack.mitre.org/techniques/T1550/001/").as_deref(), Some("T1550.001"));
        assert_eq!(technique("https://attack.mitre.org/techniques/T15/"), None);
        assert_eq!(technique("https://docs.aws.amazon.com/T1098/"), None);
        assert_eq!(technique("https://attack.mitre.org/techniques/T1098/x/y"), None);
    }
}
