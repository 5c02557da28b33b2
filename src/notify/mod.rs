//! Telling people: the [`Notifier`] trait every channel implements, the alert email's rendering
//! ([`render`]) and the SES v2 channel ([`ses`], feature `aws`).
//!
//! A notifier takes a [`Batch`] of alerts, which may come from several events (and, later, from
//! several kinds of input), and delivers it as one message. `Notifier` is object-safe, so a list of
//! channels chosen in configuration is a `Vec<Box<dyn Notifier>>`.

use std::future::Future;
use std::pin::Pin;

use crate::detail::EventDetail;

pub mod chat;
#[cfg(feature = "aws")]
pub mod hold;
pub mod render;
pub mod route;
#[cfg(feature = "aws")]
pub mod securityhub;
#[cfg(feature = "aws")]
pub mod ses;
#[cfg(feature = "aws")]
pub mod sns;
pub mod storm;
#[cfg(feature = "aws")]
pub mod webhook;

/// A boxed future, so that [`Notifier`] can be a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What one message carries: alerts (of one event or several) and the account's display name;
/// for a digest (a storm's held alerts, or a channel's day), what it is a digest of.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub alerts: &'a [EventDetail],
    /// `ACCOUNTNAME`, shown in subjects and headers; may be empty.
    pub account_name: &'a str,
    /// Set for a digest: channels render it as one (a list, with its heading).
    pub digest: Option<&'a storm::Digest>,
}

impl<'a> Batch<'a> {
    /// Alerts sent now (not a digest).
    pub fn new(alerts: &'a [EventDetail], account_name: &'a str) -> Self {
        Batch { alerts, account_name, digest: None }
    }
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
    /// A chat webhook failed; the message never holds the URL (a credential).
    #[error("channel {channel}: {message}")]
    Webhook { channel: String, message: String },
    /// Several channels, and which failed.
    #[error("{0}")]
    Channels(String),
}

/// A channel alerts are delivered through: SES email, SNS, a chat webhook, Amazon Q through SNS,
/// Security Hub, and whatever a library user brings.
pub trait Notifier: Send + Sync {
    /// The channel's name, as routes name it (`email`, `sns`, `webhook`, ...).
    fn name(&self) -> &str;

    /// Delivers one message holding every alert of `batch`; returns the provider's message id.
    fn notify<'a>(&'a self, batch: Batch<'a>) -> BoxFuture<'a, Result<String, NotifyError>>;

    /// The channels this notifier is made of when it is several ([`Fanout`]); none for a
    /// single channel. See [`channels_of`].
    fn members(&self) -> Vec<&dyn Notifier> {
        Vec::new()
    }
}

/// The channels of a notifier: a [`Fanout`]'s members, or the notifier itself.
pub fn channels_of(notifier: &dyn Notifier) -> Vec<&dyn Notifier> {
    let members = notifier.members();
    if members.is_empty() { vec![notifier] } else { members }
}

/// Several channels as one. The Lambda routes, deduplicates and fails each member on its own
/// ([`channels_of`]); called directly, every channel gets the batch, in order, the message id is
/// the first's, and the send fails naming the channels that failed.
pub struct Fanout(pub Vec<Box<dyn Notifier>>);

impl Notifier for Fanout {
    fn name(&self) -> &str {
        "fanout"
    }

    fn members(&self) -> Vec<&dyn Notifier> {
        self.0.iter().map(|c| c.as_ref()).collect()
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
