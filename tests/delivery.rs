//! Channels and routing: chat webhooks against a local HTTP server this test starts (the body
//! received, escaping, timeouts, 429 with Retry-After, 500), SNS's per-protocol message and
//! Amazon Q's custom notification against moto, and the Lambda's routing with each channel
//! failing on its own (a retry sends only through the channel that failed).
#![cfg(feature = "aws")]

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{Moto, fixture};
use trailwarden::dedupe::InMemory;
use trailwarden::facts::Facts;
use trailwarden::lambda::{HandlerError, Options, handle_with};
use trailwarden::notify::route::{Mode, Routing};
use trailwarden::notify::sns::SnsNotifier;
use trailwarden::notify::webhook::{Flavor, Limits, WebhookNotifier};
use trailwarden::notify::{Batch, Fanout, Notifier};
use trailwarden::{Config, Engine, EventDetail, Severity};

/// One scripted answer: status, extra headers, and how long to wait before answering.
#[derive(Clone)]
struct Answer(u16, &'static str, Duration);

const OK: Answer = Answer(200, "", Duration::ZERO);

/// A local HTTP/1.1 server answering each request with the next scripted answer (the last one
/// repeats), recording each request's path and body.
struct Hook {
    port: u16,
    received: Arc<Mutex<Vec<(String, String)>>>,
}

impl Hook {
    fn start(script: Vec<Answer>) -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            let mut n = 0;
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let answer = script.get(n).or(script.last()).cloned().unwrap_or(OK);
                n += 1;
                let log = log.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    let path = line.split_whitespace().nth(1).unwrap_or_default().to_string();
                    let mut length = 0;
                    loop {
                        let mut h = String::new();
                        reader.read_line(&mut h).unwrap();
                        if h.trim().is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':')
                            && k.eq_ignore_ascii_case("content-length")
                        {
                            length = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    log.lock().unwrap().push((path, String::from_utf8(body).unwrap()));
                    std::thread::sleep(answer.2);
                    let reply = format!(
                        "HTTP/1.1 {} X\r\ncontent-length: 2\r\nconnection: close\r\n{}\r\nok",
                        answer.0, answer.1
                    );
                    let _ = stream.write_all(reply.as_bytes());
                });
            }
        });
        Hook { port, received }
    }

    fn bodies(&self) -> Vec<serde_json::Value> {
        self.received.lock().unwrap().iter().map(|(_, b)| serde_json::from_str(b).unwrap()).collect()
    }
}

/// Quick limits for tests: 300 ms per try, Retry-After up to 2 s, backoff 50 and 100 ms.
const QUICK: Limits = Limits {
    timeout: Duration::from_millis(300),
    max_retry_after: Duration::from_secs(2),
    backoff: [Duration::from_millis(50), Duration::from_millis(100)],
};

async fn webhook(moto: &Moto, hook: &Hook, flavor: Flavor, name: &str) -> WebhookNotifier {
    let sdk = moto.sdk().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let secret = format!("trailwarden/{name}");
    let url = format!("http://127.0.0.1:{}/services/T000/B000/very-secret-token", hook.port);
    let value = if flavor == Flavor::Teams { format!(r#"{{"url":"{url}"}}"#) } else { url };
    secrets.create_secret().name(&secret).secret_string(value).send().await.unwrap();
    WebhookNotifier::new(name, flavor, secrets, secret).with_limits(QUICK)
}

/// The security-group alert, its summary and actor rewritten by an attacker.
fn hostile_alert() -> Vec<EventDetail> {
    let engine = Engine::new(Config::default()).unwrap();
    let text = fixture("ec2-sg-ingress-open-to-world/fires_high_port_range.json");
    let raw = trailwarden::cloudtrail::input::parse_single(&text).unwrap();
    let mut alerts = engine.evaluate(&trailwarden::Event::from_raw(&raw).unwrap()).details;
    alerts[0].summary =
        "<!channel> @here see <https://evil.example|AWS console> [click](https://evil.example) *now*\n<at>CEO</at>"
            .into();
    alerts[0].actor.arn = "arn:aws:iam::111122223333:user/<!everyone>".into();
    alerts
}

#[tokio::test(flavor = "multi_thread")]
async fn slack_gets_block_kit_with_every_value_as_plain_text() {
    let moto = Moto::start();
    let hook = Hook::start(vec![OK]);
    let slack = webhook(&moto, &hook, Flavor::Slack, "chat").await;
    let alerts = hostile_alert();
    slack.notify(Batch::new(&alerts, "prod")).await.unwrap();
    let got = hook.received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "/services/T000/B000/very-secret-token");
    let body: serde_json::Value = serde_json::from_str(&got[0].1).unwrap();
    // The fallback text is mrkdwn: no `<` survives, so no mention or disguised link.
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("[HIGH] ") && !text.contains('<') && text.contains("&lt;!channel&gt;"), "{text}");
    let blocks = body["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    // Every text object holding the alert's values is plain_text, which Slack never parses.
    let mut texts = 0;
    for b in blocks {
        for t in [&b["text"], &b["accessory"]["text"]] {
            if t.is_object() {
                assert_eq!(t["type"], "plain_text", "{b}");
                texts += 1;
            }
        }
    }
    assert!(texts >= 2);
    let section = blocks[1]["text"]["text"].as_str().unwrap();
    assert!(section.contains("<!channel>") && section.contains("sg-0a1b2c3d4e5f60718"), "{section}");
    assert!(!section.contains('\n') || section.lines().all(|l| !l.contains('\r')));
    // The button links the console page built from checked parts, never a value of the event.
    let url = blocks[1]["accessory"]["url"].as_str().unwrap();
    assert!(url.starts_with("https://eu-west-1.console.aws.amazon.com/"), "{url}");
    assert!(!got[0].1.contains("evil.example\"") && !body.to_string().contains("\"url\":\"https://evil"));
}

#[tokio::test(flavor = "multi_thread")]
async fn teams_gets_an_adaptive_card_with_markdown_escaped() {
    let moto = Moto::start();
    let hook = Hook::start(vec![OK]);
    let teams = webhook(&moto, &hook, Flavor::Teams, "teams").await;
    let alerts = hostile_alert();
    teams.notify(Batch::new(&alerts, "prod")).await.unwrap();
    let body = &hook.bodies()[0];
    assert_eq!(body["type"], "message");
    let card = &body["attachments"][0];
    assert_eq!(card["contentType"], "application/vnd.microsoft.card.adaptive");
    assert_eq!(card["content"]["type"], "AdaptiveCard");
    let text = card["content"].to_string();
    // No link, mention or emphasis can be written: `[`, `(`, `*`, `<`, `@` are escaped.
    assert!(text.contains(r"\\[click\\]\\(https://evil\\.example\\)"), "{text}");
    assert!(
        text.contains(r"\\<at\\>CEO\\</at\\>") && text.contains(r"\\@here") && text.contains(r"\\*now\\*"),
        "{text}"
    );
    let actions = card["content"]["actions"].as_array().unwrap();
    assert!(
        actions.iter().all(|a| a["url"].as_str().unwrap().starts_with("https://eu-west-1.console.aws.amazon.com/"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_waits_for_retry_after_then_sends() {
    let moto = Moto::start();
    let hook = Hook::start(vec![Answer(429, "retry-after: 1\r\n", Duration::ZERO), OK]);
    let slack = webhook(&moto, &hook, Flavor::Slack, "chat").await;
    let started = std::time::Instant::now();
    slack.notify(Batch::new(&hostile_alert(), "prod")).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "waited {:?}", started.elapsed());
    assert_eq!(hook.bodies().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_asking_too_long_a_wait_fails_the_channel() {
    let moto = Moto::start();
    let hook = Hook::start(vec![Answer(429, "retry-after: 120\r\n", Duration::ZERO)]);
    let slack = webhook(&moto, &hook, Flavor::Slack, "chat").await;
    let err = slack.notify(Batch::new(&hostile_alert(), "prod")).await.unwrap_err().to_string();
    assert!(err.contains("chat") && err.contains("429") && err.contains("120"), "{err}");
    assert!(!err.contains("very-secret-token"), "{err}");
    assert_eq!(hook.bodies().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_500_is_tried_three_times_then_fails() {
    let moto = Moto::start();
    let hook = Hook::start(vec![Answer(500, "", Duration::ZERO)]);
    let slack = webhook(&moto, &hook, Flavor::Slack, "chat").await;
    let err = slack.notify(Batch::new(&hostile_alert(), "prod")).await.unwrap_err().to_string();
    assert!(err.contains("500") && !err.contains("very-secret-token"), "{err}");
    assert_eq!(hook.bodies().len(), 3);
    // A 500 then a 200: sent on the second try.
    let hook = Hook::start(vec![Answer(503, "", Duration::ZERO), OK]);
    let slack = webhook(&moto, &hook, Flavor::Slack, "chat2").await;
    slack.notify(Batch::new(&hostile_alert(), "prod")).await.unwrap();
    assert_eq!(hook.bodies().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_that_does_not_answer_in_time_fails_after_three_tries() {
    let moto = Moto::start();
    let hook = Hook::start(vec![Answer(200, "", Duration::from_secs(2))]);
    let slack = webhook(&moto, &hook, Flavor::Slack, "chat").await;
    let err = slack.notify(Batch::new(&hostile_alert(), "prod")).await.unwrap_err().to_string();
    assert!(err.contains("no answer within"), "{err}");
    assert!(!err.contains("very-secret-token"), "{err}");
    assert_eq!(hook.bodies().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_or_plain_http_webhook_secret_is_said_without_its_value() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let missing = WebhookNotifier::new("chat", Flavor::Slack, secrets.clone(), "trailwarden/none");
    let err = missing.notify(Batch::new(&hostile_alert(), "prod")).await.unwrap_err().to_string();
    assert!(err.contains("trailwarden/none") && err.contains("not found"), "{err}");
    secrets.create_secret().name("plain").secret_string("http://hooks.example/secret-path").send().await.unwrap();
    let plain = WebhookNotifier::new("chat", Flavor::Slack, secrets, "plain");
    let err = plain.notify(Batch::new(&hostile_alert(), "prod")).await.unwrap_err().to_string();
    assert!(err.contains("not an https URL") && !err.contains("secret-path"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sns_sends_json_to_queues_and_a_short_text_to_sms_and_email() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let client = aws_sdk_sns::Client::new(&sdk);
    let topic = client.create_topic().name("alerts").send().await.unwrap().topic_arn().unwrap().to_string();
    let alerts = hostile_alert();
    SnsNotifier::new(client, topic.clone()).notify(Batch::new(&alerts, "prod")).await.unwrap();
    let sent = moto.sns_notifications(&topic);
    assert_eq!(sent.len(), 1);
    let structured: serde_json::Value = serde_json::from_str(sent[0][1].as_str().unwrap()).unwrap();
    let default: serde_json::Value = serde_json::from_str(structured["default"].as_str().unwrap()).unwrap();
    assert_eq!(default["alerts"][0]["rule_id"], "ec2-sg-ingress-open-to-world");
    let sms = structured["sms"].as_str().unwrap();
    assert!(sms.starts_with("[HIGH] ") && sms.contains("sg-0a1b2c3d4e5f60718") && sms.chars().count() <= 280, "{sms}");
    assert!(!sms.contains('\n'));
    assert_eq!(structured["email"], structured["sms"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn amazon_q_gets_its_custom_notification_schema_through_sns() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let client = aws_sdk_sns::Client::new(&sdk);
    let topic = client.create_topic().name("q").send().await.unwrap().topic_arn().unwrap().to_string();
    let alerts = hostile_alert();
    let q = SnsNotifier::amazon_q(client, topic.clone());
    assert_eq!(q.name(), "amazon-q");
    q.notify(Batch::new(&alerts, "prod")).await.unwrap();
    let sent = moto.sns_notifications(&topic);
    let n: serde_json::Value = serde_json::from_str(sent[0][1].as_str().unwrap()).unwrap();
    assert_eq!(n["version"], "1.0");
    assert_eq!(n["source"], "custom");
    assert_eq!(n["content"]["textType"], "client-markdown");
    assert!(n["content"]["title"].as_str().unwrap().starts_with("\\[HIGH\\]"), "{n}");
    let description = n["content"]["description"].as_str().unwrap();
    assert!(description.contains(r"\<\!channel\>") && !description.contains("](https://evil"), "{description}");
    assert!(description.contains("[Open in console](https://eu-west-1.console.aws.amazon.com/"), "{description}");
    assert_eq!(n["metadata"]["relatedResources"][0], "sg-0a1b2c3d4e5f60718");
    assert!(!n["content"]["nextSteps"].as_array().unwrap().is_empty());
}

#[test]
fn routes_send_by_severity_and_rule() {
    let routing = Routing::parse("critical=webhook,email; medium+/!guardduty-*=email; low=email@daily").unwrap();
    let mut alert = hostile_alert().remove(0);
    let channels = ["email", "webhook", "sns"];
    let at = |alert: &EventDetail| routing.deliveries(alert, &channels);
    alert.severity = Severity::Critical;
    assert_eq!(at(&alert), [("email".to_string(), Mode::Now), ("webhook".to_string(), Mode::Now)]);
    alert.severity = Severity::High;
    assert_eq!(at(&alert), [("email".to_string(), Mode::Now)]);
    alert.severity = Severity::Low;
    assert_eq!(at(&alert), [("email".to_string(), Mode::Daily)]);
    alert.severity = Severity::Info;
    assert!(at(&alert).is_empty());
    alert.severity = Severity::High;
    alert.rule_id = "guardduty-ec2-backdoor".into();
    assert!(at(&alert).is_empty(), "excluded by rule");
    // No routes: every channel, at once.
    assert_eq!(Routing::default().deliveries(&alert, &channels).len(), 3);
    for bad in ["critical", "extreme=email", "low=email@weekly", "[=email", "critical="] {
        assert!(Routing::parse(bad).is_err(), "{bad}");
    }
    // The config file's form.
    let cfg = Config::from_toml(
        "[[routes]]\nchannels = [\"webhook\"]\nseverities = [\"critical\"]\nrules = [\"cloudtrail-*\"]\n\n[[routes]]\nchannels = [\"email\"]\nmin_severity = \"low\"\ndigest = \"daily\"\n",
        "test.toml",
    )
    .unwrap();
    alert.rule_id = "cloudtrail-logging-stopped".into();
    alert.severity = Severity::Critical;
    assert_eq!(
        cfg.routes.deliveries(&alert, &channels),
        [("email".to_string(), Mode::Daily), ("webhook".to_string(), Mode::Now)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_channel_fails_alone_and_a_retry_sends_only_through_the_one_that_failed() {
    let moto = Moto::start();
    let (_, mailer) = moto.role_mailer().await;
    let hook = Hook::start(vec![
        Answer(500, "", Duration::ZERO),
        Answer(500, "", Duration::ZERO),
        Answer(500, "", Duration::ZERO),
        OK,
    ]);
    let chat = webhook(&moto, &hook, Flavor::Slack, "webhook").await;
    let both = Fanout(vec![Box::new(mailer), Box::new(chat)]);
    let engine = Engine::new(Config::default()).unwrap();
    let ledger = InMemory::new();
    let options = Options { ledger: Some(&ledger), ..Options::default() };
    let event = fixture("ec2-sg-ingress-open-to-world/fires_high_port_range.json");
    let err = handle_with(&engine, &both, &Facts::default(), "prod", &event, options).await.unwrap_err();
    assert!(matches!(&err, HandlerError::Notify { channel, .. } if channel == "webhook"), "{err}");
    assert_eq!(moto.sent_messages().len(), 1, "the email went out although the webhook failed");
    // EventBridge retries: the webhook now answers; the email is not sent again.
    let summary = handle_with(&engine, &both, &Facts::default(), "prod", &event, options).await.unwrap();
    assert_eq!(moto.sent_messages().len(), 1);
    assert_eq!(hook.bodies().len(), 4);
    assert_eq!(summary.channels.len(), 1, "{summary:?}");
    assert!(summary.channels[0].starts_with("webhook: "), "{summary:?}");
    assert_eq!(summary.repeats.len(), 1, "{summary:?}");
    // A third delivery sends nothing anywhere.
    let third = handle_with(&engine, &both, &Facts::default(), "prod", &event, options).await.unwrap();
    assert!(third.channels.is_empty() && third.repeats.len() == 2, "{third:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lambda_routes_critical_to_chat_and_email_and_medium_to_email_only() {
    let moto = Moto::start();
    let (_, mailer) = moto.role_mailer().await;
    let hook = Hook::start(vec![OK]);
    let chat = webhook(&moto, &hook, Flavor::Slack, "webhook").await;
    let both = Fanout(vec![Box::new(mailer), Box::new(chat)]);
    let config =
        Config { routes: Routing::parse("critical=webhook,email;medium+=email").unwrap(), ..Config::default() };
    let engine = Engine::new(config).unwrap();
    let high = fixture("ec2-sg-ingress-open-to-world/fires_high_port_range.json");
    let critical = fixture("cloudtrail-logging-stopped/fires_stratus.json");
    let options = Options::default();
    handle_with(&engine, &both, &Facts::default(), "prod", &high, options).await.unwrap();
    assert_eq!((moto.sent_messages().len(), hook.bodies().len()), (1, 0));
    handle_with(&engine, &both, &Facts::default(), "prod", &critical, options).await.unwrap();
    assert_eq!((moto.sent_messages().len(), hook.bodies().len()), (2, 1));
    assert!(hook.bodies()[0]["text"].as_str().unwrap().starts_with("[CRITICAL]"));
}
