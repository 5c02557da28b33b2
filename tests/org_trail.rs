//! The organisation trail's path: SQS batches of S3 object notifications read by the function's
//! handler, against moto's S3 (the objects), SES (the mail) and DynamoDB (the once-per-alert
//! ledger). 200 objects in CloudTrail's layout, three of them poison (a truncated gzip, random
//! bytes, a record over the limit) and one digest; every shape a notice comes in.
#![cfg(feature = "aws")]

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use support::{Moto, gzip, stratus_records};
use trailwarden::dedupe::dynamodb::DynamoLedger;
use trailwarden::facts::Facts;
use trailwarden::lambda::Options;
use trailwarden::lambda::objects::{ItemFailure, ObjectSettings, SqsEvent, handle_sqs};
use trailwarden::objects::s3::S3Objects;
use trailwarden::replay::Replay;
use trailwarden::{Config, Engine};

const BUCKET: &str = "org-trail";
const ACCOUNTS: [&str; 3] = ["111122223333", "444455556666", "777788889999"];

/// Object `i`: four records of the pool, made its own (event ids) and put in its account.
fn log_file(pool: &[serde_json::Value], i: usize) -> (String, Vec<u8>) {
    let account = ACCOUNTS[i % 3];
    let records: Vec<serde_json::Value> = (0..4)
        .map(|j| {
            let mut r = pool[(i * 4 + j) % pool.len()].clone();
            let id = r["eventID"].as_str().unwrap_or("none").to_string();
            r["eventID"] = format!("{id}-{i:04}").into();
            r["recipientAccountId"] = account.into();
            r
        })
        .collect();
    let key = format!(
        "AWSLogs/o-abc123/{account}/CloudTrail/eu-west-1/2026/01/{:02}/{account}_CloudTrail_eu-west-1_20260101T0000Z_{i:04}.json.gz",
        1 + i % 28
    );
    (key, serde_json::to_vec(&serde_json::json!({ "Records": records })).unwrap())
}

/// The message one object's creation sends, in one of the shapes, in turn.
fn message(i: usize, key: &str) -> serde_json::Value {
    let body = match i % 4 {
        0 | 1 => {
            serde_json::json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": BUCKET}, "object": {"key": key, "size": 100}}}]})
        }
        2 => serde_json::json!({"version": "0", "detail-type": "Object Created", "source": "aws.s3",
            "detail": {"bucket": {"name": BUCKET}, "object": {"key": key}}}),
        _ => serde_json::json!({"s3Bucket": BUCKET, "s3ObjectKey": [key]}),
    };
    // Every other message comes through SNS.
    let body = match i % 2 {
        0 => body.to_string(),
        _ => serde_json::json!({"Type": "Notification", "Message": body.to_string()}).to_string(),
    };
    serde_json::json!({"messageId": format!("m-{i:03}"), "body": body})
}

/// moto with the sender ready, a mailer, and the trail bucket.
async fn setup(moto: &Moto) -> (trailwarden::notify::ses::SesMailer, aws_sdk_s3::Client) {
    let (sdk, mailer) = moto.role_mailer().await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    (mailer, s3)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_of_200_objects_mails_each_alert_once_and_fails_only_the_poison() {
    let moto = Moto::start();
    let (mailer, s3) = setup(&moto).await;
    let engine = Engine::new(Config::default()).unwrap();
    let pool = stratus_records();

    // 196 good log files, a truncated gzip, random bytes, a record over the limit, a digest.
    let mut objects: Vec<(String, Vec<u8>)> =
        (0..196).map(|i| log_file(&pool, i)).map(|(k, j)| (k, gzip(&j))).collect();
    let (key, json) = log_file(&pool, 196);
    let good = gzip(&json);
    objects.push((key, good[..good.len() / 2].to_vec()));
    let (key, _) = log_file(&pool, 197);
    objects.push((key, (0..5000u32).map(|n| (n.wrapping_mul(2_654_435_761) >> 24) as u8).collect()));
    let (key, json) = log_file(&pool, 198);
    let mut file: serde_json::Value = serde_json::from_slice(&json).unwrap();
    file["Records"][1]["requestParameters"] = serde_json::json!({"padding": "x".repeat(2 << 20)});
    objects.push((key, gzip(&serde_json::to_vec(&file).unwrap())));
    let digest = "AWSLogs/o-abc123/111122223333/CloudTrail-Digest/eu-west-1/2026/01/01/111122223333_CloudTrail-Digest_eu-west-1_x_20260101T000000Z.json.gz";
    objects.push((digest.to_string(), gzip(b"{\"digestStartTime\":\"2026-01-01T00:00:00Z\"}")));
    assert_eq!(objects.len(), 200);
    for (key, bytes) in &objects {
        s3.put_object().bucket(BUCKET).key(key).body(bytes.clone().into()).send().await.unwrap();
    }

    // What must be mailed: every event with an alert in the readable objects (the oversized
    // record's object included: its other records are read), found by replay offline.
    let scan = Replay::new(&engine);
    let mut expected: Vec<String> = Vec::new();
    for (key, bytes) in
        objects.iter().take(199).filter(|(k, _)| !k.ends_with("_0196.json.gz") && !k.ends_with("_0197.json.gz"))
    {
        let report = scan.scan_object(Path::new(key), bytes);
        for group in trailwarden::notify::render::per_event(&report.details) {
            expected.push(group[0].event_id.clone());
        }
    }
    assert!(expected.len() > 50, "{}", expected.len());

    let event: SqsEvent = serde_json::from_value(serde_json::json!({
        "Records": objects.iter().enumerate().map(|(i, (k, _))| message(i, k)).collect::<Vec<_>>()
    }))
    .unwrap();
    let ledger = DynamoLedger::new(moto.ledger_table("trailwarden-sent").await, "trailwarden-sent");
    let store = S3Objects::new(s3.clone(), 64 << 20);
    let names = BTreeMap::from([(ACCOUNTS[0].to_string(), "prod".to_string())]);
    let settings = ObjectSettings { account_names: names, ..ObjectSettings::default() };
    let options = Options { ledger: Some(&ledger), ..Options::default() };
    let poison: Vec<ItemFailure> =
        ["m-196", "m-197", "m-198"].iter().map(|id| ItemFailure { item_identifier: id.to_string() }).collect();

    let response = handle_sqs(&engine, &mailer, &Facts::default(), &store, &settings, &event, options).await;
    assert_eq!(response.batch_item_failures, poison);
    let sent = moto.sent_messages();
    assert_eq!(sent.len(), expected.len(), "one email per alerting event");
    let text = |m: &serde_json::Value| m.to_string();
    for id in &expected {
        assert_eq!(sent.iter().filter(|m| text(m).contains(id.as_str())).count(), 1, "event {id}");
    }
    // Alerts name their account: by name where known, by id otherwise.
    assert!(sent.iter().any(|m| text(m).contains("in prod")), "{}", sent[0]);
    assert!(sent.iter().any(|m| text(m).contains(ACCOUNTS[1])));

    // The batch delivered again (SQS redelivers what failed; a whole batch may come twice):
    // nothing is mailed twice, and the same three fail.
    let again = handle_sqs(&engine, &mailer, &Facts::default(), &store, &settings, &event, options).await;
    assert_eq!(again.batch_item_failures, poison);
    assert_eq!(moto.sent_messages().len(), expected.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gzip_bomb_object_fails_its_own_message_and_the_others_are_read() {
    let moto = Moto::start();
    let (mailer, s3) = setup(&moto).await;
    let engine = Engine::new(Config::default()).unwrap();
    let pool = stratus_records();
    // 2 GiB of one record's string: 2,048 gzip members of 1 MiB each, about 2 MiB stored.
    let member = gzip(&vec![b'a'; 1 << 20]);
    let mut bomb = gzip(br#"{"Records":[{"eventName":"DeleteTrail","padding":""#);
    for _ in 0..2048 {
        bomb.extend_from_slice(&member);
    }
    bomb.extend(gzip(br#""}]}"#));
    let (bomb_key, _) = log_file(&pool, 0);
    // The first object of the pool whose records alert.
    let (good_key, good) = (1..100)
        .map(|i| log_file(&pool, i))
        .find(|(_, json)| !Replay::new(&engine).scan_object(Path::new("good"), &gzip(json)).details.is_empty())
        .unwrap();
    s3.put_object().bucket(BUCKET).key(&bomb_key).body(bomb.into()).send().await.unwrap();
    s3.put_object().bucket(BUCKET).key(&good_key).body(gzip(&good).into()).send().await.unwrap();
    let event: SqsEvent =
        serde_json::from_value(serde_json::json!({"Records": [message(0, &bomb_key), message(1, &good_key)]})).unwrap();
    let store = S3Objects::new(s3.clone(), 64 << 20);
    // As a 128 MB function is set: 64 MiB inflated whole at most, the rest streamed.
    let settings = ObjectSettings { whole_object_bytes: 64 << 20, ..ObjectSettings::default() };
    let response = handle_sqs(&engine, &mailer, &Facts::default(), &store, &settings, &event, Options::default()).await;
    assert_eq!(response.batch_item_failures, vec![ItemFailure { item_identifier: "m-000".into() }]);
    assert!(!moto.sent_messages().is_empty(), "the good object's alerts are mailed");
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_name_accounts_from_organizations_where_the_function_may_list_them() {
    use trailwarden::lambda::accounts::{AccountDirectory, OrganizationsDirectory};
    let moto = Moto::start();
    let (mailer, s3) = setup(&moto).await;
    let engine = Engine::new(Config::default()).unwrap();
    let org = aws_sdk_organizations::Client::new(&moto.sdk().await);

    // No organisation yet: ListAccounts fails, the directory knows no name, nothing panics.
    let without = OrganizationsDirectory::new(org.clone());
    assert_eq!(without.name(ACCOUNTS[0]).await, None);

    org.create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap();
    let created =
        org.create_account().account_name("payments-prod").email("payments@example.com").send().await.unwrap();
    let id = created.create_account_status().and_then(|s| s.account_id()).unwrap().to_string();
    let directory = OrganizationsDirectory::new(org.clone());
    assert_eq!(directory.name(&id).await.as_deref(), Some("payments-prod"));
    // The listing failed once, so the first directory waits before asking again.
    assert_eq!(without.name(&id).await, None);

    // A log file of that account, and one of an account the configured map names: each alert
    // names its account, the map first.
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/events/cloudtrail-trail-deleted/fires_stratus.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut messages = Vec::new();
    for (i, account) in [id.as_str(), ACCOUNTS[0]].iter().enumerate() {
        let mut r = record.clone();
        r["recipientAccountId"] = (*account).into();
        r["eventID"] = format!("named-{i}").into();
        let key = format!(
            "AWSLogs/o-abc123/{account}/CloudTrail/us-east-1/2026/01/01/{account}_CloudTrail_us-east-1_20260101T0000Z_{i}.json.gz"
        );
        let body = gzip(&serde_json::to_vec(&serde_json::json!({ "Records": [r] })).unwrap());
        s3.put_object().bucket(BUCKET).key(&key).body(body.into()).send().await.unwrap();
        messages.push(message(3, &key));
        messages.last_mut().unwrap()["messageId"] = format!("m-{i}").into();
    }
    let event: SqsEvent = serde_json::from_value(serde_json::json!({ "Records": messages })).unwrap();
    let store = S3Objects::new(s3.clone(), 64 << 20);
    let names = BTreeMap::from([(ACCOUNTS[0].to_string(), "logging".to_string())]);
    let settings = ObjectSettings { account_names: names, ..ObjectSettings::default() };
    let options = Options { accounts: Some(&directory as &dyn AccountDirectory), ..Options::default() };
    let response = handle_sqs(&engine, &mailer, &Facts::default(), &store, &settings, &event, options).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let sent: Vec<String> = moto.sent_messages().iter().map(|m| m.to_string()).collect();
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().any(|m| m.contains("in payments-prod")), "{sent:?}");
    assert!(sent.iter().any(|m| m.contains("in logging")), "{sent:?}");
}

/// An organisation's burst through the bucket path: one object holding one actor's 12 security
/// groups opened to the world is one email at once and one digest at the window's end, flushed
/// by the schedule the handler made (moto's Scheduler), as in the EventBridge stack.
#[tokio::test(flavor = "multi_thread")]
async fn a_burst_in_one_object_is_one_email_and_one_digest() {
    use trailwarden::notify::hold::{DynamoHolds, Schedules, flush_call};
    const T0: i64 = 1_780_272_000;
    let moto = Moto::start();
    let (mailer, s3) = setup(&moto).await;
    let sdk = moto.sdk().await;
    let engine = Engine::new(Config::default()).unwrap();
    let fixture = support::fixture("ec2-sg-ingress-open-to-world/fires_high_port_range.json");
    let records: Vec<serde_json::Value> = (0..12)
        .map(|i| {
            let mut r: serde_json::Value = serde_json::from_str(&fixture).unwrap();
            r["eventID"] = format!("00000000-0000-4000-8000-{i:012}").into();
            r["userIdentity"] = serde_json::json!({"type": "IAMUser", "accountId": ACCOUNTS[0],
                "arn": format!("arn:aws:iam::{}:user/terraform", ACCOUNTS[0]), "userName": "terraform"});
            r["recipientAccountId"] = ACCOUNTS[0].into();
            r
        })
        .collect();
    let key = format!(
        "AWSLogs/o-abc123/{0}/CloudTrail/eu-west-1/2026/06/01/{0}_CloudTrail_eu-west-1_20260601T0000Z_burst.json.gz",
        ACCOUNTS[0]
    );
    let body = gzip(&serde_json::to_vec(&serde_json::json!({ "Records": records })).unwrap());
    s3.put_object().bucket(BUCKET).key(&key).body(body.into()).send().await.unwrap();
    let event: SqsEvent = serde_json::from_value(serde_json::json!({"Records": [message(0, &key)]})).unwrap();

    let dynamo = moto.ledger_table("trailwarden-sent").await;
    let ledger = DynamoLedger::new(dynamo.clone(), "trailwarden-sent");
    let schedules =
        Schedules::new(aws_sdk_scheduler::Client::new(&sdk), "default", "arn:aws:iam::123456789012:role/flush");
    schedules.set_target("arn:aws:lambda:us-east-1:123456789012:function:trailwarden-org");
    let holds = DynamoHolds::new(dynamo, "trailwarden-sent", schedules);
    let store = S3Objects::new(s3.clone(), 64 << 20);
    let settings = ObjectSettings::default();
    let options = Options { ledger: Some(&ledger), holds: Some(&holds), now: Some(T0), ..Options::default() };
    let response = handle_sqs(&engine, &mailer, &Facts::default(), &store, &settings, &event, options).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(moto.sent_messages().len(), 1, "the burst's first alert only");

    let scheduler = aws_sdk_scheduler::Client::new(&sdk);
    let listed = scheduler.list_schedules().send().await.unwrap();
    assert_eq!(listed.schedules().len(), 1, "one flush for the group");
    let name = listed.schedules()[0].name().unwrap();
    let got = scheduler.get_schedule().name(name).group_name("default").send().await.unwrap();
    let id = flush_call(got.target().unwrap().input().unwrap()).unwrap();
    let options = Options { ledger: Some(&ledger), holds: Some(&holds), now: Some(T0 + 300), ..Options::default() };
    let flushed = trailwarden::lambda::flush(&mailer, "organisation", &id, options).await.unwrap();
    assert_eq!(flushed.alerts, 11, "{flushed:?}");
    let sent = moto.sent_messages();
    assert_eq!(sent.len(), 2);
    assert!(
        sent[1].to_string().contains("Digest: 11 more alert(s) by arn:aws:iam::111122223333:user/terraform"),
        "{}",
        sent[1]
    );
}
