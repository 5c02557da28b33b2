//! The channels beside SES, against moto: SNS (a JSON message, a legal subject, filterable
//! attributes, the size cap), the fan-out of SES and SNS, and the Security Hub workflow update's
//! request (moto has no `BatchUpdateFindings`: the request built is what is checked).
#![cfg(feature = "aws")]

mod support;

use support::{Moto, fixture};
use trailwarden::notify::securityhub::{MAX_FINDINGS_PER_REQUEST, MAX_NOTE_CHARS, notified_requests};
use trailwarden::notify::sns::{MAX_SUBJECT_CHARS, SnsNotifier, message, subject};
use trailwarden::notify::{Batch, Fanout, FindingRef, Notifier};
use trailwarden::{Config, Engine, EventDetail};

fn finding_alerts(path: &str) -> Vec<EventDetail> {
    let engine = Engine::new(Config::default()).unwrap();
    trailwarden::findings::read::document(&fixture(path))
        .into_iter()
        .flat_map(|f| engine.evaluate_finding(&f.unwrap()).evaluation.details)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sns_gets_a_json_message_a_short_subject_and_filter_attributes() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let client = aws_sdk_sns::Client::new(&sdk);
    let topic = client.create_topic().name("secops-alerts").send().await.unwrap().topic_arn().unwrap().to_string();
    let alerts = finding_alerts("guardduty-ec2-backdoor/fires_cc_activity_dns.json");
    let sns = SnsNotifier::new(client, topic.clone());
    let id = sns.notify(Batch::new(&alerts, "prod")).await.unwrap();
    let sent = moto.sns_notifications(&topic);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0][0], id.as_str());
    // Per protocol: the JSON for queues and endpoints is the `default` message.
    let structured: serde_json::Value = serde_json::from_str(sent[0][1].as_str().unwrap()).unwrap();
    let body: serde_json::Value = serde_json::from_str(structured["default"].as_str().unwrap()).unwrap();
    assert_eq!(body["account_name"], "prod");
    assert_eq!(body["alerts"][0]["rule_id"], "guardduty-ec2-backdoor");
    assert_eq!(body["alerts"][0]["origin"]["input"], "finding");
    let subject = sent[0][2].as_str().unwrap();
    assert!(subject.starts_with("[HIGH] GuardDuty: ") && subject.chars().count() <= MAX_SUBJECT_CHARS, "{subject}");
    assert_eq!(sent[0][3]["severity"]["Value"], "high");
    assert_eq!(sent[0][3]["rule_id"]["Value"], "guardduty-ec2-backdoor");
}

#[test]
fn subjects_are_what_sns_accepts_whatever_the_alert_says() {
    let mut alerts = finding_alerts("guardduty-ec2-backdoor/fires_cc_activity_dns.json");
    for hostile in [
        "line one\r\nline two",
        "\u{1b}[31mred\u{1b}[0m \u{202e}txt.exe",
        "caf\u{e9} \u{1F600} \u{4e2d}\u{6587}",
        &"x".repeat(300),
        "\u{7}\u{0}",
    ] {
        alerts[0].summary = hostile.to_string();
        let s = subject(&Batch::new(&alerts, "pr\u{e9}d\n"));
        assert!(!s.is_empty() && s.chars().count() <= MAX_SUBJECT_CHARS, "{s:?}");
        assert!(s.chars().all(|c| c.is_ascii_graphic() || c == ' '), "{s:?}");
    }
}

#[test]
fn a_message_over_the_limit_keeps_the_alerts_that_fit_and_counts_the_rest() {
    let one = finding_alerts("guardduty-ec2-backdoor/fires_cc_activity_dns.json").remove(0);
    let alerts: Vec<EventDetail> = (0..200).map(|_| one.clone()).collect();
    let batch = Batch::new(&alerts, "prod");
    let whole = message(&batch, usize::MAX);
    let limit = whole.len() / 3;
    let cut = message(&batch, limit);
    assert!(cut.len() <= limit);
    let v: serde_json::Value = serde_json::from_str(&cut).unwrap();
    let kept = v["alerts"].as_array().unwrap().len();
    assert!(kept > 0 && kept < 200);
    assert_eq!(v["omitted"], 200 - kept);
    assert!(serde_json::from_str::<serde_json::Value>(&whole).unwrap().get("omitted").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fanout_sends_through_every_channel_and_fails_when_one_does() {
    let moto = Moto::start();
    let (sdk, mailer) = moto.role_mailer().await;
    let client = aws_sdk_sns::Client::new(&sdk);
    let topic = client.create_topic().name("t").send().await.unwrap().topic_arn().unwrap().to_string();
    let both = Fanout(vec![Box::new(mailer), Box::new(SnsNotifier::new(client.clone(), topic.clone()))]);
    let alerts = finding_alerts("guardduty-ec2-backdoor/fires_cc_activity_dns.json");
    both.notify(Batch::new(&alerts, "prod")).await.unwrap();
    assert_eq!(moto.sent_messages().len(), 1);
    assert_eq!(moto.sns_notifications(&topic).len(), 1);

    let missing = format!("{topic}-missing");
    let broken = Fanout(vec![Box::new(SnsNotifier::new(client, missing.clone()))]);
    let err = broken.notify(Batch::new(&alerts, "prod")).await.unwrap_err().to_string();
    assert!(err.starts_with(&format!("sns: publishing to SNS topic {missing}: ")), "{err}");
}

#[tokio::test]
async fn the_workflow_update_sets_notified_with_a_note_in_chunks_of_a_hundred() {
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-west-1"))
        .build();
    let client = aws_sdk_securityhub::Client::new(&sdk);
    let findings: Vec<FindingRef> = (0..250)
        .map(|i| FindingRef {
            id: format!("arn:aws:guardduty:eu-west-1:111122223333:detector/d/finding/{i:032x}"),
            product_arn: "arn:aws:securityhub:eu-west-1::product/aws/guardduty".into(),
        })
        .collect();
    let note = format!("trailwarden alerted (guardduty-ec2-backdoor)\r\n{}", "n".repeat(600));
    let requests = notified_requests(&client, &findings, &note);
    assert_eq!(requests.len(), 3);
    let mut seen = 0;
    for (i, request) in requests.iter().enumerate() {
        let input = request.as_input();
        let ids = input.get_finding_identifiers().as_ref().unwrap();
        assert_eq!(ids.len(), if i < 2 { MAX_FINDINGS_PER_REQUEST } else { 50 });
        for id in ids {
            assert_eq!(id.id(), Some(findings[seen].id.as_str()));
            assert_eq!(id.product_arn(), Some(findings[seen].product_arn.as_str()));
            seen += 1;
        }
        let status = input.get_workflow().as_ref().unwrap().status().unwrap();
        assert_eq!(status, &aws_sdk_securityhub::types::WorkflowStatus::Notified);
        let note = input.get_note().as_ref().unwrap();
        assert_eq!(note.updated_by(), Some("trailwarden"));
        let text = note.text().unwrap();
        assert!(text.starts_with("trailwarden alerted (guardduty-ec2-backdoor) ") && !text.contains(['\r', '\n']));
        assert_eq!(text.chars().count(), MAX_NOTE_CHARS);
    }
    assert_eq!(seen, 250);
}
