//! Storm groups and daily digests in the stack's DynamoDB table (the dedupe ledger's), flushed by
//! an EventBridge Scheduler one-time schedule at the end of each group's window.
//!
//! Why Scheduler and not an SQS delay message: an SQS delay is at most 15 minutes, and a daily
//! digest waits up to a day (a delayed message would have to be re-sent every 15 minutes until
//! its time); a schedule fires once, at the group's end, whatever the window. Its name is the
//! group's id, so creating it again is a no-op (`ConflictException`): every hold can make sure
//! the flush exists without reading first. It deletes itself after it ran. Scheduler retries
//! the invocation (185 times, for a day) and the flush is idempotent through the ledger.
//!
//! Items (key `pk`, TTL `expires`):
//! - `storm#<hash of account#actor>`: the open window, `{digest (JSON), end (N)}`. Opening a
//!   window is one conditional write (`attribute_not_exists(pk) OR end <= now`), so of two
//!   concurrent alerts one is the first.
//! - `group#<id>`: the held alerts, `{digest, n, sealed?, a_<hash of alert key> (the alert's
//!   JSON), c_<same hash> (string set: the channels it is held for), m#<rule id> (N: alerts past
//!   the cap)}`. A hold is one conditional update (`attribute_not_exists(sealed)`), idempotent
//!   per alert key; the flush seals the group in one update that returns what it holds.

use std::collections::HashMap;
use std::sync::OnceLock;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};

use super::BoxFuture;
use super::storm::{Digest, HoldError, Holds, Joined, MAX_HELD, Sealed, short_hash};
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
        use aws_sdk_scheduler::types::{
            ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode, RetryPolicy, Target,
        };
        let error = |message: String| HoldError { call: "CreateSchedule", key: Self::name(&digest.id), message };
        let Some(target) = self.target.get() else {
            return Err(error("the function's ARN is not known yet".into()));
        };
        let at = jiff::Timestamp::from_second(digest.end.max(now + 60)).map_err(|e| error(e.to_string()))?;
        let input = serde_json::json!({ FLUSH_KEY: digest.id }).to_string();
        let mut t = Target::builder().arn(target).role_arn(&self.role_arn).input(input).retry_policy(
            RetryPolicy::builder().maximum_event_age_in_seconds(86_400).maximum_retry_attempts(185).build(),
        );
        if let Some(dlq) = &self.dead_letter_arn {
            t = t.dead_letter_config(DeadLetterConfig::builder().arn(dlq).build());
        }
        let created = self
            .client
            .create_schedule()
            .name(Self::name(&digest.id))
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
            .description(crate::text::bounded(&digest.heading(0), 500))
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
        self.schedules.ensure(digest, now).await?;
        let key = format!("group#{}", digest.id);
        let h = short_hash(alert_key);
        let json = serde_json::to_string(alert).unwrap_or_default();
        let held = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&key))
            .update_expression(
                "SET digest = if_not_exists(digest, :d), #a = if_not_exists(#a, :a), expires = :ttl ADD #c :c, n :one",
            )
            .condition_expression(
                "attribute_not_exists(sealed) AND (attribute_not_exists(n) OR n < :max OR attribute_exists(#a))",
            )
            .expression_attribute_names("#a", format!("a_{h}"))
            .expression_attribute_names("#c", format!("c_{h}"))
            .expression_attribute_values(":d", s(&serde_json::to_string(digest).unwrap_or_default()))
            .expression_attribute_values(":a", s(&json))
            .expression_attribute_values(":c", AttributeValue::Ss(vec![channel.to_string()]))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(MAX_HELD as i64))
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
        // Full: counted per rule, for the digest's "and N more".
        let counted = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&key))
            .update_expression("ADD #m :one")
            .condition_expression("attribute_not_exists(sealed)")
            .expression_attribute_names("#m", format!("m#{}", alert.rule_id))
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        match counted {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.as_service_error(), Some(UpdateItemError::ConditionalCheckFailedException(_))) => {
                Ok(false)
            }
            Err(e) => Err(self.error("UpdateItem", &key, &e)),
        }
    }

    async fn seal_now(&self, id: &str) -> Result<Option<Sealed>, HoldError> {
        use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
        let key = format!("group#{id}");
        let sealed = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&key))
            .update_expression("SET sealed = :t")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let item = match sealed {
            Ok(out) => out.attributes().cloned().unwrap_or_default(),
            Err(e) if matches!(e.as_service_error(), Some(UpdateItemError::ConditionalCheckFailedException(_))) => {
                return Ok(None);
            }
            Err(e) => return Err(self.error("UpdateItem", &key, &e)),
        };
        let Some(mut digest) = digest_of(&item) else {
            return Err(HoldError { call: "UpdateItem", key, message: "a group without its digest".into() });
        };
        let mut alerts = Vec::new();
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
            if let Some(rule) = name.strip_prefix("m#")
                && let Some(count) = value.as_n().ok().and_then(|v| v.parse::<u64>().ok())
            {
                digest.more.push((rule.to_string(), count));
            }
        }
        digest.more.sort();
        alerts.sort_by(|a, b| a.0.event_time.cmp(&b.0.event_time).then_with(|| a.0.event_id.cmp(&b.0.event_id)));
        Ok(Some(Sealed { digest, alerts }))
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
            match self.client.delete_item().table_name(&self.table).key("pk", s(&key)).send().await {
                Ok(_) => Ok(()),
                Err(e) => Err(self.error("DeleteItem", &key, &e)),
            }
        })
    }
}
