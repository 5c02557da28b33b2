//! Findings through the Lambda's handler, mailing through moto's SES: one message for an event's
//! findings, quiet ones without mail, a malformed finding failing the invocation after the
//! others were sent, and the parse-free turn-away of a low GuardDuty finding.
#![cfg(feature = "aws")]

mod support;

use serde_json::{Value, json};
use support::{Moto, fixture};
use trailwarden::facts::Facts;
use trailwarden::lambda::{HandlerError, handle};
use trailwarden::notify::ses::SesMailer;
use trailwarden::{Config, Engine};

const SECRET: &str =
    r#"{"EMAIL_FROM":"alerts@example.com","SES_REGION":"us-east-1","ACCESS_KEY":"NA","ACCESS_SECRET_KEY":"NA"}"#;

async fn mailer(moto: &Moto) -> SesMailer {
    let sdk = moto.prepare("alerts@example.com", "trailwarden/sender", Some(SECRET)).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    SesMailer::new(&sdk, secrets, "trailwarden/sender", vec!["secops@example.com".into()])
}

/// A Security Hub event of three findings: one alerting, one suppressed in Security Hub, one
/// escalated... as `Imported`, with `tweak` applied to the findings list.
fn security_hub_event(tweak: impl FnOnce(&mut Vec<Value>)) -> String {
    let mut event: Value =
        serde_json::from_str(&fixture("guardduty-ec2-backdoor/fires_cc_activity_dns_via_security_hub.json")).unwrap();
    let first = event["detail"]["findings"][0].clone();
    let mut suppressed = first.clone();
    suppressed["Id"] = json!(format!("{}0", first["Id"].as_str().unwrap()));
    suppressed["Workflow"] = json!({"Status": "SUPPRESSED"});
    let access_analyzer: Value =
        serde_json::from_str::<Value>(&fixture("finding-unclassified/fires_access_analyzer_get_findings.json"))
            .unwrap()["Findings"][0]
            .clone();
    let mut findings = vec![first, suppressed, access_analyzer];
    tweak(&mut findings);
    event["detail"]["findings"] = Value::Array(findings);
    event.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_events_findings_go_out_in_one_message_and_quiet_ones_stay_quiet() {
    let moto = Moto::start();
    let mailer = mailer(&moto).await;
    let engine = Engine::new(Config::default()).unwrap();
    let summary = handle(&engine, &mailer, &Facts::default(), "prod", &security_hub_event(|_| {})).await.unwrap();
    assert_eq!(summary.findings.len(), 3, "{summary:?}");
    assert_eq!(summary.quiet.len(), 1, "{summary:?}");
    assert!(summary.quiet[0].ends_with(": workflow status SUPPRESSED"), "{summary:?}");
    assert_eq!(summary.alerts, ["guardduty-ec2-backdoor", "finding-unclassified"]);
    let sent = moto.sent_messages();
    assert_eq!(sent.len(), 1, "one message for the event");
    let body = sent[0]["body"].to_string();
    assert!(body.contains("Backdoor:EC2/C&#38;CActivity.B!DNS"), "{body}");
    assert!(body.contains("HIGH (in IAM Access Analyzer)"), "{body}");
    assert!(body.contains("finance-exports"), "{body}");

    // A sample finding and a low GuardDuty finding: no mail, a successful invocation.
    let sample = fixture("guardduty-ec2-backdoor/quiet_sample_finding.json");
    let summary = handle(&engine, &mailer, &Facts::default(), "prod", &sample).await.unwrap();
    assert_eq!(summary.quiet.len(), 1);
    assert!(summary.quiet[0].ends_with(": a sample finding"), "{summary:?}");
    let low = fixture("finding-unclassified/quiet_recon_port_probe_low.json");
    let summary = handle(&engine, &mailer, &Facts::default(), "prod", &low).await.unwrap();
    assert_eq!(summary.quiet, ["a GuardDuty finding below findings_min_severity medium"]);
    assert_eq!(moto.sent_messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_finding_fails_the_invocation_after_the_others_were_sent() {
    let moto = Moto::start();
    let mailer = mailer(&moto).await;
    let engine = Engine::new(Config::default()).unwrap();
    let payload = security_hub_event(|findings| {
        findings[1]["Severity"] = json!({"Label": "SEVERE"});
    });
    let err = handle(&engine, &mailer, &Facts::default(), "prod", &payload).await.unwrap_err();
    assert!(matches!(err, HandlerError::BadEvent(_)), "{err}");
    assert_eq!(
        err.to_string(),
        "malformed event: finding 1: detail.findings[1]: field `Severity.Label`: unknown label `SEVERE`"
    );
    let sent = moto.sent_messages();
    assert_eq!(sent.len(), 1, "the readable findings were mailed before the invocation failed");
}
