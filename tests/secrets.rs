//! The sender secret's values (the access key pair) never appear in a log line (every level, every
//! crate, as the Lambda formats them), an error message (Display or Debug), the handler's summary
//! or an email, on the paths that succeed and on those that fail. Against moto's server.
#![cfg(feature = "aws")]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use support::{Moto, fixture};
use trailwarden::facts::Facts;
use trailwarden::lambda::handle;
use trailwarden::notify::ses::{SenderSecret, SesMailer};
use trailwarden::{Config, Engine};

const ACCESS_KEY: &str = "AKIASECRETVALUE4TW77";
const SECRET_KEY: &str = "TwSecretKey/Do+Not+Leak/9f8e7d6c5b4a3210XyZ";

/// Everything the tracing subscriber writes, as the Lambda binary formats it (JSON lines).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_no_secret(what: &str, text: &str) {
    for (name, value) in [("ACCESS_KEY", ACCESS_KEY), ("ACCESS_SECRET_KEY", SECRET_KEY)] {
        assert!(!text.contains(value), "{what} holds {name}:\n{text}");
        // Also not in pieces a formatter might make of it (JSON-escaped slashes, the key's tail).
        assert!(!text.contains(&value.replace('/', "\\/")), "{what} holds {name} (escaped)");
        assert!(!text.contains(&value[value.len() - 12..]), "{what} holds the end of {name}");
    }
}

async fn run(moto: &Moto, secret_name: &str, secret: &str) -> Vec<String> {
    let sdk = moto.sdk().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    secrets.create_secret().name(secret_name).secret_string(secret).send().await.unwrap();
    let mailer = SesMailer::new(&sdk, secrets, secret_name, vec!["secops@example.com".into()]);
    let engine = Engine::new(Config::default()).unwrap();
    let mut out = Vec::new();
    match handle(&engine, &mailer, &Facts::default(), "prod", &fixture("cloudtrail-trail-deleted/fires_stratus.json"))
        .await
    {
        Ok(summary) => out.push(serde_json::to_string(&summary).unwrap()),
        Err(e) => {
            out.push(e.to_string());
            out.push(format!("{e:?}"));
            // What lambda_runtime reports as the invocation's error.
            out.push(format!("{:?}", lambda_runtime::Diagnostic::from(lambda_runtime::Error::from(e))));
        }
    }
    out
}

#[tokio::test]
async fn the_secret_s_values_reach_no_log_error_summary_or_email() {
    let logs = Logs::default();
    let writer = logs.clone();
    // The Lambda's own log layer at its most verbose setting.
    use tracing_subscriber::layer::SubscriberExt;
    let (layer, parsed) = trailwarden::lambda::log_layer(Some("trace"), move || writer.clone());
    parsed.unwrap();
    let _guard = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));

    let moto = Moto::start();
    let sdk = moto.sdk().await;
    aws_sdk_sesv2::Client::new(&sdk).create_email_identity().email_identity("alerts@example.com").send().await.unwrap();
    let keys = format!(r#""ACCESS_KEY":"{ACCESS_KEY}","ACCESS_SECRET_KEY":"{SECRET_KEY}""#);
    let mut outputs = Vec::new();
    // Sent with the secret's own key pair.
    let ok = format!(r#"{{"EMAIL_FROM":"alerts@example.com","SES_REGION":"us-east-1",{keys}}}"#);
    outputs.extend(run(&moto, "s/ok", &ok).await);
    assert!(outputs[0].contains("\"message_id\":\""), "mailed: {}", outputs[0]);
    // SES refuses: the sender is not verified.
    let unverified = format!(r#"{{"EMAIL_FROM":"nobody@example.org","SES_REGION":"us-east-1",{keys}}}"#);
    let refused = run(&moto, "s/unverified", &unverified).await;
    assert!(refused[0].contains("MessageRejected"), "{}", refused[0]);
    outputs.extend(refused);
    // The secret is broken JSON right after the keys, or lacks one of the pair.
    let broken = format!(r#"{{"EMAIL_FROM":"alerts@example.com",{keys},"#);
    let broken = run(&moto, "s/broken", &broken).await;
    assert!(broken[0].contains("is not a JSON object of strings"), "{}", broken[0]);
    outputs.extend(broken);
    let half = format!(r#"{{"EMAIL_FROM":"alerts@example.com","ACCESS_KEY":"{ACCESS_KEY}"}}"#);
    let half = run(&moto, "s/half", &half).await;
    assert!(half[0].contains("has no `ACCESS_SECRET_KEY`"), "{}", half[0]);
    outputs.extend(half);
    // The parsed secret's own Debug.
    outputs.push(format!("{:?}", SenderSecret::parse("s", &ok, "us-east-1").unwrap()));

    for (i, text) in outputs.iter().enumerate() {
        assert_no_secret(&format!("output {i}"), text);
    }
    let sent = moto.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_no_secret("the email", &sent[0].to_string());
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.lines().count() > 50, "trace-level logs were captured: {}", logs.lines().count());
    assert!(logs.contains("event evaluated"), "the handler's own log line is there");
    assert_no_secret("the logs", &logs);
}
