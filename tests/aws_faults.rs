//! Fault paths of the mailer through injected responses (aws-smithy-mocks): throttling, permanent
//! errors and bad secrets, through the real SDK clients and their retry logic.
#![cfg(feature = "aws")]

use aws_sdk_secretsmanager::operation::get_secret_value::{GetSecretValueError, GetSecretValueOutput};
use aws_sdk_secretsmanager::types::error::ResourceNotFoundException;
use aws_sdk_sesv2::config::retry::RetryConfig;
use aws_sdk_sesv2::operation::send_email::SendEmailOutput;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use trailwarden::facts::Facts;
use trailwarden::lambda::handle;
use trailwarden::notify::render::render;
use trailwarden::notify::ses::{MailError, SenderSecret, SesMailer};
use trailwarden::{Config, Engine, Event};

const SECRET: &str = r#"{"EMAIL_FROM":"alerts@example.com","SES_REGION":"eu-west-1","ACCESS_KEY":"AKIAEXAMPLEKEY00001","ACCESS_SECRET_KEY":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"}"#;

fn secret_rule(value: &'static str) -> Rule {
    mock!(aws_sdk_secretsmanager::Client::get_secret_value)
        .then_output(move || GetSecretValueOutput::builder().name("trailwarden/sender").secret_string(value).build())
}

fn mailer(secret: &Rule, ses_rules: &[&Rule]) -> SesMailer {
    let secrets = mock_client!(aws_sdk_secretsmanager, RuleMode::Sequential, &[secret]);
    let ses = mock_client!(aws_sdk_sesv2, RuleMode::Sequential, ses_rules, |b| b
        .retry_config(RetryConfig::standard().with_max_attempts(3)));
    SesMailer::with_factory(
        secrets,
        "trailwarden/sender",
        "us-east-1",
        vec!["secops@example.com".into()],
        Box::new(move |_| ses.clone()),
    )
}

fn alert_event() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/events/cloudtrail-trail-deleted/fires_stratus.json"
    ))
    .unwrap()
}

const THROTTLED: &str = r#"{"__type":"TooManyRequestsException","message":"Maximum sending rate exceeded."}"#;

#[tokio::test]
async fn throttled_twice_then_accepted_sends_one_email() {
    let send = mock!(aws_sdk_sesv2::Client::send_email)
        .sequence()
        .http_status(429, Some(THROTTLED.into()))
        .times(2)
        .output(|| SendEmailOutput::builder().message_id("msg-0001").build())
        .build();
    let secret = secret_rule(SECRET);
    let m = mailer(&secret, &[&send]);
    let engine = Engine::new(Config::default()).unwrap();
    let summary = handle(&engine, &m, &Facts::default(), "prod", &alert_event()).await.unwrap();
    assert_eq!(summary.message_id.as_deref(), Some("msg-0001"));
    assert_eq!(send.num_calls(), 3, "two throttled attempts and one accepted");
    assert_eq!(secret.num_calls(), 1);
}

#[tokio::test]
async fn throttling_beyond_the_retries_fails_the_invocation() {
    let send =
        mock!(aws_sdk_sesv2::Client::send_email).sequence().http_status(429, Some(THROTTLED.into())).times(5).build();
    let secret = secret_rule(SECRET);
    let m = mailer(&secret, &[&send]);
    let engine = Engine::new(Config::default()).unwrap();
    let err = handle(&engine, &m, &Facts::default(), "prod", &alert_event()).await.unwrap_err().to_string();
    assert!(err.contains("TooManyRequestsException"), "{err}");
    assert_eq!(send.num_calls(), 3);
}

#[tokio::test]
async fn a_permanent_ses_error_fails_the_invocation_without_retrying() {
    let rejected = r#"{"__type":"MessageRejected","message":"Email address is not verified."}"#;
    let send = mock!(aws_sdk_sesv2::Client::send_email).sequence().http_status(400, Some(rejected.into())).build();
    let secret = secret_rule(SECRET);
    let m = mailer(&secret, &[&send]);
    let engine = Engine::new(Config::default()).unwrap();
    let err = handle(&engine, &m, &Facts::default(), "prod", &alert_event()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "sending the alert email: SES SendEmail failed: MessageRejected: Email address is not verified."
    );
    assert_eq!(send.num_calls(), 1);
}

#[tokio::test]
async fn a_5xx_is_retried() {
    let send = mock!(aws_sdk_sesv2::Client::send_email)
        .sequence()
        .http_status(503, None)
        .output(|| SendEmailOutput::builder().message_id("msg-0002").build())
        .build();
    let secret = secret_rule(SECRET);
    let m = mailer(&secret, &[&send]);
    let email = render(
        &Engine::new(Config::default()).unwrap().evaluate(&Event::from_json(&alert_event()).unwrap()).details,
        "prod",
    )
    .unwrap();
    assert_eq!(m.send(&email).await.unwrap(), "msg-0002");
}

async fn secret_error(rule: Rule) -> String {
    let send =
        mock!(aws_sdk_sesv2::Client::send_email).then_output(|| SendEmailOutput::builder().message_id("x").build());
    let m = mailer(&rule, &[&send]);
    let engine = Engine::new(Config::default()).unwrap();
    let err = handle(&engine, &m, &Facts::default(), "prod", &alert_event()).await.unwrap_err().to_string();
    assert_eq!(send.num_calls(), 0, "nothing is sent without a sender");
    err
}

#[tokio::test]
async fn bad_secrets_give_clear_errors_without_their_values() {
    let missing = mock!(aws_sdk_secretsmanager::Client::get_secret_value).then_error(|| {
        GetSecretValueError::ResourceNotFoundException(
            ResourceNotFoundException::builder().message("Secrets Manager can't find the specified secret.").build(),
        )
    });
    assert_eq!(
        secret_error(missing).await,
        "sending the alert email: secret `trailwarden/sender` was not found in Secrets Manager"
    );

    let malformed =
        secret_error(secret_rule(r#"{"EMAIL_FROM": "a@example.com", "ACCESS_KEY": "AKIASECRETVALUE0001""#)).await;
    assert!(
        malformed.starts_with("sending the alert email: secret `trailwarden/sender` is not a JSON object of strings:"),
        "{malformed}"
    );
    assert!(!malformed.contains("AKIASECRETVALUE0001"), "{malformed}");

    let no_from =
        secret_error(secret_rule(r#"{"SES_REGION":"eu-west-1","ACCESS_KEY":"NA","ACCESS_SECRET_KEY":"NA"}"#)).await;
    assert_eq!(no_from, "sending the alert email: secret `trailwarden/sender` has no `EMAIL_FROM`");

    let half = secret_error(secret_rule(r#"{"EMAIL_FROM":"a@example.com","ACCESS_KEY":"AKIAHALFKEY00000001"}"#)).await;
    assert_eq!(half, "sending the alert email: secret `trailwarden/sender` has no `ACCESS_SECRET_KEY`");
    assert!(!half.contains("AKIAHALFKEY"));
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
