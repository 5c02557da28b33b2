//! Fault paths of the mailer: SES throttling, server errors and permanent refusals, through the
//! real SDK clients and their retry logic against moto's server. moto's SES never throttles or
//! fails, so those answers come from the fault-injecting layer in front of the SES client's
//! connection (tests/support/faults.rs); everything the layer passes on is really sent, so an
//! accepted retry is a real email in moto. Secrets Manager is moto's, unfaulted. aws-smithy-mocks
//! is not needed here: every answer these paths see is one moto or the layer gives.
#![cfg(feature = "aws")]

mod support;

use support::faults::{Fault, Faults};
use support::{Moto, fixture};
use trailwarden::facts::Facts;
use trailwarden::lambda::handle;
use trailwarden::notify::render::render;
use trailwarden::notify::ses::{MailError, SenderSecret};
use trailwarden::{Config, Engine, Event};

const SECRET: &str = r#"{"EMAIL_FROM":"alerts@example.com","SES_REGION":"eu-west-1","ACCESS_KEY":"AKIAEXAMPLEKEY00001","ACCESS_SECRET_KEY":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"}"#;
const ROLE_SECRET: &str =
    r#"{"EMAIL_FROM":"alerts@example.com","SES_REGION":"us-east-1","ACCESS_KEY":"NA","ACCESS_SECRET_KEY":"NA"}"#;

/// moto with a verified sender and the secret, and `faults` in front of SES.
async fn setup(moto: &Moto, faults: &Faults) -> trailwarden::notify::ses::SesMailer {
    let sdk = moto.prepare("alerts@example.com", "trailwarden/sender", Some(ROLE_SECRET)).await;
    faults.mailer(&sdk, "trailwarden/sender")
}

fn alert_event() -> String {
    fixture("cloudtrail-trail-deleted/fires_stratus.json")
}

#[tokio::test(flavor = "multi_thread")]
async fn throttled_twice_then_accepted_sends_one_email() {
    let moto = Moto::start();
    let faults = Faults::scripted(&[Fault::Throttle, Fault::Throttle]);
    let m = setup(&moto, &faults).await;
    let engine = Engine::new(Config::default()).unwrap();
    let summary = handle(&engine, &m, &Facts::default(), "prod", &alert_event()).await.unwrap();
    let sent = moto.sent_messages();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(summary.message_id.is_some_and(|id| !id.is_empty()));
    assert_eq!(faults.count(Fault::Throttle), 2, "{faults:?}");
    assert_eq!(faults.calls(), 3, "two throttled attempts and one accepted: {faults:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_beyond_the_retries_fails_the_invocation() {
    let moto = Moto::start();
    // One more than the SDK's attempts, so that a fourth attempt would be counted, not accepted.
    let faults = Faults::scripted(&[Fault::Throttle; 4]);
    let m = setup(&moto, &faults).await;
    let engine = Engine::new(Config::default()).unwrap();
    let err = handle(&engine, &m, &Facts::default(), "prod", &alert_event()).await.unwrap_err().to_string();
    assert_eq!(
        err,
        "sending the alert email: SES SendEmail failed: TooManyRequestsException: Maximum sending rate exceeded."
    );
    assert_eq!(faults.calls(), 3, "the SDK's three attempts, all throttled: {faults:?}");
    assert!(moto.sent_messages().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permanent_ses_error_fails_the_invocation_without_retrying() {
    let moto = Moto::start();
    let faults = Faults::scripted(&[]);
    let sdk = moto.prepare("alerts@example.com", "trailwarden/sender", None).await;
    // moto's SES refuses a sender it has not verified, as SES does.
    let unverified = r#"{"EMAIL_FROM":"nobody@unverified.example","SES_REGION":"us-east-1","ACCESS_KEY":"NA","ACCESS_SECRET_KEY":"NA"}"#;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    secrets.create_secret().name("trailwarden/sender").secret_string(unverified).send().await.unwrap();
    let m = faults.mailer(&sdk, "trailwarden/sender");
    let engine = Engine::new(Config::default()).unwrap();
    let err = handle(&engine, &m, &Facts::default(), "prod", &alert_event()).await.unwrap_err().to_string();
    assert!(err.starts_with("sending the alert email: SES SendEmail failed: MessageRejected: "), "{err}");
    assert_eq!(faults.calls(), 1, "a refusal is not retried: {faults:?}");
    assert!(moto.sent_messages().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_5xx_is_retried() {
    let moto = Moto::start();
    let faults = Faults::scripted(&[Fault::Unavailable, Fault::ServerError]);
    let m = setup(&moto, &faults).await;
    let email = render(
        &Engine::new(Config::default()).unwrap().evaluate(&Event::from_json(&alert_event()).unwrap()).details,
        "prod",
    )
    .unwrap();
    let id = m.send(&email).await.unwrap();
    assert!(!id.is_empty());
    assert_eq!(faults.calls(), 3, "a 503, a 500, then accepted: {faults:?}");
    let sent = moto.sent_messages();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["subject"].as_str(), Some(email.subject.as_str()));
}

#[test]
fn secret_values_never_show_in_debug_output() {
    let s = SenderSecret::parse("n", SECRET, "us-east-1").unwrap();
    let shown = format!("{s:?}");
    assert!(!shown.contains("AKIAEXAMPLEKEY00001") && !shown.contains("wJalrXUtnFEMI"), "{shown}");
    assert!(shown.contains("alerts@example.com") && shown.contains("<redacted>"));
    let e = MailError::SecretKeyMissing { name: "n".into(), key: "EMAIL_FROM" };
    assert_eq!(e.to_string(), "secret `n` has no `EMAIL_FROM`");
}
