//! Telling people: the [`Notifier`] trait every channel implements, the alert email's rendering
//! ([`render`]) and the SES v2 channel ([`ses`], feature `aws`).
//!
//! A notifier takes a [`Batch`] of alerts, which may come from several events (and, later, from
//! several kinds of input), and delivers it as one message. `Notifier` is object-safe, so a list of
//! channels chosen in configuration is a `Vec<Box<dyn Notifier>>`.

use std::future::Future;
use std::pin::Pin;

use crate::detail::EventDetail;

pub mod render;
#[cfg(feature = "aws")]
pub mod securityhub;
#[cfg(feature = "aws")]
pub mod ses;
#[cfg(feature = "aws")]
pub mod sns;

/// A boxed future, so that [`Notifier`] can be a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What one message carries: alerts (of one event or several) and the account's display name.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub alerts: &'a [EventDetail],
    /// `ACCOUNTNAME`, shown in subjects and headers; may be empty.
    pub account_name: &'a str,
}

/// Why a message was not delivered. Messages name what failed, never a credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    #[error("rendering the message: {0}")]
    Render(#[from] render::RenderError),
    #[cfg(feature = "aws")]
    #[error("sending the alert email: {0}")]
    Mail(#[from] ses::MailError),
    #[cfg(feature = "aws")]
    #[error("publishing to SNS topic {topic}: {message}")]
    Sns { topic: String, message: String },
    /// Several channels, and which failed.
    #[error("{0}")]
    Channels(String),
}

/// A channel alerts are delivered through: SES email, and whatever a library user brings.
pub trait Notifier: Send + Sync {
    /// A short name for logs and summaries: `ses`.
    fn name(&self) -> &str;

    /// Delivers one message holding every alert of `batch`; returns the provider's message id.
    fn notify<'a>(&'a self, batch: Batch<'a>) -> BoxFuture<'a, Result<String, NotifyError>>;
}

/// Several channels as one: every channel gets the batch, in order; the message id is the
/// first's. When one fails the whole send fails (and the Lambda's invocation with it, so
/// EventBridge retries): a retry may repeat a message on a channel that had succeeded, which is
/// better than a channel that silently never heard of the alert.
pub struct Fanout(pub Vec<Box<dyn Notifier>>);

impl Notifier for Fanout {
    fn name(&self) -> &str {
        "fanout"
    }

    fn notify<'a>(&'a self, batch: Batch<'a>) -> BoxFuture<'a, Result<String, NotifyError>> {
        Box::pin(async move {
            let mut first = None;
            let mut failed = Vec::new();
            for channel in &self.0 {
                match channel.notify(batch).await {
                    Ok(id) => {
                        first.get_or_insert(id);
                    }
                    Err(e) => failed.push(format!("{}: {e}", channel.name())),
                }
            }
            match (failed.is_empty(), first) {
                (true, Some(id)) => Ok(id),
                (true, None) => Err(NotifyError::Channels("no channel configured".into())),
                (false, _) => Err(NotifyError::Channels(failed.join("; "))),
            }
        })
    }
}

/// A Security Hub finding by what `BatchUpdateFindings` takes: its id and product ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingRef {
    pub id: String,
    pub product_arn: String,
}

/// After an alert about Security Hub findings is sent, tells Security Hub (sets their workflow
/// to `NOTIFIED` with a note). Object-safe; `securityhub::SecurityHubWorkflow` with `aws`.
pub trait FindingsWorkflow: Send + Sync {
    /// Marks `findings` notified with `note`; `Err` says what failed, for the log.
    fn notified<'a>(&'a self, findings: &'a [FindingRef], note: &'a str) -> BoxFuture<'a, Result<(), String>>;
}
