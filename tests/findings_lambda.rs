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

mod dedupe_table {
    //! The ledger in the handler, on moto's DynamoDB: a finding alerts once per ARN (again when
    //! its level rises), concurrent deliveries give one email, a CloudTrail retry after a failed
    //! send mails once, and Security Hub's answer to the workflow update does not alert again.
    use super::*;
    use support::faults::{Fault, Faults};
    use trailwarden::dedupe::dynamodb::DynamoLedger;
    use trailwarden::lambda::{Options, handle_with};
    use trailwarden::notify::Notifier;
    use trailwarden::notify::securityhub::SecurityHubWorkflow;

    async fn table(moto: &Moto) -> DynamoLedger {
        DynamoLedger::new(moto.ledger_table("sent").await, "sent")
    }

    async fn deliver(
        engine: &Engine,
        notifier: &dyn Notifier,
        options: Options<'_>,
        payload: &str,
    ) -> trailwarden::lambda::Summary {
        handle_with(engine, notifier, &Facts::default(), "prod", payload, options).await.unwrap()
    }

    /// The acceptance file's events, by index (see testdata/findings/eventbridge-findings.jsonl).
    fn event(i: usize) -> String {
        fixture("../findings/eventbridge-findings.jsonl").lines().nth(i).unwrap().to_string()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_finding_alerts_once_per_arn_and_again_when_its_level_rises() {
        let moto = Moto::start();
        let mailer = mailer(&moto).await;
        let ledger = table(&moto).await;
        let engine = Engine::new(Config::default()).unwrap();
        let options = Options { ledger: Some(&ledger), ..Options::default() };
        let first = deliver(&engine, &mailer, options, &event(0)).await;
        assert_eq!(first.alerts, ["guardduty-ec2-backdoor"]);
        // Re-published with a higher count, then forwarded by Security Hub: no email.
        for i in [1, 2, 0] {
            let again = deliver(&engine, &mailer, options, &event(i)).await;
            assert!(again.alerts.is_empty() && again.message_id.is_none(), "{again:?}");
            assert_eq!(again.repeats.len(), 1, "{again:?}");
        }
        assert_eq!(moto.sent_messages().len(), 1);
        // Re-published at 9.0: critical now, one more email.
        let risen = deliver(&engine, &mailer, options, &event(3)).await;
        assert_eq!(risen.alerts, ["guardduty-ec2-backdoor"]);
        assert_eq!(moto.sent_messages().len(), 2);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn two_concurrent_deliveries_of_one_finding_give_one_email() {
        let moto = Moto::start();
        let mailer = mailer(&moto).await;
        let ledger = table(&moto).await;
        let engine = Engine::new(Config::default()).unwrap();
        let options = Options { ledger: Some(&ledger), ..Options::default() };
        let (gd, sh) = (event(0), event(2));
        let facts = Facts::default();
        let handle = |payload| handle_with(&engine, &mailer, &facts, "prod", payload, options);
        let (a, b) = tokio::join!(handle(&gd), handle(&sh));
        // One sends. The other finds it sent (a repeat), or still being sent: then it fails, so
        // it is retried, and its retry is a repeat.
        let sent = [&a, &b].iter().filter(|o| o.as_ref().is_ok_and(|s| s.alerts.len() == 1)).count();
        assert_eq!(sent, 1, "{a:?} {b:?}");
        for (outcome, payload) in [(a, &gd), (b, &sh)] {
            match outcome {
                Ok(s) if s.alerts.len() == 1 => {}
                Ok(s) => assert_eq!(s.repeats.len(), 1, "{s:?}"),
                Err(e) => {
                    assert!(e.to_string().contains("is being sent by another delivery"), "{e}");
                    let retry = deliver(&engine, &mailer, options, payload).await;
                    assert_eq!((retry.alerts.len(), retry.repeats.len()), (0, 1), "{retry:?}");
                }
            }
        }
        assert_eq!(moto.sent_messages().len(), 1);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_delivery_that_died_mid_send_is_sent_by_the_retry_after_its_lease() {
        const T: i64 = 1_780_272_000;
        let moto = Moto::start();
        let mailer = mailer(&moto).await;
        let ledger = table(&moto).await.with_lease_secs(180);
        let engine = Engine::new(Config::default()).unwrap();
        let record = fixture("cloudtrail-logging-stopped/fires_stratus.json");
        // The claim a delivery took before it died (a timeout, a crash) and never settled.
        let key = "cloudtrail#10163ed2-2253-469d-a5ee-cbc6651f8934#cloudtrail-logging-stopped@email";
        use trailwarden::dedupe::{Claim, Ledger};
        let dead = ledger.claim(key, trailwarden::Severity::Critical, T).await.unwrap();
        assert!(matches!(dead, Claim::Fresh(_)), "{dead:?}");
        // Lambda's first retry, a minute later: the claim still holds, so the invocation fails
        // (not a silent repeat) and Lambda retries again.
        let early = Options { ledger: Some(&ledger), now: Some(T + 65), ..Options::default() };
        let failed = handle_with(&engine, &mailer, &Facts::default(), "prod", &record, early).await;
        let error = failed.expect_err("a claim still held fails the invocation").to_string();
        assert!(error.contains("is being sent by another delivery"), "{error}");
        assert!(moto.sent_messages().is_empty());
        // The second retry, after the lease: sent, once.
        let late = Options { ledger: Some(&ledger), now: Some(T + 185), ..Options::default() };
        let sent = deliver(&engine, &mailer, late, &record).await;
        assert_eq!(sent.alerts, ["cloudtrail-logging-stopped"]);
        assert_eq!(moto.sent_messages().len(), 1);
        let again = Options { ledger: Some(&ledger), now: Some(T + 300), ..Options::default() };
        assert_eq!(deliver(&engine, &mailer, again, &record).await.repeats.len(), 1);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_retry_after_a_failed_send_mails_once() {
        let moto = Moto::start();
        let sdk = moto.prepare("alerts@example.com", "trailwarden/sender", Some(SECRET)).await;
        let ledger = table(&moto).await;
        let engine = Engine::new(Config::default()).unwrap();
        let options = Options { ledger: Some(&ledger), ..Options::default() };
        // SES fails the first delivery's send (every retry of it), then works.
        let faults = Faults::scripted(&[Fault::ServerError; 3]);
        let mailer = faults.mailer(&sdk, "trailwarden/sender");
        let record = fixture("cloudtrail-logging-stopped/fires_stratus.json");
        let failed = handle_with(&engine, &mailer, &Facts::default(), "prod", &record, options).await;
        assert!(matches!(failed, Err(HandlerError::Notify { .. })), "{failed:?}");
        assert!(moto.sent_messages().is_empty());
        // EventBridge retries: the claim was released, so the retry sends.
        let retry = deliver(&engine, &mailer, options, &record).await;
        assert_eq!(retry.alerts, ["cloudtrail-logging-stopped"]);
        // A duplicate delivery after the successful send: nothing more.
        let duplicate = deliver(&engine, &mailer, options, &record).await;
        assert!(duplicate.alerts.is_empty(), "{duplicate:?}");
        assert_eq!(
            duplicate.repeats,
            // Claimed per channel: this one's only channel is email.
            [
                "cloudtrail-logging-stopped: cloudtrail#10163ed2-2253-469d-a5ee-cbc6651f8934#cloudtrail-logging-stopped@email"
            ]
        );
        assert_eq!(moto.sent_messages().len(), 1);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn security_hubs_answer_to_the_workflow_update_does_not_alert_again() {
        let moto = Moto::start();
        let mailer = mailer(&moto).await;
        let ledger = table(&moto).await;
        let config = Config { findings_update_workflow: true, ..Config::default() };
        let engine = Engine::new(config).unwrap();
        let workflow = SecurityHubWorkflow::new(aws_sdk_securityhub::Client::new(&moto.sdk().await));
        let options = Options { ledger: Some(&ledger), workflow: Some(&workflow), ..Options::default() };
        // The Access Analyzer finding, NEW: one email, then the update (which moto lacks: the
        // failure is reported, and the alert stands).
        let new = deliver(&engine, &mailer, options, &event(12)).await;
        assert_eq!(new.alerts, ["finding-unclassified"]);
        let update = new.workflow.clone().expect("an update was attempted");
        assert!(update.starts_with("workflow update failed: BatchUpdateFindings: "), "{update}");
        // Security Hub's "Imported" event for the finding, now NOTIFIED: no second email, no loop.
        let answer = deliver(&engine, &mailer, options, &event(13)).await;
        assert!(answer.alerts.is_empty() && answer.workflow.is_none(), "{answer:?}");
        assert_eq!(moto.sent_messages().len(), 1);
    }
}
