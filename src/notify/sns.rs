//! The SNS channel, beside SES: the systems trailwarden replaces notify an SNS topic, and what
//! subscribes to it (a ticketing hook, a pager, a queue) keeps working. Each batch is one
//! message, per protocol (`MessageStructure` `json`): for queues, functions and HTTP endpoints
//! (`default`) JSON `{"account_name", "alerts": [EventDetail...], "digest"?}` (under SNS's
//! 256 KiB; alerts that do not fit are left out and counted in `"omitted"`); for SMS and email
//! subscribers a short text ([`super::chat::short_text`]). With a short subject SNS accepts, and
//! message attributes `severity` (the highest) and `rule_id` (the first) for filter policies.
//!
//! [`SnsNotifier::amazon_q`] publishes Amazon Q Developer's custom notification instead
//! ([`super::chat::amazon_q`]), for a topic a chat channel's Amazon Q configuration subscribes to.

use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;
use serde::Serialize;

use super::{Batch, BoxFuture, Notifier, NotifyError};
use crate::detail::EventDetail;

/// SNS's limit on a message, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// SNS's subject limit: under 100 characters.
pub const MAX_SUBJECT_CHARS: usize = 99;

/// What a topic's messages are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The alerts' JSON, and a short text for SMS and email.
    Alerts,
    /// Amazon Q Developer in chat applications' custom notification.
    AmazonQ,
}

/// Publishes alert batches to one topic.
pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
    name: String,
    format: Format,
}

#[derive(Serialize)]
struct Message<'a> {
    account_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<&'a super::storm::Digest>,
    alerts: &'a [EventDetail],
    #[serde(skip_serializing_if = "is_zero")]
    omitted: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The message for a batch: as many alerts as fit under `max` bytes (at least none), with the
/// count of the rest.
pub fn message(batch: &Batch, max: usize) -> String {
    let mut keep = batch.alerts.len();
    loop {
        let msg = Message {
            account_name: batch.account_name,
            digest: batch.digest,
            alerts: &batch.alerts[..keep],
            omitted: batch.alerts.len() - keep,
        };
        let text = serde_json::to_string(&msg).unwrap_or_default();
        if text.len() <= max || keep == 0 {
            return text;
        }
        keep -= 1;
    }
}

/// A subject SNS accepts: printable ASCII (anything else becomes `?`), one line, under 100
/// characters (cut with `...`), starting with a letter, digit or punctuation.
pub fn subject(batch: &Batch) -> String {
    let full = super::chat::title(batch);
    let ascii: String = full.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect();
    let ascii = ascii.trim().to_string();
    let cut = match ascii.chars().count() > MAX_SUBJECT_CHARS {
        true => format!("{}...", ascii.chars().take(MAX_SUBJECT_CHARS - 3).collect::<String>().trim_end()),
        false => ascii,
    };
    if cut.is_empty() { "trailwarden alert".to_string() } else { cut }
}

impl SnsNotifier {
    /// The `sns` channel: alerts' JSON and a short text.
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        SnsNotifier { client, topic_arn: topic_arn.into(), name: "sns".into(), format: Format::Alerts }
    }

    /// The `amazon-q` channel: Amazon Q's custom notifications to `topic_arn`.
    pub fn amazon_q(client: Client, topic_arn: impl Into<String>) -> Self {
        SnsNotifier { client, topic_arn: topic_arn.into(), name: "amazon-q".into(), format: Format::AmazonQ }
    }

    /// The same, under another channel name (a config file's `[[channels]]`).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    async fn publish(&self, batch: Batch<'_>) -> Result<String, NotifyError> {
        let attr = |v: &str| MessageAttributeValue::builder().data_type("String").string_value(v).build();
        let top = batch.alerts.iter().map(|d| d.severity).max().unwrap_or_default();
        let first = batch.alerts.first().map(|d| crate::text::one_line(&d.rule_id)).unwrap_or_default();
        let error = |message: String| NotifyError::Sns { topic: self.topic_arn.clone(), message };
        let mut request = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject(&batch))
            .set_message_structure((self.format == Format::Alerts).then(|| "json".to_string()))
            .message(match self.format {
                Format::Alerts => structured(&batch),
                Format::AmazonQ => super::chat::amazon_q(&batch).to_string(),
            })
            .message_attributes("severity", attr(top.name()).map_err(|e| error(e.to_string()))?);
        if !first.is_empty() {
            request = request.message_attributes("rule_id", attr(&first).map_err(|e| error(e.to_string()))?);
        }
        let out = request.send().await.map_err(|e| error(crate::notify::ses::sdk_error_text(&e)))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}

/// The per-protocol message: `default` the alerts' JSON ([`message`]), `sms` and `email` the
/// short text. SNS takes it with `MessageStructure` `json`.
pub fn structured(batch: &Batch) -> String {
    let short = super::chat::short_text(batch);
    let mut max = MAX_MESSAGE_BYTES - 4096 - 4 * short.len();
    loop {
        let default = message(batch, max);
        let text = serde_json::json!({ "default": default, "sms": short, "email": short }).to_string();
        // Escaping the JSON inside JSON lengthens it; cut again by the excess until it fits.
        if text.len() <= MAX_MESSAGE_BYTES - 2048 || max < 1024 {
            return text;
        }
        max = max.saturating_sub(text.len() - (MAX_MESSAGE_BYTES - 2048) + 1024);
    }
}

impl Notifier for SnsNotifier {
    fn name(&self) -> &str {
        &self.name
    }

    fn notify<'a>(&'a self, batch: Batch<'a>) -> BoxFuture<'a, Result<String, NotifyError>> {
        Box::pin(self.publish(batch))
    }
}
