//! The mailer and the Lambda handler against moto's server: real SDK clients, real wire protocol.
#![cfg(feature = "aws")]

mod support;

use support::faults::Faults;
use support::{Moto, fixture};
use trailwarden::facts::Facts;
use trailwarden::lambda::{HandlerError, handle};
use trailwarden::notify::NotifyError;
use trailwarden::notify::ses::{MailError, SesMailer};
use trailwarden::{Config, Engine};

const SENDER: &str = "alerts@example.com";

async fn setup(moto: &Moto, secret: Option<&str>) -> SesMailer {
    let sdk = moto.prepare(SENDER, "trailwarden/sender", secret).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    SesMailer::new(&sdk, secrets, "trailwarden/sender", vec!["secops@example.com".into(), "oncall@example.org".into()])
}

const ROLE_SECRET: &str =
    r#"{"EMAIL_FROM":"alerts@example.com","SES_REGION":"us-east-1","ACCESS_KEY":"NA","ACCESS_SECRET_KEY":"NA"}"#;

#[tokio::test(flavor = "multi_thread")]
async fn an_alerting_event_is_mailed_to_the_recipients() {
    let moto = Moto::start();
    let mailer = setup(&moto, Some(ROLE_SECRET)).await;
    let engine = Engine::new(Config::default()).unwrap();
    let summary =
        handle(&engine, &mailer, &Facts::default(), "prod", &fixture("cloudtrail-logging-stopped/fires_stratus.json"))
            .await
            .unwrap();
    assert_eq!(summary.alerts, ["cloudtrail-logging-stopped"]);
    assert_eq!(summary.event_id, "10163ed2-2253-469d-a5ee-cbc6651f8934");
    let id = summary.message_id.expect("a message id");
    assert!(!id.is_empty());

    let sent = moto.sent_messages();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let m = &sent[0];
    assert_eq!(m["source"], SENDER, "{m}");
    let to: Vec<&str> =
        m["destinations"]["ToAddresses"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(to, ["secops@example.com", "oncall@example.org"]);
    assert_eq!(
        m["subject"],
        "[CRITICAL] CloudTrail logging was stopped for trail stratus-red-team-ct-stop-trail-buykxbqejv | prod | 143434273843"
    );
    let body = m["body"].as_str().unwrap();
    assert!(body.contains("CloudTrail logging stopped") && body.contains("aws cloudtrail start-logging"), "{body}");
    assert!(body.contains("86.245.153.234"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn explicit_keys_in_the_secret_are_used_and_the_secret_is_read_once() {
    let moto = Moto::start();
    let secret = r#"{"EMAIL_FROM":"alerts@example.com","SES_REGION":"us-east-1","ACCESS_KEY":"AKIAEXAMPLEKEY00001","ACCESS_SECRET_KEY":"c2VjcmV0LXZhbHVlLW5ldmVyLWxvZ2dlZA"}"#;
    let mailer = setup(&moto, Some(secret)).await;
    let engine = Engine::new(Config::default()).unwrap();
    for f in
        ["cloudtrail-trail-deleted/fires_stratus.json", "ec2-snapshot-shared/fires_stratus_shared_with_account.json"]
    {
        handle(&engine, &mailer, &Facts::default(), "prod", &fixture(f)).await.unwrap();
    }
    // The secret is cached: deleting it does not stop the next alert.
    let sdk = moto.sdk().await;
    aws_sdk_secretsmanager::Client::new(&sdk)
        .delete_secret()
        .secret_id("trailwarden/sender")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    handle(
        &engine,
        &mailer,
        &Facts::default(),
        "prod",
        &fixture("ec2-ami-shared/fires_stratus_shared_with_account.json"),
    )
    .await
    .unwrap();
    assert_eq!(moto.sent_messages().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn quiet_and_unwanted_events_send_nothing() {
    let moto = Moto::start();
    let mailer = setup(&moto, Some(ROLE_SECRET)).await;
    let engine = Engine::new(Config::default()).unwrap();
    let quiet = handle(
        &engine,
        &mailer,
        &Facts::default(),
        "prod",
        &fixture("cloudtrail-trail-deleted/quiet_failed_call.json"),
    )
    .await
    .unwrap();
    assert!(quiet.alerts.is_empty() && quiet.message_id.is_none());
    let unwanted = r#"{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"DescribeInstances","eventSource":"ec2.amazonaws.com"}}"#;
    let summary = handle(&engine, &mailer, &Facts::default(), "prod", unwanted).await.unwrap();
    assert!(summary.rules_matched.is_empty() && summary.message_id.is_none());
    assert!(moto.sent_messages().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_secret_or_unverified_sender_fails_the_invocation() {
    let moto = Moto::start();
    let engine = Engine::new(Config::default()).unwrap();
    let event = fixture("cloudtrail-trail-deleted/fires_stratus.json");

    let mailer = setup(&moto, None).await;
    let err = handle(&engine, &mailer, &Facts::default(), "prod", &event).await.unwrap_err();
    assert!(
        matches!(err, HandlerError::Notify { error: NotifyError::Mail(MailError::SecretMissing { .. }), .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "sending the alert email: secret `trailwarden/sender` was not found in Secrets Manager"
    );

    let sdk = moto.sdk().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    secrets
        .create_secret()
        .name("other")
        .secret_string(r#"{"EMAIL_FROM":"nobody@unverified.example","ACCESS_KEY":"NA","ACCESS_SECRET_KEY":"NA"}"#)
        .send()
        .await
        .unwrap();
    let mailer = SesMailer::new(&sdk, secrets, "other", vec!["secops@example.com".into()]);
    let err = handle(&engine, &mailer, &Facts::default(), "prod", &event).await.unwrap_err().to_string();
    assert!(err.starts_with("sending the alert email: SES SendEmail failed: MessageRejected"), "{err}");
    assert!(moto.sent_messages().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_secrets_give_clear_errors_without_their_values() {
    let moto = Moto::start();
    let sdk = moto.prepare(SENDER, "unused", None).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let engine = Engine::new(Config::default()).unwrap();
    let event = fixture("cloudtrail-trail-deleted/fires_stratus.json");
    let mut errors = Vec::new();
    for (name, value) in [
        ("malformed", Some(r#"{"EMAIL_FROM": "a@example.com", "ACCESS_KEY": "AKIASECRETVALUE0001""#)),
        ("no-from", Some(r#"{"SES_REGION":"eu-west-1","ACCESS_KEY":"NA","ACCESS_SECRET_KEY":"NA"}"#)),
        ("half", Some(r#"{"EMAIL_FROM":"alerts@example.com","ACCESS_KEY":"AKIAHALFKEY00000001"}"#)),
        ("binary", None),
    ] {
        let create = secrets.create_secret().name(name);
        let create = match value {
            Some(text) => create.secret_string(text),
            None => create.secret_binary(aws_sdk_secretsmanager::primitives::Blob::new(ROLE_SECRET)),
        };
        create.send().await.unwrap();
        let mailer = SesMailer::new(&sdk, secrets.clone(), name, vec!["secops@example.com".into()]);
        errors.push(handle(&engine, &mailer, &Facts::default(), "prod", &event).await.unwrap_err().to_string());
    }
    assert!(
        errors[0].starts_with("sending the alert email: secret `malformed` is not a JSON object of strings:"),
        "{}",
        errors[0]
    );
    assert!(!errors[0].contains("AKIASECRETVALUE0001"), "{}", errors[0]);
    assert_eq!(errors[1], "sending the alert email: secret `no-from` has no `EMAIL_FROM`");
    assert_eq!(errors[2], "sending the alert email: secret `half` has no `ACCESS_SECRET_KEY`");
    assert!(!errors[2].contains("AKIAHALFKEY"));
    assert_eq!(
        errors[3],
        "sending the alert email: secret `binary` is not a JSON object of strings: it holds binary data, not a JSON string"
    );
    assert!(moto.sent_messages().is_empty(), "nothing is sent without a sender");
}

#[tokio::test(flavor = "multi_thread")]
async fn events_without_alerts_never_touch_the_network() {
    // Nothing listens on this port, and the layer counts every request either client makes.
    let dead = format!("http://127.0.0.1:{}", support::free_port());
    let requests = Faults::scripted(&[]);
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&dead)
        .http_client(requests.clone())
        .credentials_provider(aws_sdk_sesv2::config::Credentials::new("x", "x", None, None, "test"))
        .load()
        .await;
    let mailer = SesMailer::new(&sdk, aws_sdk_secretsmanager::Client::new(&sdk), "s", vec!["a@example.com".into()]);
    let engine = Engine::new(Config::default()).unwrap();
    let unwanted = r#"{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"GetObject","eventSource":"s3.amazonaws.com"}}"#;
    assert!(handle(&engine, &mailer, &Facts::default(), "prod", unwanted).await.unwrap().rules_matched.is_empty());
    let quiet = fixture("signin-console-login-without-mfa/quiet_with_mfa.json");
    let summary = handle(&engine, &mailer, &Facts::default(), "prod", &quiet).await.unwrap();
    assert_eq!(summary.rules_matched.len(), 3, "{summary:?}");
    assert!(summary.message_id.is_none());
    assert_eq!(requests.calls(), 0, "no request was made");
    // The same mailer does fail once there is something to send: the network really is dead, and
    // the layer does see the requests.
    let alert = fixture("cloudtrail-trail-deleted/fires_stratus.json");
    assert!(handle(&engine, &mailer, &Facts::default(), "prod", &alert).await.is_err());
    assert!(requests.calls() > 0, "{requests:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_suppressed_alert_is_not_mailed_but_reported() {
    let moto = Moto::start();
    let mailer = setup(&moto, Some(ROLE_SECRET)).await;
    let suppressions =
        "[[suppress]]\nrule = \"cloudtrail-*\"\naccount = \"143434273843\"\nreason = \"sandbox account\"\n";
    let config = Config {
        suppressions: trailwarden::config::suppress::Suppressions::parse(suppressions, "TRAILWARDEN_SUPPRESSIONS")
            .unwrap(),
        ..Config::default()
    };
    let engine = Engine::new(config).unwrap();
    let summary =
        handle(&engine, &mailer, &Facts::default(), "prod", &fixture("cloudtrail-logging-stopped/fires_stratus.json"))
            .await
            .unwrap();
    assert!(summary.alerts.is_empty() && summary.message_id.is_none());
    assert_eq!(
        summary.suppressed,
        ["cloudtrail-logging-stopped: suppression #1 (line 1) rule=cloudtrail-* account=143434273843: sandbox account"]
    );
    assert!(moto.sent_messages().is_empty());
}
