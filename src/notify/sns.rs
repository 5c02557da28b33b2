//! The SNS channel, beside SES: the systems trailwarden replaces notify an SNS topic, and what
//! subscribes to it (a ticketing hook, a pager, a queue) keeps working. Each batch is one
//! message: JSON `{"account_name", "alerts": [EventDetail...]}` (under SNS's 256 KiB; alerts
//! that do not fit are left out and counted in `"omitted"`), a short subject SNS accepts, and
//! message attributes `severity` (the highest) and `rule_id` (the first) for filter policies.

use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;
use serde::Serialize;

use super::{Batch, BoxFuture, Notifier, NotifyError};
use crate::detail::EventDetail;

/// SNS's limit on a message, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// SNS's subject limit: under 100 characters.
pub const MAX_SUBJECT_CHARS: usize = 99;

/// Publishes alert batches to one topic.
pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
}

#[derive(Serialize)]
struct Message<'a> {
    account_name: &'a str,
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
    let full = crate::text::one_line(&super::render::subject(batch.alerts, batch.account_name));
    let ascii: String = full.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect();
    let ascii = ascii.trim().to_string();
    let cut = match ascii.chars().count() > MAX_SUBJECT_CHARS {
        true => format!("{}...", ascii.chars().take(MAX_SUBJECT_CHARS - 3).collect::<String>().trim_end()),
        false => ascii,
    };
    if cut.is_empty() { "trailwarden alert".to_string() } else { cut }
}

impl SnsNotifier {
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        SnsNotifier { client, topic_arn: topic_arn.into() }
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
            .message(message(&batch, MAX_MESSAGE_BYTES - 4096))
            .message_attributes("severity", attr(top.name()).map_err(|e| error(e.to_string()))?);
        if !first.is_empty() {
            request = request.message_attributes("rule_id", attr(&first).map_err(|e| error(e.to_string()))?);
        }
        let out = request.send().await.map_err(|e| error(crate::notify::ses::sdk_error_text(&e)))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}

impl Notifier for SnsNotifier {
    fn name(&self) -> &str {
        "sns"
    }

    fn notify<'a>(&'a self, batch: Batch<'a>) -> BoxFuture<'a, Result<String, NotifyError>> {
        Box::pin(self.publish(batch))
    }
}
