//! Storms grouped, against moto with controlled time: the Lambda's handler with the dedupe table
//! (DynamoDB) holding the groups and EventBridge Scheduler holding their flushes, SES sending.
//! The test plays Scheduler: it reads the schedule moto stored (its time and its input) and
//! calls the flush with that input at that time.
#![cfg(feature = "aws")]

mod support;

use support::{Moto, fixture};
use trailwarden::EventDetail;
use trailwarden::dedupe::dynamodb::DynamoLedger;
use trailwarden::facts::Facts;
use trailwarden::lambda::{Options, flush, handle_with};
use trailwarden::notify::BoxFuture;
use trailwarden::notify::hold::{DynamoHolds, Schedules, flush_call};
use trailwarden::notify::route::Routing;
use trailwarden::notify::ses::SesMailer;
use trailwarden::notify::storm::{Digest, HoldError, Holds, Joined, Sealed};
use trailwarden::{Config, Engine};

/// The controlled clock: 2026-06-01T00:00:00Z.
const T0: i64 = 1_780_272_000;
const TABLE: &str = "trailwarden-sent";
const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:trailwarden";

fn with_actor(path: &str, id: &str, user: &str) -> String {
    let mut event: serde_json::Value = serde_json::from_str(&fixture(path)).unwrap();
    event["eventID"] = id.into();
    event["userIdentity"]["type"] = "IAMUser".into();
    event["userIdentity"]["arn"] = format!("arn:aws:iam::111122223333:user/{user}").into();
    event["userIdentity"]["userName"] = user.into();
    event["userIdentity"]["accountId"] = "111122223333".into();
    event["recipientAccountId"] = "111122223333".into();
    serde_json::to_string(&event).unwrap()
}

/// A High alert (a security group opened to the world on high ports) by `user`.
fn opened(i: usize, user: &str) -> String {
    with_actor(
        "ec2-sg-ingress-open-to-world/fires_high_port_range.json",
        &format!("00000000-0000-4000-8000-{i:012}"),
        user,
    )
}

/// A Critical alert (CloudTrail logging stopped) by `user`.
fn silenced(i: usize, user: &str) -> String {
    with_actor("cloudtrail-logging-stopped/fires_stratus.json", &format!("00000000-0000-4000-9000-{i:012}"), user)
}

struct Stack {
    moto: Moto,
    engine: Engine,
    mailer: SesMailer,
    sdk: aws_config::SdkConfig,
}

impl Stack {
    async fn new() -> Stack {
        let moto = Moto::start();
        let (sdk, mailer) = moto.role_mailer().await;
        moto.ledger_table(TABLE).await;
        Stack { moto, engine: Engine::new(Config::default()).unwrap(), mailer, sdk }
    }

    /// A fresh ledger and group store over the same table, as a new container has.
    fn state(&self) -> (DynamoLedger, DynamoHolds) {
        let dynamo = aws_sdk_dynamodb::Client::new(&self.sdk);
        let schedules = Schedules::new(
            aws_sdk_scheduler::Client::new(&self.sdk),
            "default",
            "arn:aws:iam::123456789012:role/flush",
        );
        schedules.set_target(FUNCTION);
        (DynamoLedger::new(dynamo.clone(), TABLE), DynamoHolds::new(dynamo, TABLE, schedules))
    }

    async fn deliver(&self, payload: &str, now: i64) -> trailwarden::lambda::Summary {
        let (ledger, holds) = self.state();
        let options = Options { ledger: Some(&ledger), holds: Some(&holds), now: Some(now), ..Options::default() };
        handle_with(&self.engine, &self.mailer, &Facts::default(), "prod", payload, options).await.unwrap()
    }

    /// Every schedule moto holds: (name, `at(...)` expression, target input, target ARN).
    async fn schedules(&self) -> Vec<(String, String, String, String)> {
        let client = aws_sdk_scheduler::Client::new(&self.sdk);
        let list = client.list_schedules().send().await.unwrap();
        let mut out = Vec::new();
        for s in list.schedules() {
            let name = s.name().unwrap().to_string();
            let got = client.get_schedule().name(&name).group_name("default").send().await.unwrap();
            let target = got.target().unwrap();
            out.push((
                name,
                got.schedule_expression().unwrap().to_string(),
                target.input().unwrap_or_default().to_string(),
                target.arn().to_string(),
            ));
        }
        out.sort();
        out
    }

    /// Runs each stored schedule as Scheduler would at its time: the flush with its input.
    async fn fire_schedules(&self) -> Vec<trailwarden::lambda::FlushSummary> {
        let mut done = Vec::new();
        for (_, at, input, _) in self.schedules().await {
            let when: jiff::civil::DateTime = at.trim_start_matches("at(").trim_end_matches(')').parse().unwrap();
            let now = when.to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp().as_second();
            done.push(self.flush(&flush_call(&input).unwrap(), now).await);
        }
        done
    }

    async fn flush(&self, id: &str, now: i64) -> trailwarden::lambda::FlushSummary {
        let (ledger, holds) = self.state();
        let options = Options { ledger: Some(&ledger), holds: Some(&holds), now: Some(now), ..Options::default() };
        flush(&self.mailer, "prod", id, options).await.unwrap()
    }

    fn subjects(&self) -> Vec<String> {
        self.moto.sent_messages().iter().map(|m| m["subject"].as_str().unwrap_or_default().to_string()).collect()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_forty_alerts_gives_one_email_at_once_and_one_digest() {
    let stack = Stack::new().await;
    for i in 0..40 {
        let summary = stack.deliver(&opened(i, "terraform"), T0 + 5 * i as i64).await;
        match i {
            0 => assert!(summary.message_id.is_some() && summary.held.is_empty(), "{summary:?}"),
            _ => assert!(summary.message_id.is_none() && summary.held.len() == 1, "{i}: {summary:?}"),
        }
    }
    assert_eq!(stack.moto.sent_messages().len(), 1, "only the first alert went out during the burst");
    // One flush, at the window's end, invoking the function with the group's id.
    let schedules = stack.schedules().await;
    assert_eq!(schedules.len(), 1, "{schedules:?}");
    let (name, at, input, target) = &schedules[0];
    assert!(name.starts_with("tw-storm-"), "{name}");
    assert_eq!(at, "at(2026-06-01T00:05:00)");
    assert_eq!(target, FUNCTION);
    let flushed = stack.fire_schedules().await;
    assert_eq!(flushed[0].alerts, 39, "{flushed:?} {input}");
    let subjects = stack.subjects();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(
        subjects[1].contains("Digest: 39 more alert(s) by arn:aws:iam::111122223333:user/terraform"),
        "{subjects:?}"
    );
    let digest = &stack.moto.sent_messages()[1];
    let body = digest["body"].as_str().unwrap_or_default();
    let listed = body.matches("security-group sg-0a1b2c3d4e5f60718<br><a href=").count();
    assert_eq!(listed, 39, "every held alert is listed with its resource");
    // After the window, the same actor opens a new group: its first alert goes at once.
    let after = stack.deliver(&opened(99, "terraform"), T0 + 301).await;
    assert!(after.message_id.is_some(), "{after:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_actors_give_two_groups() {
    let stack = Stack::new().await;
    for i in 0..10 {
        let user = if i % 2 == 0 { "alice" } else { "bob" };
        stack.deliver(&opened(i, user), T0 + i as i64).await;
    }
    assert_eq!(stack.moto.sent_messages().len(), 2, "each actor's first alert at once");
    assert_eq!(stack.schedules().await.len(), 2);
    let flushed = stack.fire_schedules().await;
    assert_eq!(flushed.iter().map(|f| f.alerts).collect::<Vec<_>>(), [4, 4]);
    let subjects = stack.subjects();
    assert_eq!(subjects.len(), 4, "{subjects:?}");
    assert!(subjects.iter().any(|s| s.contains("user/alice")) && subjects.iter().any(|s| s.contains("user/bob")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_critical_alert_inside_a_burst_goes_out_at_once() {
    let stack = Stack::new().await;
    stack.deliver(&opened(0, "mallory"), T0).await;
    stack.deliver(&opened(1, "mallory"), T0 + 10).await;
    let critical = stack.deliver(&silenced(2, "mallory"), T0 + 20).await;
    assert!(critical.message_id.is_some() && critical.held.is_empty(), "{critical:?}");
    stack.deliver(&opened(3, "mallory"), T0 + 30).await;
    let subjects = stack.subjects();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(subjects[1].starts_with("[CRITICAL]"), "{subjects:?}");
    let flushed = stack.fire_schedules().await;
    assert_eq!(flushed[0].alerts, 2);
    assert_eq!(stack.moto.sent_messages().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_between_the_two_sends_still_sends_the_digest_once() {
    let stack = Stack::new().await;
    for i in 0..5 {
        stack.deliver(&opened(i, "ci-deployer"), T0 + i as i64).await;
    }
    // The function's container dies after the first email: nothing in memory survives (every
    // delivery above already used a fresh ledger and store). A flush that dies after sealing
    // the group, before sending: the next try still sends.
    let schedules = stack.schedules().await;
    let id = flush_call(&schedules[0].2).unwrap();
    let (_, holds) = stack.state();
    let sealed = holds.seal(&id).await.unwrap().unwrap();
    assert_eq!(sealed.alerts.len(), 4);
    assert_eq!(stack.moto.sent_messages().len(), 1);
    // Scheduler delivers at least once: two flushes, one digest.
    let first = stack.flush(&id, T0 + 300).await;
    let second = stack.flush(&id, T0 + 301).await;
    assert_eq!(first.alerts, 4, "{first:?}");
    assert_eq!(second.alerts, 0, "the group is gone after its digest: {second:?}");
    assert_eq!(stack.moto.sent_messages().len(), 2);
    // A flush that sends the digest and dies before forgetting the group: the next try finds the
    // group still there, and the ledger keeps it from sending the digest again.
    for i in 10..13 {
        stack.deliver(&opened(i, "ci-deployer"), T0 + 1000 + i as i64).await;
    }
    let id = stack.schedules().await.into_iter().map(|s| flush_call(&s.2).unwrap()).find(|g| *g != id).unwrap();
    let (ledger, holds) = stack.state();
    let dying = DiesBeforeForgetting(holds);
    let options = Options { ledger: Some(&ledger), holds: Some(&dying), now: Some(T0 + 1400), ..Options::default() };
    let crashed = flush(&stack.mailer, "prod", &id, options).await;
    assert!(crashed.is_err());
    assert_eq!(stack.moto.sent_messages().len(), 4, "the second burst's first email and its digest");
    let retried = stack.flush(&id, T0 + 1460).await;
    assert_eq!(retried.channels, ["email: already sent"], "{retried:?}");
    assert_eq!(stack.moto.sent_messages().len(), 4);
    assert_eq!(stack.flush(&id, T0 + 1500).await.alerts, 0, "forgotten after the retry");
}

/// A group store whose process dies in `forget`, after the digest went out.
struct DiesBeforeForgetting(DynamoHolds);

impl Holds for DiesBeforeForgetting {
    fn join<'a>(&'a self, a: &'a EventDetail, now: i64, w: i64) -> BoxFuture<'a, Result<Joined, HoldError>> {
        self.0.join(a, now, w)
    }
    fn hold<'a>(
        &'a self,
        d: &'a Digest,
        k: &'a str,
        a: &'a EventDetail,
        c: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<bool, HoldError>> {
        self.0.hold(d, k, a, c, now)
    }
    fn seal<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Sealed>, HoldError>> {
        self.0.seal(id)
    }
    fn forget<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), HoldError>> {
        Box::pin(async move { Err(HoldError { call: "UpdateItem", key: id.to_string(), message: "crashed".into() }) })
    }
    fn again<'a>(&'a self, id: &'a str, at: i64) -> BoxFuture<'a, Result<(), HoldError>> {
        self.0.again(id, at)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retried_event_is_held_once() {
    let stack = Stack::new().await;
    stack.deliver(&opened(0, "eve"), T0).await;
    let payload = opened(1, "eve");
    let held = stack.deliver(&payload, T0 + 1).await;
    assert_eq!(held.held.len(), 1);
    // EventBridge delivers it again: already held (the ledger), not held twice.
    let again = stack.deliver(&payload, T0 + 2).await;
    assert!(again.held.is_empty() && again.repeats.len() == 1, "{again:?}");
    let flushed = stack.fire_schedules().await;
    assert_eq!(flushed[0].alerts, 1);
}

/// The group id the schedule of the first held alert calls.
async fn scheduled_id(stack: &Stack) -> String {
    let schedules = stack.schedules().await;
    flush_call(&schedules.first().expect("a flush is scheduled").2).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_digest_whose_channel_fails_is_flushed_again_later_and_sent_once() {
    let stack = Stack::new().await;
    for i in 0..3 {
        stack.deliver(&opened(i, "terraform"), T0 + 5 * i as i64).await;
    }
    let id = scheduled_id(&stack).await;
    // The sender's secret is gone at the window's end: the digest fails, and the flush is called
    // again in ten minutes by a schedule of its own, rather than failing into the dead-letter queue.
    let secrets = aws_sdk_secretsmanager::Client::new(&stack.sdk);
    let broken = SesMailer::new(&stack.sdk, secrets, "trailwarden/gone", vec!["secops@example.com".into()]);
    let (ledger, holds) = stack.state();
    let options = Options { ledger: Some(&ledger), holds: Some(&holds), now: Some(T0 + 300), ..Options::default() };
    let failed = flush(&broken, "prod", &id, options).await.unwrap();
    assert_eq!(failed.again, Some(T0 + 300 + trailwarden::lambda::FLUSH_RETRY_SECS), "{failed:?}");
    assert!(failed.channels[0].starts_with("email: failed: ") && failed.channels[0].contains("trailwarden/gone"));
    let names: Vec<String> = stack.schedules().await.into_iter().map(|s| s.0).collect();
    assert_eq!(names, [format!("tw-{id}"), format!("tw-{id}-{}", T0 + 900)]);
    assert_eq!(stack.moto.sent_messages().len(), 1, "only the burst's first alert");
    // The retry sends the digest; later calls find the group done.
    let sent = stack.flush(&id, T0 + 900).await;
    assert_eq!((sent.alerts, sent.again), (2, None), "{sent:?}");
    assert_eq!(stack.moto.sent_messages().len(), 2);
    assert_eq!(stack.flush(&id, T0 + 901).await.alerts, 0);
    assert_eq!(stack.moto.sent_messages().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flush_that_finds_another_holding_the_claim_looks_again_after_its_lease() {
    let stack = Stack::new().await;
    stack.deliver(&opened(0, "terraform"), T0).await;
    stack.deliver(&opened(1, "terraform"), T0 + 5).await;
    let id = scheduled_id(&stack).await;
    // A flush that died mid-send: its claim stands, unconfirmed.
    let (ledger, _) = stack.state();
    use trailwarden::dedupe::{Claim, Ledger};
    let claim = ledger.claim(&format!("digest#{id}@email"), trailwarden::Severity::High, T0 + 300).await.unwrap();
    assert!(matches!(claim, Claim::Fresh(_)));
    let busy = stack.flush(&id, T0 + 360).await;
    assert_eq!(busy.channels, ["email: being sent by another flush"]);
    let again = busy.again.expect("looked at again after the dead flush's lease");
    assert!(again > T0 + 360, "{again}");
    assert_eq!(stack.moto.sent_messages().len(), 1, "nothing sent, nothing forgotten");
    let later = stack.flush(&id, again).await;
    assert_eq!((later.alerts, later.again), (1, None), "{later:?}");
    assert_eq!(stack.moto.sent_messages().len(), 2, "the digest, once");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alert_that_comes_after_its_groups_flush_goes_at_once() {
    let stack = Stack::new().await;
    stack.deliver(&opened(0, "terraform"), T0).await;
    stack.deliver(&opened(1, "terraform"), T0 + 5).await;
    let id = scheduled_id(&stack).await;
    assert_eq!(stack.flush(&id, T0 + 300).await.alerts, 1);
    // A delivery that read its clock inside the window but reached the group after the flush.
    let late = stack.deliver(&opened(2, "terraform"), T0 + 299).await;
    assert!(late.held.is_empty() && late.message_id.is_some(), "{late:?}");
    assert_eq!(stack.moto.sent_messages().len(), 3);
    assert_eq!(stack.flush(&id, T0 + 400).await.alerts, 0, "the group stays done");

    // A flush that ran before its group held anything leaves a mark: a later hold sends at once.
    let first = stack.deliver(&opened(10, "zed"), T0).await;
    assert!(first.message_id.is_some());
    let alert = stack.engine.evaluate(&trailwarden::Event::from_json(&opened(10, "zed")).unwrap()).details;
    let digest = Digest::storm(&alert[0], T0, trailwarden::notify::storm::DEFAULT_WINDOW_SECS);
    assert_eq!(stack.flush(&digest.id, T0 + 300).await.alerts, 0);
    let late = stack.deliver(&opened(11, "zed"), T0 + 100).await;
    assert!(late.held.is_empty() && late.message_id.is_some(), "{late:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_critical_alert_on_a_daily_route_goes_at_once_and_an_unrouted_one_is_said() {
    let mut stack = Stack::new().await;
    let routes = |text: &str| Config { routes: Routing::parse(text).unwrap(), ..Config::default() };
    stack.engine = Engine::new(routes("critical=email@daily;high=email@daily")).unwrap();
    let critical = stack.deliver(&silenced(0, "eve"), T0).await;
    assert!(critical.held.is_empty() && critical.message_id.is_some(), "{critical:?}");
    let high = stack.deliver(&opened(0, "eve"), T0 + 10).await;
    assert_eq!(high.held.len(), 1, "{high:?}");
    assert!(high.held[0].contains("daily-email-"), "{high:?}");
    // Nothing routes Medium or Low: the alert is named in the summary (and logged), not lost silently.
    stack.engine = Engine::new(routes("critical=email")).unwrap();
    let unrouted = stack.deliver(&opened(1, "eve"), T0 + 20).await;
    assert_eq!(unrouted.unrouted, ["ec2-sg-ingress-open-to-world"], "{unrouted:?}");
    assert!(unrouted.message_id.is_none());
}

#[test]
fn replay_groups_an_events_alerts_as_the_lambda_does() {
    use trailwarden::notify::storm::{Message, plan};
    let engine = Engine::new(Config::default()).unwrap();
    let alert = |i: usize| engine.evaluate(&trailwarden::Event::from_json(&opened(i, "eve")).unwrap()).details;
    let first = alert(0)[0].clone();
    let mut sibling = first.clone();
    sibling.rule_id = "sibling-rule".into();
    let mut next = alert(1)[0].clone();
    next.event_time = first.event_time.clone();
    let messages = plan(&[first, sibling, next.clone(), next], 300);
    assert!(
        matches!(messages[..], [Message::Now(0), Message::Now(1), Message::Digest(_, ref held)] if held == &[2, 3]),
        "{messages:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_lists_its_first_hundred_and_counts_the_rest() {
    let stack = Stack::new().await;
    let over = trailwarden::notify::storm::MAX_HELD + 2;
    for i in 0..=over {
        stack.deliver(&opened(i, "terraform"), T0 + i as i64).await;
    }
    let id = scheduled_id(&stack).await;
    let digest = stack.flush(&id, T0 + 300).await;
    assert_eq!(digest.alerts, trailwarden::notify::storm::MAX_HELD, "{digest:?}");
    let sent = stack.moto.sent_messages();
    assert_eq!(sent.len(), 2);
    let body = sent[1].to_string();
    assert!(body.contains("And 2 more, past the 100 a digest lists"), "{body}");
    assert!(body.contains("2 ec2-sg-ingress-open-to-world"), "{body}");
}
