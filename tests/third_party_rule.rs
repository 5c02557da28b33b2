//! A crate that depends on trailwarden declares its own rule; the engine runs it beside ours.

use trailwarden::prelude::*;
use trailwarden::{Config, Engine};

trailwarden::declare_rule! {
    /// ## What it detects
    /// Any `DeleteBucket` call on a bucket whose name starts with `audit-`.
    /// ## Why it matters
    /// Our audit archive lives there.
    /// ## How to fix
    /// Restore it from the replica.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html
    AUDIT_BUCKET_DELETED {
        id: "acme-audit-bucket-deleted",
        title: "Audit bucket deleted",
        severity: Severity::High,
        source: "s3.amazonaws.com",
        events: &["DeleteBucket"],
        attack: Some("T1485"),
        check: audit_bucket,
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    bucket_name: Option<String>,
}

fn audit_bucket(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let bucket = ev.request::<Request>()?.bucket_name.unwrap_or_default();
    if !bucket.starts_with("audit-") {
        return Ok(Vec::new());
    }
    Ok(vec![
        Detection::new(format!("bucket {bucket} deleted"), Resource::new(ResourceKind::S3_BUCKET, &bucket))
            .field("Bucket", &bucket),
    ])
}

fn delete_bucket(name: &str) -> String {
    format!(
        r#"{{"eventSource":"s3.amazonaws.com","eventName":"DeleteBucket","eventID":"1","eventTime":"2026-01-01T00:00:00Z",
            "awsRegion":"eu-west-1","recipientAccountId":"111122223333","requestParameters":{{"bucketName":"{name}"}}}}"#
    )
}

#[test]
fn the_engine_runs_a_rule_declared_outside_the_crate() {
    assert!(trailwarden::rule::find("acme-audit-bucket-deleted").is_some());
    assert!(trailwarden::rule::find("ec2-sg-ingress-open-to-world").is_some(), "built-in rules are still there");
    let engine = Engine::new(Config::default()).unwrap();
    assert!(engine.wants("DeleteBucket"));

    let text = delete_bucket("audit-2026");
    let alerts = engine.evaluate(&Event::from_json(&text).unwrap()).details;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].rule_id, "acme-audit-bucket-deleted");
    assert_eq!(alerts[0].severity, Severity::High);
    assert_eq!(alerts[0].fields, [("Bucket".to_string(), "audit-2026".to_string())]);
    assert_eq!(alerts[0].remediation, "Restore it from the replica.");

    let text = delete_bucket("scratch");
    assert!(engine.evaluate(&Event::from_json(&text).unwrap()).details.is_empty());
}

#[test]
fn it_can_be_disabled_like_any_rule() {
    let mut config = Config::default();
    config.disabled_rules.insert("acme-audit-bucket-deleted".into());
    let engine = Engine::new(config).unwrap();
    assert!(!engine.wants("DeleteBucket"));
}
