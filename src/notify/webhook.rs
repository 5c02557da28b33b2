//! The chat webhook channel: Slack's or Microsoft Teams' incoming webhook ([`super::chat`] builds
//! the JSON). A webhook URL is a credential (anyone holding it can post to the channel), so it
//! lives in a Secrets Manager secret (the URL as the secret string, or `{"url": "..."}`), is
//! read once and cached, and never appears in a log line or an error.
//!
//! Faults: each try has a timeout (10 s); a 429 waits for its `Retry-After` (up to 30 s, else
//! the channel fails and the invocation's retry tries again later); a 5xx or a timeout is tried
//! again twice, after 1 and 2 s; any other answer fails at once, naming the status.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::OnceCell;

use super::{Batch, BoxFuture, Notifier, NotifyError};

/// Which chat app's JSON a webhook takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Slack,
    Teams,
}

impl std::str::FromStr for Flavor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "slack" => Ok(Flavor::Slack),
            "teams" => Ok(Flavor::Teams),
            other => Err(format!("`{}` is not slack or teams", crate::text::one_line(other))),
        }
    }
}

/// The message body for `batch` in `flavor`'s JSON.
pub fn body(flavor: Flavor, batch: &Batch) -> String {
    match flavor {
        Flavor::Slack => super::chat::slack(batch),
        Flavor::Teams => super::chat::teams(batch),
    }
    .to_string()
}

/// How long each try waits, and the longest `Retry-After` honoured.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub max_retry_after: Duration,
    /// Waits before the second and third try after a 5xx or a timeout.
    pub backoff: [Duration; 2],
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(30),
            backoff: [Duration::from_secs(1), Duration::from_secs(2)],
        }
    }
}

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// Posts alert batches to one incoming webhook.
pub struct WebhookNotifier {
    name: String,
    flavor: Flavor,
    secrets: aws_sdk_secretsmanager::Client,
    secret_name: String,
    url: OnceCell<hyper::Uri>,
    /// `Err` when no TLS configuration could be made (said at the first send).
    client: Result<Client<Https, Full<Bytes>>, String>,
    limits: Limits,
}

fn error(channel: &str, message: String) -> NotifyError {
    NotifyError::Webhook { channel: channel.to_string(), message }
}

/// The connector: the system's roots (as the SDK uses) with aws-lc. Without any system root
/// https cannot be verified, so only http (to loopback, see [`check_url`]) works.
fn https() -> Result<Https, String> {
    let provider = || std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    match hyper_rustls::HttpsConnectorBuilder::new().with_provider_and_native_roots(provider()) {
        Ok(builder) => Ok(builder.https_or_http().enable_http1().build()),
        Err(_) => {
            let config = rustls::ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .map_err(|e| format!("TLS: {e}"))?
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            Ok(hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(config)
                .https_or_http()
                .enable_http1()
                .build())
        }
    }
}

/// A webhook URL must be https (plain http only to this machine, for tests and local relays).
pub fn check_url(text: &str) -> Result<hyper::Uri, String> {
    let uri: hyper::Uri = text.trim().parse().map_err(|_| "the secret's URL is not a URL".to_string())?;
    let host = uri.host().unwrap_or_default();
    match uri.scheme_str() {
        Some("https") if !host.is_empty() => Ok(uri),
        Some("http") if host == "127.0.0.1" || host == "localhost" || host == "[::1]" => Ok(uri),
        _ => Err("the secret's URL is not an https URL".into()),
    }
}

impl WebhookNotifier {
    /// A channel named `name` posting `flavor` JSON to the URL in the secret `secret_name`.
    pub fn new(
        name: impl Into<String>,
        flavor: Flavor,
        secrets: aws_sdk_secretsmanager::Client,
        secret_name: impl Into<String>,
    ) -> Self {
        WebhookNotifier {
            name: name.into(),
            flavor,
            secrets,
            secret_name: secret_name.into(),
            url: OnceCell::new(),
            client: https().map(|https| Client::builder(TokioExecutor::new()).build(https)),
            limits: Limits::default(),
        }
    }
    /// Other timeouts and waits (tests).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    async fn load(&self) -> Result<hyper::Uri, NotifyError> {
        let name = &self.secret_name;
        let out = self.secrets.get_secret_value().secret_id(name).send().await.map_err(|e| {
            let why = if e.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) {
                "was not found in Secrets Manager".to_string()
            } else {
                format!("could not be read: {}", super::ses::sdk_error_text(&e))
            };
            error(&self.name, format!("webhook secret `{name}` {why}"))
        })?;
        let text = out.secret_string().unwrap_or_default().trim();
        let url = match text.starts_with('{') {
            true => serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v.get("url").and_then(|u| u.as_str()).map(str::to_string))
                .ok_or_else(|| error(&self.name, format!("webhook secret `{name}` has no \"url\"")))?,
            false => text.to_string(),
        };
        check_url(&url).map_err(|m| error(&self.name, format!("webhook secret `{name}`: {m}")))
    }

    /// One try: the status and, for a 429, its Retry-After in seconds.
    async fn post(&self, url: &hyper::Uri, body: &str) -> Result<(u16, Option<u64>, String), String> {
        let request = hyper::Request::post(url.clone())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| e.to_string())?;
        let answer = tokio::time::timeout(self.limits.timeout, async {
            let client = self.client.as_ref().map_err(String::clone)?;
            let response = client.request(request).await.map_err(|e| {
                // hyper's chain may name the host but never the path, which holds the secret.
                let mut text = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    text = format!("{text}: {s}");
                    source = s.source();
                }
                text
            })?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let text = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            let text = crate::text::bounded(&crate::text::one_line(&String::from_utf8_lossy(&text)), 200);
            Ok::<_, String>((status, retry_after, text))
        })
        .await;
        answer.map_err(|_| format!("no answer within {} s", self.limits.timeout.as_secs_f32()))?
    }

    async fn send(&self, batch: Batch<'_>) -> Result<String, NotifyError> {
        let url = self.url.get_or_try_init(|| self.load()).await?;
        let body = body(self.flavor, &batch);
        let mut backoff = self.limits.backoff.iter();
        let mut rate_limited = false;
        loop {
            let wait = match self.post(url, &body).await {
                Ok((status, _, _)) if (200..300).contains(&status) => return Ok(format!("{} {status}", self.name)),
                Ok((429, retry_after, _)) => {
                    let after = Duration::from_secs(retry_after.unwrap_or(1));
                    if rate_limited || after > self.limits.max_retry_after {
                        return Err(error(
                            &self.name,
                            format!("rate limited (429, Retry-After {} s)", after.as_secs()),
                        ));
                    }
                    rate_limited = true;
                    after
                }
                Ok((status, _, text)) if status >= 500 => match backoff.next() {
                    Some(wait) => *wait,
                    None => return Err(error(&self.name, format!("the webhook answered {status}: {text}"))),
                },
                Ok((status, _, text)) => {
                    return Err(error(&self.name, format!("the webhook refused the message: {status}: {text}")));
                }
                Err(e) => match backoff.next() {
                    Some(wait) => *wait,
                    None => return Err(error(&self.name, format!("posting to the webhook: {e}"))),
                },
            };
            tokio::time::sleep(wait).await;
        }
    }
}

impl Notifier for WebhookNotifier {
    fn name(&self) -> &str {
        &self.name
    }

    fn notify<'a>(&'a self, batch: Batch<'a>) -> BoxFuture<'a, Result<String, NotifyError>> {
        Box::pin(self.send(batch))
    }
}
