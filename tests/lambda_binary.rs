//! The real Lambda binary under a Lambda runtime emulator (`cargo lambda watch
//! --only-lambda-apis`, from PyPI's cargo-lambda), invoked with `cargo lambda invoke`, mailing
//! through moto's server.
#![cfg(feature = "aws")]

mod support;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use support::{Moto, free_port, venv_bin, wait_for_port};

const BIN: &str = env!("CARGO_BIN_EXE_trailwarden-lambda");
const KEY_SECRET: &str = "c2VjcmV0LXZhbHVlLW5ldmVyLWxvZ2dlZA";

struct Running(Vec<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn function_env(cmd: &mut Command, moto: &Moto) {
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::var("HOME").unwrap_or_default())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", &moto.url)
        .env("ACCOUNTNAME", "prod")
        .env("EMAILIDS", "secops@example.com, oncall@example.org")
        .env("SECRETNAME", "trailwarden/sender")
        .env("SECRETREGION", "us-east-1");
}

fn invoke(port: u16, data_file: &Path) -> Output {
    Command::new(venv_bin().join("cargo-lambda"))
        .args(["lambda", "invoke", "-A", "127.0.0.1", "-P", &port.to_string(), "--data-file"])
        .arg(data_file)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_mails_alerts_and_fails_invocations_it_cannot_handle() {
    let moto = Moto::start();
    let secret = format!(
        r#"{{"EMAIL_FROM":"alerts@example.com","SES_REGION":"us-east-1","ACCESS_KEY":"AKIAEXAMPLEKEY00001","ACCESS_SECRET_KEY":"{KEY_SECRET}"}}"#
    );
    moto.prepare("alerts@example.com", "trailwarden/sender", Some(&secret)).await;

    // The emulator keeps its files outside the project folder.
    let work = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut emulator = Command::new(venv_bin().join("cargo-lambda"))
        .args(["lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", &port.to_string(), "--manifest-path"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .current_dir(work.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(port, &mut emulator, "cargo lambda watch");
    let log_path = work.path().join("function.log");
    let log = std::fs::File::create(&log_path).unwrap();
    // The stack's sent-alerts table and SNS topic, in moto.
    let sdk = moto.sdk().await;
    moto.ledger_table("sent-alerts").await;
    let topic = aws_sdk_sns::Client::new(&sdk).create_topic().name("alerts").send().await.unwrap();
    let topic = topic.topic_arn().unwrap().to_string();
    let mut cmd = Command::new(BIN);
    function_env(&mut cmd, &moto);
    cmd.env("TRAILWARDEN_DEDUPE_TABLE", "sent-alerts").env("TRAILWARDEN_SNS_TOPIC_ARN", &topic);
    let function = cmd
        .env("AWS_LAMBDA_RUNTIME_API", format!("http://127.0.0.1:{port}/.rt"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let _running = Running(vec![emulator, function]);

    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/events/cloudtrail-logging-stopped/fires_stratus.json");
    let out = invoke(port, &fixture);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(summary["alerts"], serde_json::json!(["cloudtrail-logging-stopped"]), "{summary}");
    assert!(summary["message_id"].as_str().is_some_and(|id| !id.is_empty()), "{summary}");
    let sent = moto.sent_messages();
    assert_eq!(sent.len(), 1);
    assert!(sent[0]["subject"].as_str().unwrap().starts_with("[CRITICAL] CloudTrail logging was stopped"));

    let quiet =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/events/cloudtrail-logging-stopped/quiet_failed_call.json");
    let out = invoke(port, &quiet);
    assert!(out.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["message_id"], serde_json::Value::Null);

    let bad = work.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"detail-type":"AWS API Call via CloudTrail","detail":{"eventSource":"ec2.amazonaws.com"}}"#,
    )
    .unwrap();
    let out = invoke(port, &bad);
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success() || all.contains("errorMessage"), "a malformed event must fail: {all}");
    assert!(all.contains("malformed event: field `eventName`: missing"), "{all}");
    assert_eq!(moto.sent_messages().len(), 1);

    // The same record again (an EventBridge duplicate): already mailed, so nothing is sent.
    let out = invoke(port, &fixture);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["alerts"], serde_json::json!([]), "{summary}");
    // One repeat per channel the alert had gone through: email and SNS.
    assert_eq!(summary["repeats"].as_array().map(Vec::len), Some(2), "{summary}");
    assert_eq!(moto.sent_messages().len(), 1);

    // A GuardDuty finding: mailed and published once; re-published, and forwarded by Security
    // Hub, it is not sent again.
    let findings = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/findings/eventbridge-findings.jsonl"),
    )
    .unwrap();
    let lines: Vec<&str> = findings.lines().collect();
    for (i, expect_mail) in [(0, true), (1, false), (2, false)] {
        let path = work.path().join(format!("finding-{i}.json"));
        std::fs::write(&path, lines[i]).unwrap();
        let out = invoke(port, &path);
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(summary["alerts"].as_array().unwrap().is_empty(), !expect_mail, "{i}: {summary}");
        assert_eq!(summary["findings"].as_array().unwrap().len(), 1, "{summary}");
    }
    let sent = moto.sent_messages();
    assert_eq!(sent.len(), 2);
    assert!(sent[1]["subject"].as_str().unwrap().starts_with("[HIGH] GuardDuty: "), "{}", sent[1]["subject"]);
    assert_eq!(moto.sns_notifications(&topic).len(), 2, "SNS gets what SES gets");

    let logs = std::fs::read_to_string(&log_path).unwrap();
    // One "alert sent" line per alert, with what the stack's metric filter reads.
    let alert_lines: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "alert sent")
        .collect();
    assert_eq!(alert_lines.len(), 2, "{logs}");
    assert_eq!(alert_lines[0]["fields"]["input"], "cloudtrail");
    assert_eq!(alert_lines[0]["fields"]["severity"], "critical");
    assert_eq!(alert_lines[1]["fields"]["input"], "finding");
    assert_eq!(alert_lines[1]["fields"]["severity"], "high");
    let evaluated: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "event evaluated")
        .collect();
    assert_eq!(evaluated.len(), 3, "{logs}");
    assert_eq!(evaluated[0]["fields"]["event_id"], "10163ed2-2253-469d-a5ee-cbc6651f8934");
    assert!(evaluated[0]["fields"]["alerts"].as_str().unwrap().contains("cloudtrail-logging-stopped"));
    assert!(!logs.contains(KEY_SECRET) && !logs.contains("AKIAEXAMPLEKEY00001"), "a secret reached the logs:\n{logs}");

    // An SQS batch from the organisation trail's queue: a log file in the bucket, named by
    // CloudTrail's own notification, and a message that is no notice at all.
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    s3.create_bucket().bucket("org-trail").send().await.unwrap();
    let key = "AWSLogs/o-abc123/111122223333/CloudTrail/us-east-1/2026/01/01/111122223333_CloudTrail_us-east-1_20260101T0000Z_x.json.gz";
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/events/cloudtrail-trail-deleted/fires_stratus.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, serde_json::json!({ "Records": [record] }).to_string().as_bytes()).unwrap();
    s3.put_object().bucket("org-trail").key(key).body(gz.finish().unwrap().into()).send().await.unwrap();
    let message = |id: &str, body: String| {
        serde_json::json!({"messageId": id, "receiptHandle": "r", "body": body, "attributes": {},
            "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:trailwarden-objects", "awsRegion": "us-east-1"})
    };
    let batch = serde_json::json!({"Records": [
        message("m-1", serde_json::json!({"s3Bucket": "org-trail", "s3ObjectKey": [key]}).to_string()),
        message("m-2", "not a notice".to_string()),
    ]});
    let path = work.path().join("sqs.json");
    std::fs::write(&path, batch.to_string()).unwrap();
    let out = invoke(port, &path);
    let response: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(response, serde_json::json!({"batchItemFailures": [{"itemIdentifier": "m-2"}]}));
    let sent = moto.sent_messages();
    assert_eq!(sent.len(), 3);
    assert!(sent[2]["subject"].as_str().unwrap().starts_with("[CRITICAL]"), "{}", sent[2]["subject"]);

    // A backfill's steps, as the state machine invokes the same binary: the plan writes the
    // manifest of region-days, a child reads one and returns its alerts without mailing them.
    s3.create_bucket().bucket("reports").send().await.unwrap();
    let plan = serde_json::json!({"Backfill": "plan", "Bucket": "org-trail", "Prefix": "", "Since": "2026-01-01",
        "Until": "2026-01-01", "Accounts": [], "Regions": [], "ReportBucket": "reports", "ReportPrefix": "reports/x/"});
    let path = work.path().join("plan.json");
    std::fs::write(&path, plan.to_string()).unwrap();
    let out = invoke(port, &path);
    let planned: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(planned["Days"], 2, "{planned}");
    let child = serde_json::json!({"Items": [{"Prefix": "AWSLogs/o-abc123/111122223333/CloudTrail/us-east-1/2026/01/01/"}],
        "BatchInput": {"Bucket": "org-trail", "Accounts": [], "Regions": [],
        "ReportBucket": "reports", "ReportPrefix": "reports/x/"}});
    let path = work.path().join("child.json");
    std::fs::write(&path, child.to_string()).unwrap();
    let out = invoke(port, &path);
    let lines: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(lines[0]["rule_id"], "cloudtrail-trail-deleted", "{lines:?}");
    assert_eq!(lines.last().unwrap()["trailwarden_backfill"], "child");
    assert_eq!(moto.sent_messages().len(), 3, "a backfill mails nothing");
}

#[test]
fn bad_configuration_fails_at_start_naming_the_variable() {
    let moto_less = |emails: &str| {
        Command::new(BIN)
            .env_clear()
            .env("EMAILIDS", emails)
            .env("SECRETNAME", "s")
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap()
    };
    let out = moto_less("secops@example.com,not-an-address");
    assert!(!out.status.success());
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("environment variable EMAILIDS: `not-an-address` is not an email address"), "{text}");
    let out = Command::new(BIN).env_clear().env("EMAILIDS", "a@example.com").output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success() && text.contains("environment variable SECRETNAME: is not set"), "{text}");
}
