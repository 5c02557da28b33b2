//! The email channel: SES v2 with credentials from a Secrets Manager
//! secret (`{"EMAIL_FROM", "SES_REGION", "ACCESS_KEY", "ACCESS_SECRET_KEY"}`, `"NA"` = use the
//! function's own role). The secret is read once, on the first alert, and cached; its values are
//! never logged or put in an error message.

use std::fmt;

use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use serde::Deserialize;
use tokio::sync::OnceCell;

use crate::notify::render::Email;
use crate::notify::{Batch, BoxFuture, Notifier, NotifyError};

/// Why an email was not sent. Messages name the secret and the key at fault, never a value.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("secret `{name}` was not found in Secrets Manager")]
    SecretMissing { name: String },
    #[error("secret `{name}` could not be read: {reason}")]
    SecretUnreadable { name: String, reason: String },
    #[error("secret `{name}` is not a JSON object of strings: {reason}")]
    SecretMalformed { name: String, reason: String },
    #[error("secret `{name}` has no `{key}`")]
    SecretKeyMissing { name: String, key: &'static str },
    #[error("SES SendEmail failed: {0}")]
    Send(String),
}

/// The sender settings read from the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SenderSecret {
    pub email_from: String,
    pub ses_region: String,
    /// `None` when the secret says "NA": use the function's own credentials.
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
}

// Credentials must never reach a log line through `{:?}`.
impl fmt::Debug for SenderSecret {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_struct("SenderSecret")
            .field("email_from", &self.email_from)
            .field("ses_region", &self.ses_region)
            .field("access_key", &self.access_key.as_ref().map(|_| "<redacted>"))
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

#[derive(Deserialize)]
struct SecretJson {
    #[serde(rename = "EMAIL_FROM")]
    email_from: Option<String>,
    #[serde(rename = "SES_REGION")]
    ses_region: Option<String>,
    #[serde(rename = "ACCESS_KEY")]
    access_key: Option<String>,
    #[serde(rename = "ACCESS_SECRET_KEY")]
    secret_key: Option<String>,
}

impl SenderSecret {
    /// Parses the secret's JSON. `default_region` applies when `SES_REGION` is absent or "NA".
    pub fn parse(name: &str, text: &str, default_region: &str) -> Result<Self, MailError> {
        let json: SecretJson = serde_json::from_str(text).map_err(|e| MailError::SecretMalformed {
            name: name.to_string(),
            // serde_json's message can quote the input; keep only its category and position.
            reason: format!("{:?} error at line {} column {}", e.classify(), e.line(), e.column()),
        })?;
        let given = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty() && s != "NA");
        let email_from =
            given(json.email_from).ok_or(MailError::SecretKeyMissing { name: name.to_string(), key: "EMAIL_FROM" })?;
        let ses_region = given(json.ses_region).unwrap_or_else(|| default_region.to_string());
        let (access_key, secret_key) = (given(json.access_key), given(json.secret_key));
        match (&access_key, &secret_key) {
            (Some(_), None) => Err(MailError::SecretKeyMissing { name: name.to_string(), key: "ACCESS_SECRET_KEY" }),
            (None, Some(_)) => Err(MailError::SecretKeyMissing { name: name.to_string(), key: "ACCESS_KEY" }),
            _ => Ok(SenderSecret { email_from, ses_region, access_key, secret_key }),
        }
    }
}

/// Builds the SES client for a sender (region, credentials) from the secret.
pub type SesFactory = Box<dyn Fn(&SenderSecret) -> aws_sdk_sesv2::Client + Send + Sync>;

/// SES v2 `SendEmail`, with the sender and credentials from a Secrets Manager secret.
pub struct SesMailer {
    secrets: aws_sdk_secretsmanager::Client,
    secret_name: String,
    default_region: String,
    recipients: Vec<String>,
    make_ses: SesFactory,
    ready: OnceCell<(aws_sdk_sesv2::Client, String)>,
}

impl SesMailer {
    /// A mailer whose SES clients are built from `sdk` (the function's configuration: region,
    /// credentials, endpoint), overridden by the secret's region and keys.
    pub fn new(
        sdk: &aws_config::SdkConfig,
        secrets: aws_sdk_secretsmanager::Client,
        secret_name: &str,
        recipients: Vec<String>,
    ) -> Self {
        let base = sdk.clone();
        let make_ses: SesFactory = Box::new(move |s: &SenderSecret| {
            let mut conf = aws_sdk_sesv2::config::Builder::from(&base)
                .region(aws_sdk_sesv2::config::Region::new(s.ses_region.clone()));
            if let (Some(key), Some(secret)) = (&s.access_key, &s.secret_key) {
                conf = conf.credentials_provider(aws_sdk_sesv2::config::Credentials::new(
                    key.clone(),
                    secret.clone(),
                    None,
                    None,
                    "trailwarden-secret",
                ));
            }
            aws_sdk_sesv2::Client::from_conf(conf.build())
        });
        let region = sdk.region().map(|r| r.to_string()).unwrap_or_else(|| "us-east-1".to_string());
        SesMailer::with_factory(secrets, secret_name, &region, recipients, make_ses)
    }

    /// A mailer with a caller-built SES client factory (tests inject mocked clients this way).
    pub fn with_factory(
        secrets: aws_sdk_secretsmanager::Client,
        secret_name: &str,
        default_region: &str,
        recipients: Vec<String>,
        make_ses: SesFactory,
    ) -> Self {
        SesMailer {
            secrets,
            secret_name: secret_name.to_string(),
            default_region: default_region.to_string(),
            recipients,
            make_ses,
            ready: OnceCell::new(),
        }
    }

    async fn load(&self) -> Result<(aws_sdk_sesv2::Client, String), MailError> {
        let name = &self.secret_name;
        let out = self.secrets.get_secret_value().secret_id(name).send().await.map_err(|e| {
            if e.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) {
                MailError::SecretMissing { name: name.clone() }
            } else {
                MailError::SecretUnreadable { name: name.clone(), reason: sdk_error_text(&e) }
            }
        })?;
        let text = out.secret_string().ok_or_else(|| MailError::SecretMalformed {
            name: name.clone(),
            reason: "it holds binary data, not a JSON string".into(),
        })?;
        let sender = SenderSecret::parse(name, text, &self.default_region)?;
        Ok(((self.make_ses)(&sender), sender.email_from))
    }
}

impl Notifier for SesMailer {
    fn name(&self) -> &str {
        "email"
    }

    /// Renders the batch into one email ([`render`]) and sends it.
    fn notify<'a>(&'a self, batch: Batch<'a>) -> BoxFuture<'a, Result<String, NotifyError>> {
        Box::pin(async move {
            let email = crate::notify::render::render_batch(&batch)?;
            Ok(self.send(&email).await?)
        })
    }
}

impl SesMailer {
    /// Sends one email to the configured recipients; returns SES's message id.
    pub async fn send(&self, email: &Email) -> Result<String, MailError> {
        let (ses, from) = self.ready.get_or_try_init(|| self.load()).await?;
        let utf8 = |text: &str| Content::builder().data(text).charset("UTF-8").build();
        let content = |text: &str| utf8(text).map_err(|e| MailError::Send(e.to_string()));
        let message = Message::builder()
            .subject(content(&email.subject)?)
            .body(Body::builder().html(content(&email.html)?).text(content(&email.text)?).build())
            .build();
        let out = ses
            .send_email()
            .from_email_address(from)
            .destination(Destination::builder().set_to_addresses(Some(self.recipients.clone())).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| MailError::Send(sdk_error_text(&e)))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}

/// What went wrong with an SDK call, for the operator: the service's error code and message, or
/// for failures before an answer (connection reset, timeout, DNS) the whole chain of causes,
/// not the SDK's bare "dispatch failure" or "unhandled error". (Every SDK crate's `SdkError` is
/// the same type, so the facts' calls use this too.)
pub(crate) fn sdk_error_text<E, R>(e: &aws_sdk_sesv2::error::SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    match e.code() {
        Some(code) => format!("{code}: {}", e.message().unwrap_or_default()),
        None => aws_sdk_sesv2::error::DisplayErrorContext(e).to_string(),
    }
}
