//! The Lambda's per-event cost: evaluating and rendering one alerting event (and a finding with its
//! response plan), and turning away an
//! event no rule wants; and (with the `aws` feature) the function binary's cold start to its first
//! poll of the Runtime API, network excluded.

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use trailwarden::cloudtrail::input::parse_single;
use trailwarden::notify::render::render;
use trailwarden::{Config, Engine, Event, Severity};

const ALERT: &str = include_str!("../testdata/events/ec2-sg-ingress-open-to-world/fires_all_protocols.json");
/// A GuardDuty finding event that alerts (EC2 backdoor, high).
const FINDING: &str = include_str!("../testdata/events/guardduty-ec2-backdoor/fires_cc_activity_dns.json");
/// A finding no rule wants: low severity, below `findings_min_severity`.
const LOW_FINDING: &str = include_str!("../testdata/events/finding-unclassified/quiet_recon_port_probe_low.json");

const UNWANTED: &str = r#"{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","detail":{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","userName":"alice"},"eventTime":"2026-03-14T09:26:53Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.23","userAgent":"aws-cli/2.15.0","requestParameters":{"instancesSet":{},"filterSet":{}},"responseElements":null,"eventID":"e3b0c442-98fc-41c4-9a1b-00000000ffff","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}}"#;

fn main() {
    let engine = Engine::new(Config::default()).unwrap();
    let mut c = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    c.bench_function("alert/evaluate_and_render_one_alerting_event", |b| {
        b.iter(|| {
            let ev = Event::from_json(black_box(ALERT)).unwrap();
            let details = engine.evaluate(&ev).details;
            render(&details, "prod").unwrap()
        });
    });
    c.bench_function("alert/turn_away_an_unwanted_event", |b| {
        b.iter(|| {
            let raw = parse_single(black_box(UNWANTED)).unwrap();
            engine.wants(&raw.event_name().unwrap())
        });
    });
    c.bench_function("alert/findings/evaluate_and_render_one_alerting_finding", |b| {
        b.iter(|| {
            let mut details = Vec::new();
            for finding in trailwarden::findings::read::document(black_box(FINDING)).into_iter().flatten() {
                details.extend(engine.evaluate_finding(&finding).evaluation.details);
            }
            assert!(!details.is_empty());
            render(&details, "prod").unwrap()
        });
    });
    c.bench_function("alert/findings/turn_away_a_finding_no_rule_wants", |b| {
        b.iter(|| {
            let below = trailwarden::findings::read::surely_below(black_box(LOW_FINDING), Severity::Medium);
            assert!(below);
        });
    });
    // The same finding read and triaged in full: the path of a Security Hub event, which
    // `surely_below` does not judge.
    c.bench_function("alert/findings/read_and_triage_a_low_finding_in_full", |b| {
        b.iter(|| {
            let reads = trailwarden::findings::read::document(black_box(LOW_FINDING));
            reads.into_iter().flatten().all(|f| engine.evaluate_finding(&f).quiet.is_some())
        });
    });
    // The response plan beside the evaluation it follows (same finding, same run): planning adds
    // a rule lookup and id checks per alert, and renders the email with its plan.
    let settings = trailwarden::respond::settings::Settings::default();
    c.bench_function("alert/findings/evaluate_plan_and_render_one_alerting_finding", |b| {
        b.iter(|| {
            let mut details = Vec::new();
            for finding in trailwarden::findings::read::document(black_box(FINDING)).into_iter().flatten() {
                details.extend(engine.evaluate_finding(&finding).evaluation.details);
            }
            trailwarden::replay::attach_plans(&mut details, &settings);
            assert_eq!(details[0].response.len(), 7);
            render(&details, "prod").unwrap()
        });
    });
    // Delivery, beside evaluate_and_render_one_alerting_event above (the baseline, same run): a
    // storm of 40 alerts grouped as replay and the Lambda group them, the digest's email for the
    // 39 held, and one alert as Slack, Teams and Amazon Q JSON.
    let one = engine.evaluate(&Event::from_json(ALERT).unwrap()).details;
    let storm: Vec<trailwarden::EventDetail> = (0..40)
        .map(|i| {
            let mut d = one[0].clone();
            d.event_id = format!("e3b0c442-98fc-41c4-9a1b-{i:012}");
            d.event_time = format!("2026-03-14T09:{:02}:{:02}Z", 26 + i * 7 / 60, i * 7 % 60);
            d.resource.id = format!("sg-{i:017}");
            // The event opens SSH to the world (Critical, never held): as a High alert it groups.
            d.severity = trailwarden::Severity::High;
            d
        })
        .collect();
    c.bench_function("alert/delivery/group_a_storm_of_40", |b| {
        b.iter(|| trailwarden::notify::storm::plan(black_box(&storm), 300));
    });
    let messages = trailwarden::notify::storm::plan(&storm, 300);
    let Some(trailwarden::notify::storm::Message::Digest(digest, held)) = messages.last() else {
        panic!("a storm of 40 is one alert and one digest: {messages:?}")
    };
    let held: Vec<_> = held.iter().map(|&i| storm[i].clone()).collect();
    c.bench_function("alert/delivery/render_the_digest_of_39", |b| {
        b.iter(|| trailwarden::notify::render::render_digest(black_box(&held), "prod", digest).unwrap());
    });
    c.bench_function("alert/delivery/slack_teams_and_amazon_q_json_for_one_alert", |b| {
        b.iter(|| {
            let batch = trailwarden::notify::Batch::new(black_box(&one), "prod");
            let chat = trailwarden::notify::chat::slack(&batch).to_string();
            let card = trailwarden::notify::chat::teams(&batch).to_string();
            (chat, card, trailwarden::notify::chat::amazon_q(&batch).to_string())
        });
    });
    #[cfg(feature = "aws")]
    cold_start::bench(&mut c);
    c.final_summary();
}

#[cfg(feature = "aws")]
mod cold_start {
    use std::io::Read;
    use std::net::TcpListener;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    /// Time from spawning the binary to its first request to a stand-in Runtime API.
    fn once(bin: &str) -> Duration {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let start = Instant::now();
        let mut child = Command::new(bin)
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
            .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("EMAILIDS", "secops@example.com")
            .env("SECRETNAME", "bench")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (mut conn, _) = listener.accept().unwrap();
        let elapsed = start.elapsed();
        let mut first = [0u8; 64];
        let n = conn.read(&mut first).unwrap_or(0);
        assert!(
            first[..n].starts_with(b"GET /2018-06-01/runtime/invocation/next"),
            "{:?}",
            String::from_utf8_lossy(&first[..n])
        );
        let _ = child.kill();
        let _ = child.wait();
        elapsed
    }

    pub fn bench(c: &mut criterion::Criterion) {
        let bin = env!("CARGO_BIN_EXE_trailwarden-lambda");
        let mut g = c.benchmark_group("lambda");
        g.sample_size(20);
        g.bench_function("cold_start_to_first_poll", |b| b.iter_custom(|iters| (0..iters).map(|_| once(bin)).sum()));
        g.finish();
    }
}
