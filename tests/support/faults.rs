//! A fault-injecting layer in front of an SDK client's HTTP connection: it answers some requests
//! itself, as SES does when it throttles or fails (429, 500, 503, a reset connection), and passes
//! the rest to the real server (moto). The SDK's own retry logic and error parsing see these
//! answers exactly as they would see AWS's, and every request the client makes is counted.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_sesv2::config::retry::RetryConfig;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use trailwarden::notify::ses::SesMailer;

/// The SDK's standard retries (3 attempts) with short backoffs, so retrying tests run in
/// milliseconds.
fn quick_retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(5))
}

/// What the layer does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Passed on to the server.
    Pass,
    /// 429 TooManyRequestsException.
    Throttle,
    /// 500 InternalFailure.
    ServerError,
    /// 503 ServiceUnavailable.
    Unavailable,
    /// The connection is reset before an answer.
    Drop,
}

const KINDS: [Fault; 5] = [Fault::Pass, Fault::Throttle, Fault::ServerError, Fault::Unavailable, Fault::Drop];

enum Plan {
    /// Per request: 25% throttled, 8% 500, 5% 503, 5% dropped, the rest passed.
    Random(fastrand::Rng),
    /// These answers in order, then every request passed.
    Script(VecDeque<Fault>),
}

/// An SDK HTTP client (`.http_client(faults.clone())`) that answers by its plan.
#[derive(Clone)]
pub struct Faults {
    inner: SharedHttpClient,
    plan: Arc<Mutex<Plan>>,
    counts: Arc<[AtomicU64; 5]>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let mut d = f.debug_struct("Faults");
        for kind in KINDS {
            d.field(&format!("{kind:?}"), &self.count(kind));
        }
        d.finish()
    }
}

impl Faults {
    fn new(plan: Plan) -> Faults {
        Faults {
            // The SDK's own HTTP client (hyper), plain HTTP to moto.
            inner: aws_smithy_http_client::Builder::new().build_http(),
            plan: Arc::new(Mutex::new(plan)),
            counts: Arc::new(Default::default()),
        }
    }

    /// Random faults from a seeded generator (the same seed, the same answers in turn).
    pub fn random(seed: u64) -> Faults {
        Faults::new(Plan::Random(fastrand::Rng::with_seed(seed)))
    }

    /// `script`'s answers to the first requests, then every request passed on.
    pub fn scripted(script: &[Fault]) -> Faults {
        Faults::new(Plan::Script(script.iter().copied().collect()))
    }

    /// How many requests got this answer so far.
    pub fn count(&self, kind: Fault) -> u64 {
        self.counts[kind as usize].load(Ordering::Relaxed)
    }

    /// How many requests the client made so far.
    pub fn calls(&self) -> u64 {
        KINDS.iter().map(|&k| self.count(k)).sum()
    }

    fn next(&self) -> Fault {
        let kind = match &mut *self.plan.lock().unwrap() {
            Plan::Random(rng) => match rng.u32(0..100) {
                0..25 => Fault::Throttle,
                25..33 => Fault::ServerError,
                33..38 => Fault::Unavailable,
                38..43 => Fault::Drop,
                _ => Fault::Pass,
            },
            Plan::Script(script) => script.pop_front().unwrap_or(Fault::Pass),
        };
        self.counts[kind as usize].fetch_add(1, Ordering::Relaxed);
        kind
    }

    /// An SES client for `sdk` whose requests go through this layer, with the SDK's standard
    /// retries (3 attempts) and short backoffs so that retrying tests run in milliseconds.
    pub fn ses_client(&self, sdk: &aws_config::SdkConfig) -> aws_sdk_sesv2::Client {
        let conf =
            aws_sdk_sesv2::config::Builder::from(sdk).http_client(self.clone()).retry_config(quick_retries()).build();
        aws_sdk_sesv2::Client::from_conf(conf)
    }

    /// A DynamoDB client for `sdk` whose requests go through this layer (same retries as SES's).
    pub fn dynamodb_client(&self, sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
        let conf = aws_sdk_dynamodb::config::Builder::from(sdk)
            .http_client(self.clone())
            .retry_config(quick_retries())
            .build();
        aws_sdk_dynamodb::Client::from_conf(conf)
    }

    /// A mailer reading the secret `secret_name` from `sdk`'s (unfaulted) Secrets Manager and
    /// sending through [`Faults::ses_client`] to secops@example.com.
    pub fn mailer(&self, sdk: &aws_config::SdkConfig, secret_name: &str) -> SesMailer {
        let ses = self.ses_client(sdk);
        SesMailer::with_factory(
            aws_sdk_secretsmanager::Client::new(sdk),
            secret_name,
            "us-east-1",
            vec!["secops@example.com".into()],
            Box::new(move |_| ses.clone()),
        )
    }
}

#[derive(Debug)]
struct FaultyConnector {
    inner: SharedHttpConnector,
    faults: Faults,
}

impl HttpClient for Faults {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultyConnector {
            inner: self.inner.http_connector(settings, components),
            faults: self.clone(),
        })
    }
}

/// An error answer as AWS's JSON protocols send it.
fn answer(status: u16, error_type: &str, message: &str) -> HttpConnectorFuture {
    let body = format!(r#"{{"__type":"{error_type}","message":"{message}"}}"#);
    let mut response = HttpResponse::new(status.try_into().unwrap(), SdkBody::from(body));
    response.headers_mut().insert("content-type", "application/json");
    response.headers_mut().insert("x-amzn-errortype", error_type.to_string());
    HttpConnectorFuture::ready(Ok(response))
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        match self.faults.next() {
            Fault::Throttle => answer(429, "TooManyRequestsException", "Maximum sending rate exceeded."),
            Fault::ServerError => answer(500, "InternalFailure", "We encountered an internal error. Please try again."),
            Fault::Unavailable => answer(503, "ServiceUnavailable", "Service is unavailable."),
            Fault::Drop => HttpConnectorFuture::ready(Err(ConnectorError::io(
                std::io::Error::new(std::io::ErrorKind::ConnectionReset, "connection reset by peer").into(),
            ))),
            Fault::Pass => self.inner.call(request),
        }
    }
}

/// An SDK HTTP client that answers one EC2 Query operation (by its `Action=` in the body) with
/// 403 `UnauthorizedOperation`, as EC2 does for a call the role may not make, and passes every
/// other request to the server.
#[derive(Clone, Debug)]
pub struct DenyOne {
    inner: SharedHttpClient,
    action: &'static str,
    pub denied: Arc<AtomicU64>,
}

impl DenyOne {
    pub fn ec2_action(action: &'static str) -> DenyOne {
        DenyOne { inner: aws_smithy_http_client::Builder::new().build_http(), action, denied: Arc::default() }
    }
}

#[derive(Debug)]
struct DenyOneConnector {
    inner: SharedHttpConnector,
    deny: DenyOne,
}

impl HttpClient for DenyOne {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(DenyOneConnector {
            inner: self.inner.http_connector(settings, components),
            deny: self.clone(),
        })
    }
}

impl HttpConnector for DenyOneConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let body = request.body().bytes().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
        if body.split('&').any(|kv| kv == format!("Action={}", self.deny.action)) {
            self.deny.denied.fetch_add(1, Ordering::Relaxed);
            let xml = format!(
                "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform \
                 this operation ({}).</Message></Error></Errors><RequestID>r</RequestID></Response>",
                self.deny.action
            );
            let mut response = HttpResponse::new(403u16.try_into().unwrap(), SdkBody::from(xml));
            response.headers_mut().insert("content-type", "text/xml");
            return HttpConnectorFuture::ready(Ok(response));
        }
        self.inner.call(request)
    }
}
