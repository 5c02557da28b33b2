//! Storm groups and daily digests in the stack's DynamoDB table (the dedupe ledger's), flushed by
//! an EventBridge Scheduler one-time schedule at the end of each group's window.
//!
//! Why Scheduler and not an SQS delay message: an SQS delay is at most 15 minutes, and a daily
//! digest waits up to a day (a delayed message would have to be re-sent every 15 minutes until
//! its time); a schedule fires once, at the group's end, whatever the window. Its name is the
//! group's id, so creating it again is a no-op (`ConflictException`): every hold can make sure
//! the flush exists without reading first. It deletes itself after it ran. Scheduler retries
//! *starting* the function (185 times, for a day); a flush whose channel fails schedules itself
//! again (`tw-<id>-<at>`, see `lambda::flush`), and the flush is idempotent through the ledger.
//!
//! Items (key `pk`, TTL `expires`):
//! - `storm#<hash of account#actor>`: the open window, `{digest (JSON), end (N)}`. Opening a
//!   window is one conditional write (`attribute_not_exists(pk) OR end <= now`), so of two
//!   concurrent alerts one is the first.
//! - `group#<id>`: the held alerts, `{digest, n, bytes, sealed?, done?, a_<hash of alert key>
//!   (the alert's JSON), c_<same hash> (string set: the channels it is held for),
//!   m#<rule id>#<channel> (N: alerts past the cap)}`. A new alert is one conditional update
//!   (`attribute_not_exists(sealed)`, room by count and bytes); an alert held already only adds
//!   its channel, so `n` counts alerts, not deliveries. The flush seals the group in one update
//!   that returns what it holds (and seals an absent group too, so a hold that comes after its
//!   flush sends at once); a finished flush marks it `done` rather than deleting it, for the
//!   same reason.

use std::collections::HashMap;
use std::sync::OnceLock;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};

use super::BoxFuture;
use super::storm::{Digest, HoldError, Holds, Joined, MAX_GROUP_BYTES, MAX_HELD, MAX_HELD_BYTES, Sealed, short_hash};
use crate::detail::EventDetail;

/// The flush's payload, as the schedule delivers it to the function: `{"trailwarden_digest": id}`.
pub const FLUSH_KEY: &str = "trailwarden_digest";

/// The group id a payload asks to flush, when it is a flush.
pub fn flush_call(payload: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Flush {
        trailwarden_digest: String,
    }
    if !payload.contains(FLUSH_KEY) {
        return None;
    }
    serde_json::from_str::<Flush>(payload).ok().map(|f| f.trailwarden_digest)
}

/// Where the flush is scheduled: the function itself, through Scheduler with `role_arn`.
pub struct Schedules {
    client: aws_sdk_scheduler::Client,
    /// The schedule group (`default` unless the stack made one).
    group: String,
    role_arn: String,
    /// The function's ARN: set from the first invocation's context.
    target: OnceLock<String>,
    dead_letter_arn: Option<String>,
}

impl Schedules {
    pub fn new(client: aws_sdk_scheduler::Client, group: impl Into<String>, role_arn: impl Into<String>) -> Self {
        Schedules {
            client,
            group: group.into(),
            role_arn: role_arn.into(),
            target: OnceLock::new(),
            dead_letter_arn: None,
        }
    }

    /// Where a flush the function cannot take after every retry goes (the stack's DLQ).
    pub fn with_dead_letter(mut self, arn: Option<String>) -> Self {
        self.dead_letter_arn = arn;
        self
    }

    /// The function the flush invokes (the Lambda's own ARN, from its context).
    pub fn set_target(&self, arn: &str) {
        let _ = self.target.set(arn.to_string());
    }

    /// The schedule's name for a group.
    pub fn name(id: &str) -> String {
        format!("tw-{id}")
    }

    /// Makes sure `digest`'s flush is scheduled (at its end, or a minute from `now` if that is
    /// sooner than a minute away).
    pub async fn ensure(&self, digest: &Digest, now: i64) -> Result<(), HoldError> {
        let at = digest.end.max(now + 60);
        self.create(&Self::name(&digest.id), &digest.id, at, &digest.heading(0)).await
    }

    /// Schedules another flush of `id` at `at` (its own schedule, `tw-<id>-<at>`).
    pub async fn again(&self, id: &str, at: i64) -> Result<(), HoldError> {
        let name = format!("{}-{at}", Self::name(id));
        self.create(&name, id, at, &format!("trailwarden: flush {id} again")).await
    }

    /// Creates the one-time schedule `name` calling the flush of `id` at `at`; one that exists is
    /// left as it is.
    async fn create(&self, name: &str, id: &str, at: i64, description: &str) -> Result<(), HoldError> {
        use aws_sdk_scheduler::types::{
            ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode, RetryPolicy, Target,
        };
        let error = |message: String| HoldError { call: "CreateSchedule", key: name.to_string(), message };
        let Some(target) = self.target.get() else {
            return Err(error("the function's ARN is not known yet".into()));
        };
        let at = jiff::Timestamp::from_second(at).map_err(|e| error(e.to_string()))?;
        let input = serde_json::json!({ FLUSH_KEY: id }).to_string();
        let mut t = Target::builder().arn(target).role_arn(&self.role_arn).input(input).retry_policy(
            RetryPolicy::builder().maximum_event_age_in_seconds(86_400).maximum_retry_attempts(185).build(),
        );
        if let Some(dlq) = &self.dead_letter_arn {
            t = t.dead_letter_config(DeadLetterConfig::builder().arn(dlq).build());
        }
        let created = self
            .client
            .create_schedule()
            .name(name)
            .group_name(&self.group)
            .schedule_expression(format!("at({})", at.strftime("%Y-%m-%dT%H:%M:%S")))
            .schedule_expression_timezone("UTC")
            .flexible_time_window(
                FlexibleTimeWindow::builder()
                    .mode(FlexibleTimeWindowMode::Off)
                    .build()
                    .map_err(|e| error(e.to_string()))?,
            )
            .target(t.build().map_err(|e| error(e.to_string()))?)
            .action_after_completion(ActionAfterCompletion::Delete)
            .description(crate::text::bounded(description, 500))
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conflict_exception()) => Ok(()),
            Err(e) => Err(error(crate::notify::ses::sdk_error_text(&e))),
        }
    }
}

/// The groups in DynamoDB, their flushes in Scheduler.
pub struct DynamoHolds {
    client: aws_sdk_dynamodb::Client,
    table: String,
    schedules: Schedules,
    /// How long items outlive their window (the table's TTL removes them): 7 days.
    ttl_secs: i64,
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

/// Whether an update was refused by its condition (rather than failing).
fn condition_failed<R>(
    e: &aws_sdk_dynamodb::error::SdkError<aws_sdk_dynamodb::operation::update_item::UpdateItemError, R>,
) -> bool {
    use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
    matches!(e.as_service_error(), Some(UpdateItemError::ConditionalCheckFailedException(_)))
}

fn digest_of(item: &HashMap<String, AttributeValue>) -> Option<Digest> {
    item.get("digest").and_then(|v| v.as_s().ok()).and_then(|t| serde_json::from_str(t).ok())
}

impl DynamoHolds {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>, schedules: Schedules) -> Self {
        DynamoHolds { client, table: table.into(), schedules, ttl_secs: 7 * 86_400 }
    }

    /// The schedules, to set the flush's target from the function's context.
    pub fn schedules(&self) -> &Schedules {
        &self.schedules
    }

    fn error<E, R>(&self, call: &'static str, key: &str, e: &aws_sdk_dynamodb::error::SdkError<E, R>) -> HoldError
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        HoldError {
            call,
            key: crate::text::one_line(key),
            message: format!("table {}: {}", self.table, crate::notify::ses::sdk_error_text(e)),
        }
    }

    async fn join_now(&self, alert: &EventDetail, now: i64, window: i64) -> Result<Joined, HoldError> {
        use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
        let key = format!("storm#{}", short_hash(&super::storm::group_key(alert).unwrap_or_default()));
        let digest = Digest::storm(alert, now, window);
        let json = serde_json::to_string(&digest).unwrap_or_default();
        let opened = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&key))
            .update_expression("SET digest = :d, #end = :end, expires = :ttl")
            .condition_expression("attribute_not_exists(pk) OR #end <= :now")
            .expression_attribute_names("#end", "end")
            .expression_attribute_values(":d", s(&json))
            .expression_attribute_values(":end", n(digest.end))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":ttl", n(digest.end + self.ttl_secs))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match opened {
            Ok(_) => Ok(Joined::First),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(ex)) => match ex.item().and_then(digest_of) {
                    Some(open) => Ok(Joined::Open(open)),
                    None => {
                        Err(HoldError { call: "UpdateItem", key, message: "an open window without its digest".into() })
                    }
                },
                _ => Err(self.error("UpdateItem", &key, &e)),
            },
        }
    }

    async fn hold_now(
        &self,
        digest: &Digest,
        alert_key: &str,
        alert: &EventDetail,
        channel: &str,
        now: i64,
    ) -> Result<bool, HoldError> {
        use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
        let json = serde_json::to_string(alert).unwrap_or_default();
        if json.len() > MAX_HELD_BYTES {
            return Ok(false);
        }
        self.schedules.ensure(digest, now).await?;
        let key = format!("group#{}", digest.id);
        let h = short_hash(alert_key);
        // A new alert, listed while the group has room (by count and by size).
        let held = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&key))
            .update_expression(
                "SET digest = if_not_exists(digest, :d), #a = :a, expires = :ttl ADD #c :c, n :one, #b :len",
            )
            .condition_expression(
                "attribute_not_exists(sealed) AND attribute_not_exists(#a) \
                 AND (attribute_not_exists(n) OR (n < :max AND #b <= :room))",
            )
            .expression_attribute_names("#a", format!("a_{h}"))
            .expression_attribute_names("#c", format!("c_{h}"))
            .expression_attribute_names("#b", "bytes")
            .expression_attribute_values(":d", s(&serde_json::to_string(digest).unwrap_or_default()))
            .expression_attribute_values(":a", s(&json))
            .expression_attribute_values(":c", AttributeValue::Ss(vec![channel.to_string()]))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":len", n(json.len() as i64))
            .expression_attribute_values(":max", n(MAX_HELD as i64))
            .expression_attribute_values(":room", n((MAX_GROUP_BYTES - json.len()) as i64))
            .expression_attribute_values(":ttl", n(digest.end + self.ttl_secs))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let failed = match held {
            Ok(_) => return Ok(true),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(ex)) => ex.item().cloned().unwrap_or_default(),
                _ => return Err(self.error("UpdateItem", &key, &e)),
            },
        };
        if failed.contains_key("sealed") {
            return Ok(false);
        }
        let update = self.client.update_item().table_name(&self.table).key("pk", s(&key));
        let update = if failed.contains_key(&format!("a_{h}")) {
            // Held already (another channel, or a retried delivery): this channel too.
            update
                .update_expression("ADD #c :c")
                .condition_expression("attribute_not_exists(sealed)")
                .expression_attribute_names("#c", format!("c_{h}"))
                .expression_attribute_values(":c", AttributeValue::Ss(vec![channel.to_string()]))
        } else {
            // Full: counted per rule and channel, for that channel's "and N more".
            update
                .update_expression("ADD #m :one")
                .condition_expression("attribute_not_exists(sealed)")
                .expression_attribute_names("#m", format!("m#{}#{channel}", alert.rule_id))
                .expression_attribute_values(":one", n(1))
        };
        match update.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(self.error("UpdateItem", &key, &e)),
        }
    }

    async fn seal_now(&self, id: &str) -> Result<Option<Sealed>, HoldError> {
        let key = format!("group#{id}");
        let sealed = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&key))
            .update_expression("SET sealed = :t, expires = if_not_exists(expires, :ttl)")
            .condition_expression("attribute_not_exists(done)")
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .expression_attribute_values(":ttl", n(jiff::Timestamp::now().as_second() + self.ttl_secs))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let item = match sealed {
            Ok(out) => out.attributes().cloned().unwrap_or_default(),
            Err(e) if condition_failed(&e) => return Ok(None),
            Err(e) => return Err(self.error("UpdateItem", &key, &e)),
        };
        // Sealed before anything was held: the mark stops a late hold, which then sends at once.
        let Some(digest) = digest_of(&item) else {
            return Ok(None);
        };
        let (mut alerts, mut more) = (Vec::new(), Vec::new());
        for (name, value) in &item {
            if let Some(h) = name.strip_prefix("a_")
                && let Ok(text) = value.as_s()
            {
                let alert: EventDetail = serde_json::from_str(text).map_err(|e| HoldError {
                    call: "UpdateItem",
                    key: key.clone(),
                    message: format!("held alert {h}: {e}"),
                })?;
                let mut channels: Vec<String> =
                    item.get(&format!("c_{h}")).and_then(|v| v.as_ss().ok()).cloned().unwrap_or_default();
                channels.sort();
                alerts.push((alert, channels));
            }
            // `m#<rule>#<channel>` (rule ids hold no `#`).
            if let Some((rule, channel)) = name.strip_prefix("m#").and_then(|m| m.split_once('#'))
                && let Some(count) = value.as_n().ok().and_then(|v| v.parse::<u64>().ok())
            {
                more.push((channel.to_string(), rule.to_string(), count));
            }
        }
        more.sort();
        alerts.sort_by(|a, b| a.0.event_time.cmp(&b.0.event_time).then_with(|| a.0.event_id.cmp(&b.0.event_id)));
        if alerts.is_empty() && more.is_empty() {
            return Ok(None);
        }
        Ok(Some(Sealed { digest, alerts, more }))
    }
}

impl Holds for DynamoHolds {
    fn join<'a>(&'a self, alert: &'a EventDetail, now: i64, window: i64) -> BoxFuture<'a, Result<Joined, HoldError>> {
        Box::pin(self.join_now(alert, now, window))
    }

    fn hold<'a>(
        &'a self,
        digest: &'a Digest,
        key: &'a str,
        alert: &'a EventDetail,
        channel: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<bool, HoldError>> {
        Box::pin(self.hold_now(digest, key, alert, channel, now))
    }

    fn seal<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Sealed>, HoldError>> {
        Box::pin(self.seal_now(id))
    }

    fn forget<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), HoldError>> {
        Box::pin(async move {
            let key = format!("group#{id}");
            let done = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", s(&key))
                .update_expression("SET done = :t")
                .expression_attribute_values(":t", AttributeValue::Bool(true))
                .send()
                .await;
            match done {
                Ok(_) => Ok(()),
                Err(e) => Err(self.error("UpdateItem", &key, &e)),
            }
        })
    }

    fn again<'a>(&'a self, id: &'a str, at: i64) -> BoxFuture<'a, Result<(), HoldError>> {
        Box::pin(self.schedules.again(id, at))
    }
}
