//! Engine behaviour common to every rule.

use trailwarden::{Config, Engine, Event};

fn stop_logging(extra: &str) -> String {
    format!(
        r#"{{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","eventID":"e1","eventTime":"2026-01-01T00:00:00Z",
            "awsRegion":"eu-west-1","recipientAccountId":"111122223333","requestParameters":{{"name":"main"}}{extra}}}"#
    )
}

#[test]
fn failed_calls_changed_nothing() {
    let engine = Engine::new(Config::default()).unwrap();
    let text = stop_logging(r#","errorCode":"AccessDenied","errorMessage":"no""#);
    let eval = engine.evaluate(&Event::from_json(&text).unwrap());
    assert!(eval.details.is_empty() && eval.matched.is_empty());
}

#[test]
fn a_rule_only_sees_its_own_event_source() {
    let engine = Engine::new(Config::default()).unwrap();
    let text = stop_logging("").replace("cloudtrail.amazonaws.com", "evil.example.com");
    assert!(engine.evaluate(&Event::from_json(&text).unwrap()).details.is_empty());
}

#[test]
fn escaped_and_enveloped_records_read_the_same() {
    let engine = Engine::new(Config::default()).unwrap();
    let plain = stop_logging("");
    let escaped = plain.replace("\"StopLogging\"", "\"Stop\\u004cogging\"");
    let envelope =
        format!(r#"{{"detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","detail":{plain}}}"#);
    let log_file = format!(r#"{{"Records":[{plain}]}}"#);
    for text in [&plain, &escaped, &envelope, &log_file] {
        let alerts = engine.evaluate(&Event::from_json(text).unwrap()).details;
        assert_eq!(alerts.len(), 1, "{text}");
        assert_eq!(alerts[0].rule_id, "cloudtrail-logging-stopped");
        assert_eq!(alerts[0].resource.id, "main");
    }
}

#[test]
fn from_json_names_what_is_wrong() {
    let err = |t: &str| Event::from_json(t).unwrap_err().to_string();
    assert_eq!(
        err("42"),
        "expected a CloudTrail record, an EventBridge envelope or a log file with one record, found a number"
    );
    assert_eq!(err(r#"{"eventSource":"x"}"#), "field `eventName`: missing");
    assert_eq!(
        err(r#"{"eventName":"A","userIdentity":{"type":7}}"#),
        "field `userIdentity.type`: invalid type: integer `7`, expected a string"
    );
    assert!(err(r#"{"eventName":"A""#).starts_with("invalid JSON: EOF while parsing an object"));
    assert_eq!(
        err(r#"{"Records":[{"eventName":"A"},{"eventName":"B"}]}"#),
        "expected a CloudTrail record, an EventBridge envelope or a log file with one record, found 2 records"
    );
}

#[test]
fn unknown_rule_ids_are_a_configuration_error() {
    let mut config = Config::default();
    config.disabled_rules.insert("ec2-sg-ingres-open-to-world".into());
    let err = Engine::new(config).err().unwrap().to_string();
    assert_eq!(err, "unknown rule id `ec2-sg-ingres-open-to-world` (list them with --list-rules)");
}

#[test]
fn facts_change_what_a_rule_concludes() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/events/s3-bucket-policy-public/");
    let text = std::fs::read_to_string(format!("{dir}fires_restricted_by_block_public_access.json")).unwrap();
    let facts = trailwarden::facts::Facts::from_file(std::path::Path::new(&format!(
        "{dir}fires_restricted_by_block_public_access.facts"
    )))
    .unwrap();
    let engine = Engine::new(Config::default()).unwrap();
    let ev = Event::from_json(&text).unwrap();
    let questions: Vec<_> = engine.questions(&ev).unwrap().into_iter().collect();
    assert_eq!(questions.len(), 1, "{questions:?}");
    assert_eq!(engine.evaluate(&ev).details[0].severity, trailwarden::Severity::Critical, "unknown: critical");
    let known = engine.evaluate_with(&ev, &facts).details;
    assert_eq!(known[0].severity, trailwarden::Severity::Medium);
    assert!(known[0].fields.iter().any(|(k, _)| k == "Block Public Access"));
}
