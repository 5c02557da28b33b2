//! The core's input-neutral edges, end to end against moto: an EventBridge event of a kind no
//! rule takes is "not for me" (and succeeds), a notifier is a trait object, one message carries
//! alerts of several events, and an alert made through a pipeline says so.
#![cfg(feature = "aws")]

mod support;

use support::{Moto, fixture};
use trailwarden::facts::Facts;
use trailwarden::lambda::handle;
use trailwarden::notify::ses::SesMailer;
use trailwarden::notify::{Batch, Notifier};
use trailwarden::{Config, Engine, Event};

const SENDER: &str = "alerts@example.com";
const SECRET: &str =
    r#"{"EMAIL_FROM":"alerts@example.com","SES_REGION":"us-east-1","ACCESS_KEY":"NA","ACCESS_SECRET_KEY":"NA"}"#;

async fn mailer(moto: &Moto) -> SesMailer {
    let sdk = moto.prepare(SENDER, "trailwarden/sender", Some(SECRET)).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    SesMailer::new(&sdk, secrets, "trailwarden/sender", vec!["secops@example.com".into()])
}

/// A GuardDuty finding goes through the same engine and mailer as a CloudTrail event; an event
/// of a kind no rule takes is turned away as "not for me", without mail and without failing.
#[tokio::test(flavor = "multi_thread")]
async fn a_guardduty_finding_is_mailed_and_another_kind_is_not_for_me() {
    let moto = Moto::start();
    let mailer = mailer(&moto).await;
    let engine = Engine::new(Config::default()).unwrap();
    let payload =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/eventbridge/guardduty-finding.json"))
            .unwrap();
    let summary = handle(&engine, &mailer, &Facts::default(), "prod", &payload).await.expect("mailed");
    assert_eq!(summary.not_for_me, None);
    assert_eq!(summary.alerts, ["guardduty-ec2-cryptocurrency"], "{summary:?}");
    assert!(summary.message_id.is_some());
    let sent = moto.sent_messages();
    assert_eq!(sent.len(), 1);
    assert!(sent[0]["subject"].as_str().unwrap().starts_with("[HIGH] GuardDuty: "), "{}", sent[0]["subject"]);

    let other = r#"{"version":"0","id":"1","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{"instance-id":"i-0123","state":"running"}}"#;
    let summary = handle(&engine, &mailer, &Facts::default(), "prod", other).await.expect("not a failure");
    let reason = summary.not_for_me.clone().expect("turned away");
    assert!(reason.contains("EC2 Instance State-change Notification") && reason.contains("aws.ec2"), "{reason}");
    assert!(summary.alerts.is_empty() && summary.message_id.is_none());
    assert_eq!(moto.sent_messages().len(), 1);
    // The response says so, for the function's logs and callers.
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["not_for_me"], reason.as_str());
    // A CloudTrail event's response has no such field.
    let ct =
        handle(&engine, &mailer, &Facts::default(), "prod", &fixture("cloudtrail-logging-stopped/fires_stratus.json"))
            .await
            .unwrap();
    assert!(serde_json::to_value(&ct).unwrap().get("not_for_me").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn one_message_carries_the_alerts_of_several_events_through_a_boxed_notifier() {
    let moto = Moto::start();
    let channels: Vec<Box<dyn Notifier>> = vec![Box::new(mailer(&moto).await)];
    let engine = Engine::new(Config::default()).unwrap();
    let mut alerts = Vec::new();
    for f in ["cloudtrail-logging-stopped/fires_stratus.json", "s3-bucket-policy-public/fires_via_cloudformation.json"]
    {
        let text = fixture(f);
        alerts.extend(engine.evaluate(&Event::from_json(&text).unwrap()).details);
    }
    assert_eq!(alerts.len(), 2);
    for channel in &channels {
        assert_eq!(channel.name(), "email");
        let id = channel.notify(Batch::new(&alerts, "prod")).await.unwrap();
        assert!(!id.is_empty());
    }
    let sent = moto.sent_messages();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let body = sent[0]["body"].as_str().unwrap();
    for needle in [
        "Event 1 of 2",
        "Event 2 of 2",
        &alerts[0].event_id,
        &alerts[1].event_id,
        "CloudTrail logging stopped",
        "through CloudFormation",
    ] {
        assert!(body.contains(needle), "{needle} missing from {body}");
    }
    // The most severe event comes first: the critical trail stop before the bucket policy.
    assert!(body.find("Event 1 of 2").unwrap() < body.find(alerts[0].event_id.as_str()).unwrap());
    assert_eq!(
        sent[0]["subject"],
        "[CRITICAL] CloudTrail logging was stopped for trail stratus-red-team-ct-stop-trail-buykxbqejv (+1 more) | prod | 143434273843"
    );
}
