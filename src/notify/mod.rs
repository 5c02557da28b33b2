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
pub mod ses;

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
}

/// A channel alerts are delivered through: SES email, and whatever a library user brings.
pub trait Notifier: Send + Sync {
    /// A short name for logs and summaries: `ses`.
    fn name(&self) -> &str;

    /// Delivers one message holding every alert of `batch`; returns the provider's message id.
    fn notify<'a>(&'a self, batch: Batch<'a>) -> BoxFuture<'a, Result<String, NotifyError>>;
}
