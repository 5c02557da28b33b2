//! Test support: a real AWS API emulator (moto's server, from PyPI) started by the tests.
//!
//! moto and cargo-lambda are installed, when missing, into a Python venv under the cargo target
//! directory; nothing is skipped because a tool is absent.
#![allow(dead_code)]

pub mod faults;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// PyPI packages the tests install (pinned majors).
pub const PACKAGES: &[&str] = &[
    "moto[server]>=5.1,<6",
    "cargo-lambda>=1.8,<2",
    "cfn-lint>=1.20,<2",
    "checkov>=3.2,<4",
    // The OCSF schema (every version, as JSON Schema) and a validator for `--format ocsf`.
    "ocsf-json-schema>=1.2,<2",
    "jsonschema>=4.20,<5",
];

/// The cargo target directory (the test binary lives in `<target>/<profile>/deps/`).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

/// The venv's `bin/` folder, creating the venv and installing [`PACKAGES`] on first use.
pub fn venv_bin() -> PathBuf {
    static READY: OnceLock<PathBuf> = OnceLock::new();
    static LOCK: Mutex<()> = Mutex::new(());
    READY
        .get_or_init(|| {
            let _guard = LOCK.lock().unwrap();
            let venv = target_dir().join("test-venv");
            let bin = venv.join("bin");
            let stamp = venv.join(".installed");
            let wanted = PACKAGES.join("\n");
            if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
                let run = |cmd: &mut Command| {
                    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
                    assert!(out.status.success(), "{cmd:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
                };
                run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
                run(Command::new(bin.join("pip"))
                    .args(["install", "--quiet", "--disable-pip-version-check"])
                    .args(PACKAGES));
                std::fs::write(&stamp, wanted).unwrap();
            }
            bin
        })
        .clone()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until something accepts connections on the port.
pub fn wait_for_port(port: u16, child: &mut Child, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited early: {status}");
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{what} did not start on port {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A fixture under testdata/events, by its path there.
pub fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!("{}/testdata/events/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The account moto acts in with the static test credentials (its GetCallerIdentity answer).
pub const MOTO_ACCOUNT: &str = "123456789012";

/// A moto server on a free loopback port, stopped when dropped.
pub struct Moto {
    child: Child,
    pub port: u16,
    pub url: String,
}

impl Moto {
    pub fn start() -> Moto {
        let bin = venv_bin();
        let port = free_port();
        let mut child = Command::new(bin.join("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        wait_for_port(port, &mut child, "moto_server");
        Moto { child, port, url: format!("http://127.0.0.1:{port}") }
    }

    /// A plain HTTP/1.0 request to moto's own API; returns (status, body).
    pub fn http(&self, method: &str, path: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(s, "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n").unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        (status, body.to_string())
    }

    /// Every message moto's SNS has accepted, per topic ARN: `[message id, message, subject,
    /// attributes, group id]` each.
    pub fn sns_notifications(&self, topic_arn: &str) -> Vec<serde_json::Value> {
        let (status, body) = self.http("GET", "/moto-api/data.json");
        assert_eq!(status, 200, "{body}");
        let data: serde_json::Value = serde_json::from_str(&body).unwrap();
        data["sns"]["Topic"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["arn"] == topic_arn)
            .flat_map(|t| t["sent_notifications"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// Creates the sent-alerts table as the stack does (key `pk`, TTL on `expires`) and returns
    /// a client for it.
    pub async fn ledger_table(&self, name: &str) -> aws_sdk_dynamodb::Client {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TimeToLiveSpecification,
        };
        let client = aws_sdk_dynamodb::Client::new(&self.sdk().await);
        let key = KeySchemaElement::builder().attribute_name("pk").key_type(KeyType::Hash).build().unwrap();
        let attr =
            AttributeDefinition::builder().attribute_name("pk").attribute_type(ScalarAttributeType::S).build().unwrap();
        client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key)
            .attribute_definitions(attr)
            .send()
            .await
            .unwrap();
        let ttl = TimeToLiveSpecification::builder().attribute_name("expires").enabled(true).build().unwrap();
        client.update_time_to_live().table_name(name).time_to_live_specification(ttl).send().await.unwrap();
        client
    }

    /// Every message moto's SES has accepted.
    pub fn sent_messages(&self) -> Vec<serde_json::Value> {
        let (status, body) = self.http("GET", "/moto-api/data.json");
        assert_eq!(status, 200, "{body}");
        let data: serde_json::Value = serde_json::from_str(&body).unwrap();
        data["ses"]["Message"].as_array().cloned().unwrap_or_default()
    }

    /// Verifies `sender` in SES and stores `secret` (when given) as `name` in Secrets Manager.
    pub async fn prepare(&self, sender: &str, name: &str, secret: Option<&str>) -> aws_config::SdkConfig {
        let sdk = self.sdk().await;
        aws_sdk_sesv2::Client::new(&sdk).create_email_identity().email_identity(sender).send().await.unwrap();
        if let Some(value) = secret {
            let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
            secrets.create_secret().name(name).secret_string(value).send().await.unwrap();
        }
        sdk
    }

    /// [`Moto::prepare`] for the usual sender: `alerts@example.com`, its secret
    /// `trailwarden/sender` saying to send with the function's own role (`NA`), and a mailer to
    /// `secops@example.com` through it.
    pub async fn role_mailer(&self) -> (aws_config::SdkConfig, trailwarden::notify::ses::SesMailer) {
        let secret = r#"{"EMAIL_FROM":"alerts@example.com","ACCESS_KEY":"NA","ACCESS_SECRET_KEY":"NA"}"#;
        let sdk = self.prepare("alerts@example.com", "trailwarden/sender", Some(secret)).await;
        let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
        let mailer = trailwarden::notify::ses::SesMailer::new(
            &sdk,
            secrets,
            "trailwarden/sender",
            vec!["secops@example.com".into()],
        );
        (sdk, mailer)
    }

    /// An SDK configuration pointed at this server, with static test credentials, in us-east-1.
    pub async fn sdk(&self) -> aws_config::SdkConfig {
        self.sdk_in("us-east-1").await
    }

    /// [`Moto::sdk`] in another region (moto keeps each region's resources apart).
    pub async fn sdk_in(&self, region: &str) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()))
            .endpoint_url(&self.url)
            .credentials_provider(aws_sdk_sesv2::config::Credentials::new("testing", "testing", None, None, "test"))
            .load()
            .await
    }

    /// An SDK configuration acting in `account`: moto's STS AssumeRole hands out credentials that
    /// moto files every resource under the role's account for. Session `test-setup`.
    pub async fn sdk_as(&self, account: &str, region: &str) -> aws_config::SdkConfig {
        let base = self.sdk_in(region).await;
        let role = aws_config::sts::AssumeRoleProvider::builder(format!("arn:aws:iam::{account}:role/test-setup"))
            .session_name("test-setup")
            .configure(&base)
            .build()
            .await;
        base.into_builder().credentials_provider(aws_sdk_sesv2::config::SharedCredentialsProvider::new(role)).build()
    }

    /// Every AssumeRole moto's STS has answered (role_arn, session_name, account_id, ...).
    pub fn assumed_roles(&self) -> Vec<serde_json::Value> {
        let (status, body) = self.http("GET", "/moto-api/data.json");
        assert_eq!(status, 200, "{body}");
        let data: serde_json::Value = serde_json::from_str(&body).unwrap();
        data["sts"]["AssumedRole"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every Stratus Red Team detonation record of testdata/stratus, one pool, in file order.
pub fn stratus_records() -> Vec<serde_json::Value> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/stratus");
    let mut names: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    names
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .flat_map(|p| serde_json::from_str::<Vec<serde_json::Value>>(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

/// `bytes` gzip-compressed (fast level).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}
