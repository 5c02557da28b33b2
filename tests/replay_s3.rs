//! `replay s3://bucket/prefix`: a trail bucket in moto's S3 (300 log files of two accounts, two
//! regions and fifteen days, in an organisation trail's layout, with digests and another
//! service's files beside them), listed folder by folder with the time window, accounts and
//! regions pruning whole folders, and replayed with the same alerts as a local copy.
#![cfg(feature = "aws")]

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Moto, gzip, stratus_records};
use trailwarden::objects::s3::{S3Objects, Walk, list, parse_url, scan_until};
use trailwarden::replay::{Progress, Replay, TimeWindow};
use trailwarden::{Config, Engine};

const BUCKET: &str = "org-trail";
const ACCOUNTS: [&str; 2] = ["111122223333", "444455556666"];
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

/// The bucket's objects: (key, gzip bytes), log files and the rest.
fn trail(pool: &[serde_json::Value]) -> Vec<(String, Vec<u8>)> {
    let mut objects = Vec::new();
    let mut n = 0;
    for account in ACCOUNTS {
        for region in REGIONS {
            for day in 1..=15 {
                for file in 0..5 {
                    let records: Vec<serde_json::Value> = (0..3)
                        .map(|j| {
                            let mut r = pool[(n * 3 + j) % pool.len()].clone();
                            let id = r["eventID"].as_str().unwrap_or("none").to_string();
                            r["eventID"] = format!("{id}-{n:04}").into();
                            r["eventTime"] = format!("2026-01-{day:02}T{:02}:{:02}:00Z", file * 4, j * 10).into();
                            r["recipientAccountId"] = account.into();
                            r["awsRegion"] = region.into();
                            r
                        })
                        .collect();
                    let key = format!(
                        "AWSLogs/o-abc123/{account}/CloudTrail/{region}/2026/01/{day:02}/{account}_CloudTrail_{region}_202601{day:02}T{:02}00Z_{n:04}.json.gz",
                        file * 4
                    );
                    objects.push((key, gzip(&serde_json::to_vec(&serde_json::json!({ "Records": records })).unwrap())));
                    n += 1;
                }
            }
            let digest = format!(
                "AWSLogs/o-abc123/{account}/CloudTrail-Digest/{region}/2026/01/01/{account}_CloudTrail-Digest_{region}_x.json.gz"
            );
            objects.push((digest, gzip(b"{}")));
        }
        objects.push((
            format!("AWSLogs/o-abc123/{account}/Config/us-east-1/2026/1/1/ConfigSnapshot/x.json.gz"),
            gzip(b"{}"),
        ));
    }
    objects
}

fn ids(reports: &[trailwarden::replay::FileReport]) -> Vec<(String, String)> {
    let mut ids: Vec<(String, String)> =
        reports.iter().flat_map(|r| &r.details).map(|d| (d.rule_id.to_string(), d.event_id.clone())).collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_replays_as_its_local_copy_listing_only_what_the_filters_leave() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let objects = trail(&stratus_records());
    let local = tempfile::tempdir().unwrap();
    for (key, bytes) in &objects {
        s3.put_object().bucket(BUCKET).key(key).body(bytes.clone().into()).send().await.unwrap();
        let path = local.path().join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let (bucket, prefix) = parse_url("s3://org-trail/AWSLogs/").unwrap();

    // Everything: the 300 log files; digests and the Config folder are never listed into.
    let all = list(&s3, &bucket, &prefix, &Walk::default()).await.unwrap();
    assert_eq!(all.objects.len(), 300);
    assert!(all.skipped.is_empty(), "{:?}", all.skipped);

    // Two days of one account in one region: the other account, region, the far days and the
    // digests are pruned as folders, never listed.
    let window = TimeWindow::parse(Some("2026-01-07"), Some("2026-01-08")).unwrap();
    let walk = Walk { window, accounts: vec![ACCOUNTS[1].into()], regions: vec!["eu-west-1".into()] };
    let some = list(&s3, &bucket, &prefix, &walk).await.unwrap();
    let expected: BTreeSet<&str> = objects
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| k.contains(ACCOUNTS[1]) && k.contains("/CloudTrail/eu-west-1/"))
        .filter(|k| window.may_hold(Path::new(k)))
        .collect();
    let got: BTreeSet<&str> = some.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(got, expected);
    assert!(expected.len() >= 10 && expected.len() < 75, "{}", expected.len());
    assert!(some.requests * 3 < all.requests, "{} requests pruned, {} not", some.requests, all.requests);
    assert!(some.pruned > 10, "{}", some.pruned);

    // Replayed from S3 and from the local copy: the same alerts.
    let engine = Engine::new(Config::default()).unwrap();
    let scan = Replay { window, ..Replay::new(&engine) };
    let store = S3Objects::new(s3.clone(), 64 << 20);
    // On a thread of its own, as the replay command runs it: outside any async runtime.
    let from_s3 = std::thread::scope(|t| {
        t.spawn(|| {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            let mut reports = Vec::new();
            scan_until(&scan, &runtime, &store, &some.objects, &Progress::default(), |r| {
                reports.push(r);
                std::ops::ControlFlow::Continue(())
            });
            reports
        })
        .join()
        .unwrap()
    });
    let files: Vec<PathBuf> = some.objects.iter().map(|o| local.path().join(&o.key)).collect();
    let mut from_disk = Vec::new();
    scan.scan_files(&files, &Progress::default(), |r| from_disk.push(r));
    assert!(!ids(&from_disk).is_empty());
    assert_eq!(ids(&from_s3), ids(&from_disk));
    assert!(from_s3.iter().all(|r| r.errors.is_empty()));
    assert!(from_s3[0].path.to_str().unwrap().starts_with("s3://org-trail/AWSLogs/o-abc123/444455556666/"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_replay_command_reads_s3_urls() {
    let moto = Moto::start();
    let sdk = moto.sdk().await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let local = tempfile::tempdir().unwrap();
    for (key, bytes) in trail(&stratus_records()) {
        let path = local.path().join(&key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &bytes).unwrap();
        s3.put_object().bucket(BUCKET).key(key).body(bytes.into()).send().await.unwrap();
    }
    let exe = std::env::current_exe().unwrap();
    let replay = exe.parent().unwrap().parent().unwrap().join("examples").join("replay");
    let args = [
        "--format",
        "jsonl",
        "--progress",
        "never",
        "--since",
        "2026-01-03",
        "--until",
        "2026-01-05",
        "--account",
        ACCOUNTS[0],
    ];
    let run = |path: &str| {
        Command::new(&replay)
            .args(args)
            .arg(path)
            .env("AWS_ENDPOINT_URL", &moto.url)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let from_s3 = run("s3://org-trail/AWSLogs/");
    let from_disk = run(local.path().join("AWSLogs").to_str().unwrap());
    let (out_s3, err_s3) = (String::from_utf8_lossy(&from_s3.stdout), String::from_utf8_lossy(&from_s3.stderr));
    assert!(from_s3.status.success(), "{err_s3}");
    assert!(err_s3.contains("listed: s3://org-trail/AWSLogs/:"), "{err_s3}");
    let sorted = |s: &str| {
        let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert!(!out_s3.is_empty());
    assert_eq!(sorted(&out_s3), sorted(&String::from_utf8_lossy(&from_disk.stdout)));
    assert!(out_s3.lines().all(|l| l.contains(ACCOUNTS[0])), "another account's alert");
}
