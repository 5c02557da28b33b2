//! GuardDuty and Security Hub findings as an input: the model every finding is read into,
//! whatever shape it came in, and the triage that decides which findings may alert at all.
//!
//! A *finding* here is what GuardDuty or Security Hub reports and trailwarden reads; what a
//! trailwarden rule reports is a [`Detection`](crate::detail::Detection), joined into an alert
//! ([`EventDetail`](crate::detail::EventDetail)). A finding rule turns an incoming finding into
//! a detection; the alert says both.
//!
//! - [`guardduty`]: GuardDuty's own shape (camelCase in EventBridge and in its S3 export,
//!   PascalCase from `aws guardduty get-findings`).
//! - [`asff`]: the AWS Security Finding Format of Security Hub (GuardDuty's findings forwarded,
//!   Inspector, Macie, Security Hub's own control checks, and any other product).
//! - [`read`]: every document shape findings come in, told apart from CloudTrail by content.
//! - [`check`]: how finding rules take findings, and the generic check most of them use.

use std::fmt;

use serde::Serialize;

use crate::detail::{Resource, Severity};

pub mod asff;
pub mod check;
pub mod guardduty;
pub mod pattern;
pub mod read;

/// The format a finding was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// GuardDuty's own finding format (schema 2.0).
    GuardDuty,
    /// The AWS Security Finding Format (Security Hub).
    Asff,
}

/// The product that produced a finding, as finding rules match it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Product {
    GuardDuty,
    /// Security Hub's own checks (security controls, standards).
    SecurityHub,
    Inspector,
    Macie,
    /// Any other product integrated with Security Hub (Config, IAM Access Analyzer, partners).
    Other,
}

impl Product {
    /// The name finding rules declare as their `source`: `GuardDuty`, `Security Hub`, ...
    pub const fn name(self) -> &'static str {
        match self {
            Product::GuardDuty => "GuardDuty",
            Product::SecurityHub => "Security Hub",
            Product::Inspector => "Inspector",
            Product::Macie => "Macie",
            Product::Other => "Other",
        }
    }

    /// The product of an ASFF finding, from its `ProductName` (or its product ARN's last part).
    pub fn from_asff(product_name: &str, product_arn: &str) -> Product {
        let name = if product_name.is_empty() { product_arn.rsplit('/').next().unwrap_or("") } else { product_name };
        match name.to_ascii_lowercase().replace(' ', "").as_str() {
            "guardduty" => Product::GuardDuty,
            "securityhub" => Product::SecurityHub,
            "inspector" => Product::Inspector,
            "macie" => Product::Macie,
            _ => Product::Other,
        }
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a finding saw happen: the connection, DNS query, API call or login behind it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Seen {
    /// GuardDuty's action type: `NETWORK_CONNECTION`, `DNS_REQUEST`, `AWS_API_CALL`,
    /// `PORT_PROBE`, `KUBERNETES_API_CALL`, `RDS_LOGIN_ATTEMPT`, ... (empty when none).
    pub action: String,
    /// The remote address involved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// The remote address's organisation or ISP, with its AS number when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// The API called (`AWS_API_CALL`): `ListBuckets`, with its service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The domain queried (`DNS_REQUEST`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// `INBOUND`/`OUTBOUND`, protocol and ports of a connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_port: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_port: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The process a runtime-monitoring finding names (`/tmp/xmrig`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
}

impl Seen {
    /// One line for people: `DNS request for evil.example`, `inbound TCP connection from
    /// 198.51.100.7 (Germany, Example ISP) to port 22`, `API call s3:ListBuckets from ...`.
    pub fn describe(&self) -> String {
        let from = self.remote_ip.as_deref().map(|ip| {
            let place: Vec<&str> =
                [self.country.as_deref(), self.organization.as_deref()].into_iter().flatten().collect();
            if place.is_empty() { ip.to_string() } else { format!("{ip} ({})", place.join(", ")) }
        });
        let mut out = match self.action.as_str() {
            "DNS_REQUEST" => format!("DNS request for {}", self.domain.as_deref().unwrap_or("(unknown domain)")),
            "AWS_API_CALL" => {
                let api = self.api.as_deref().unwrap_or("(unknown API)");
                match self.service.as_deref().map(|s| s.trim_end_matches(".amazonaws.com")) {
                    Some(service) if !service.is_empty() => format!("API call {service}:{api}"),
                    _ => format!("API call {api}"),
                }
            }
            "NETWORK_CONNECTION" => {
                let dir = self.direction.as_deref().unwrap_or("").to_ascii_lowercase();
                let proto = self.protocol.as_deref().unwrap_or("");
                format!("{} {} connection", dir, proto).split_whitespace().collect::<Vec<_>>().join(" ")
            }
            "PORT_PROBE" => "port probe".to_string(),
            "KUBERNETES_API_CALL" => "Kubernetes API call".to_string(),
            "RDS_LOGIN_ATTEMPT" => "database login attempt".to_string(),
            "" if self.process.is_some() => "process".to_string(),
            other => other.to_ascii_lowercase().replace('_', " "),
        };
        if let Some(process) = &self.process {
            out.push_str(&format!(" by process {process}"));
        }
        if let Some(from) = from {
            out.push_str(&format!(" from {from}"));
        }
        if let Some(port) = self.local_port {
            out.push_str(&format!(" to port {port}"));
        }
        out
    }

    /// True when the finding saw nothing worth a line.
    pub fn is_empty(&self) -> bool {
        self.action.is_empty() && self.remote_ip.is_none() && self.process.is_none()
    }
}

/// One GuardDuty or Security Hub finding, whatever shape it came in: what finding rules read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The finding's ARN: GuardDuty's `arn`, ASFF's `Id` (the same ARN for a GuardDuty finding
    /// forwarded by Security Hub). Alerts are deduplicated on it.
    pub id: String,
    pub format: Format,
    pub product: Product,
    /// The product's name as the finding writes it (`GuardDuty`, `IAM Access Analyzer`).
    pub product_name: String,
    /// ASFF's `ProductArn` (what `BatchUpdateFindings` needs with the id); `None` for GuardDuty's
    /// own format.
    pub product_arn: Option<String>,
    /// GuardDuty's finding type (`Backdoor:EC2/C&CActivity.B!DNS`), also for a GuardDuty finding
    /// in ASFF (recovered from `Types`); otherwise the first ASFF `Types` entry.
    pub finding_type: String,
    pub title: String,
    pub description: String,
    /// GuardDuty's score, 1.0 to 10.0 (ASFF: `Severity.Product` of a GuardDuty finding).
    pub score: Option<f64>,
    /// The finding's severity level: from GuardDuty's score, or Security Hub's label.
    pub level: Severity,
    pub account_id: String,
    pub region: String,
    pub partition: String,
    pub created_at: String,
    pub updated_at: String,
    pub first_seen: String,
    pub last_seen: String,
    /// How many times the activity was seen (GuardDuty's `service.count`).
    pub count: u64,
    /// A sample finding (generated by `CreateSampleFindings` or the console): never alerts.
    pub sample: bool,
    /// An archived GuardDuty finding: never alerts.
    pub archived: bool,
    /// ASFF `Workflow.Status` (`NEW`, `NOTIFIED`, `SUPPRESSED`, `RESOLVED`).
    pub workflow: Option<String>,
    /// ASFF `RecordState` (`ACTIVE`, `ARCHIVED`).
    pub record_state: Option<String>,
    /// A Security Hub control's id (`EC2.19`) and its compliance status (`FAILED`).
    pub control_id: Option<String>,
    pub compliance_status: Option<String>,
    /// The resource's type as the finding names it: GuardDuty's `resourceType` (`Instance`,
    /// `AccessKey`, `S3Bucket`, `EKSCluster`, ...) or ASFF's (`AwsEc2Instance`, ...).
    pub resource_type: String,
    /// The resource hit, and what the finding says of it (Name tag, ENIs, security groups, VPC,
    /// user, ...), in order.
    pub resource: Resource,
    pub resource_fields: Vec<(String, String)>,
    pub seen: Seen,
    /// CVE ids of an Inspector finding.
    pub vulnerabilities: Vec<String>,
    /// The Security Hub custom action a person chose (`Escalate to SOC`), when the finding came
    /// in a "Security Hub Findings - Custom Action" event.
    pub custom_action: Option<String>,
}

impl Finding {
    /// The finding's type family, before the first `:` or `/`: `Backdoor`, `AttackSequence`,
    /// `Software and Configuration Checks`.
    pub fn family(&self) -> &str {
        let end = self.finding_type.find([':', '/']).unwrap_or(self.finding_type.len());
        &self.finding_type[..end]
    }

    /// GuardDuty's finding id, the ARN's last part.
    pub fn short_id(&self) -> &str {
        self.id.rsplit('/').next().unwrap_or(&self.id)
    }
}

/// Why a finding stays quiet before any rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Quiet {
    /// A sample finding.
    Sample,
    /// An archived GuardDuty finding.
    Archived,
    /// ASFF workflow `SUPPRESSED` or `RESOLVED`.
    Workflow(String),
    /// ASFF record state `ARCHIVED`.
    RecordArchived,
    /// Below `findings_min_severity`.
    BelowThreshold { level: Severity, min: Severity },
}

impl fmt::Display for Quiet {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Quiet::Sample => f.write_str("a sample finding"),
            Quiet::Archived => f.write_str("an archived finding"),
            Quiet::Workflow(status) => write!(f, "workflow status {}", crate::text::one_line(status)),
            Quiet::RecordArchived => f.write_str("record state ARCHIVED"),
            Quiet::BelowThreshold { level, min } => {
                write!(f, "severity {level}, below findings_min_severity {min}")
            }
        }
    }
}

/// Triage: why the finding stays quiet, or `None` when rules may alert on it. A finding brought
/// by a person's custom action alerts whatever its severity and workflow; a sample never does.
pub fn triage(finding: &Finding, min: Severity) -> Option<Quiet> {
    if finding.sample {
        return Some(Quiet::Sample);
    }
    if finding.custom_action.is_some() {
        return None;
    }
    if finding.archived {
        return Some(Quiet::Archived);
    }
    if let Some(status) = &finding.workflow
        && (status.eq_ignore_ascii_case("SUPPRESSED") || status.eq_ignore_ascii_case("RESOLVED"))
    {
        return Some(Quiet::Workflow(status.clone()));
    }
    if finding.record_state.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("ARCHIVED")) {
        return Some(Quiet::RecordArchived);
    }
    if finding.level < min {
        return Some(Quiet::BelowThreshold { level: finding.level, min });
    }
    None
}

/// Once per finding, within one run (replay): a finding alerts the first time its id is met,
/// and again only when its level rises. GuardDuty re-publishes a recurring finding with a higher
/// count, Security Hub forwards it again, EventBridge delivers at least once: none of these is a
/// new alert. (The Lambda keeps the same rule across invocations in DynamoDB: `crate::dedupe`.)
#[derive(Debug, Default)]
pub struct Repeats {
    seen: std::collections::HashMap<String, Severity>,
}

impl Repeats {
    /// True when a finding with this id at this level should alert (and remembers it).
    pub fn first(&mut self, id: &str, level: Severity) -> bool {
        match self.seen.get_mut(id) {
            Some(known) if *known >= level => false,
            Some(known) => {
                *known = level;
                true
            }
            None => {
                self.seen.insert(id.to_string(), level);
                true
            }
        }
    }

    /// Drops from `details` the finding alerts already raised at their level or higher; returns
    /// how many were dropped. CloudTrail alerts pass untouched.
    pub fn filter(&mut self, details: &mut Vec<crate::detail::EventDetail>) -> u64 {
        let before = details.len();
        details.retain(|d| match d.origin.finding() {
            Some(origin) => self.first(&d.event_id, origin.level),
            None => true,
        });
        (before - details.len()) as u64
    }
}

/// What a finding type means, in plain words, by its family (GuardDuty's threat purposes, and
/// Security Hub's type namespaces); empty for a family not known here.
pub fn meaning(finding_type: &str) -> &'static str {
    let family = finding_type.split([':', '/']).next().unwrap_or("");
    match family {
        "AttackSequence" => "several findings together form one attack in progress: GuardDuty has linked them",
        "Backdoor" => "the resource is likely compromised and taking orders from, or working for, an attacker",
        "Behavior" => "the resource behaves unlike its baseline, in a way attackers' tools do",
        "CredentialAccess" => "someone is trying to obtain passwords, keys or other credentials",
        "CryptoCurrency" => "the resource mines or trades cryptocurrency: usually a sign it was taken over",
        "DefenseEvasion" => "someone is trying to hide activity or switch off security controls",
        "Discovery" => "someone is mapping the account or system: what exists and what they can reach",
        "Execution" => "malicious code was run or is running",
        "Exfiltration" => "data is being taken out of the account",
        "Impact" => "someone is abusing or damaging the resource or its data (denial of service, destruction, miners)",
        "InitialAccess" => "an attacker is trying to get a first foothold",
        "PenTest" | "Pentest" => "a penetration-testing tool is in use: authorised testing, or an attacker using one",
        "Persistence" => "someone with access is making sure they keep it (new keys, users, backdoors)",
        "Policy" => "a security setting was changed against recommended practice (for example, public access)",
        "PrivilegeEscalation" => "someone is trying to gain more permissions than they were given",
        "Recon" => "someone is probing for weaknesses: scanning ports or listing permissions",
        "Stealth" => "someone is trying to cover their tracks (logging switched off, anonymising proxies)",
        "Trojan" => "a trojan program is on the resource and talking to its operators",
        "UnauthorizedAccess" => {
            "someone is accessing, or trying to access, what they should not (brute force, stolen credentials, blocked or malicious addresses)"
        }
        "Software and Configuration Checks" => {
            "a configuration or software weakness (a failed control, a vulnerability)"
        }
        "Sensitive Data Identifications" => {
            "sensitive data (personal, financial, credentials) was found where it may be exposed"
        }
        "TTPs" => "activity matching an attacker's tactics, techniques and procedures",
        "Effects" => "an attack's effect was observed (data exposure, resource consumption)",
        "Unusual Behaviors" => "activity out of the ordinary for this resource or principal",
        _ => "",
    }
}

/// GuardDuty's score as a level: Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0;
/// below 1.0 (not a GuardDuty score) Info.
pub fn level_of_score(score: f64) -> Severity {
    match score {
        s if s >= 9.0 => Severity::Critical,
        s if s >= 7.0 => Severity::High,
        s if s >= 4.0 => Severity::Medium,
        s if s >= 1.0 => Severity::Low,
        _ => Severity::Info,
    }
}

/// Security Hub's severity label as a level (`INFORMATIONAL` is Info); `None` for another word.
pub fn level_of_label(label: &str) -> Option<Severity> {
    match label.trim().to_ascii_uppercase().as_str() {
        "INFORMATIONAL" => Some(Severity::Info),
        "LOW" => Some(Severity::Low),
        "MEDIUM" => Some(Severity::Medium),
        "HIGH" => Some(Severity::High),
        "CRITICAL" => Some(Severity::Critical),
        _ => None,
    }
}

/// Does `glob` (where `*` matches any run of characters, every other character itself) match
/// `text`? Finding rules match types with it: `Backdoor:EC2/*`, `*:S3/*`.
pub fn glob_match(glob: &str, text: &str) -> bool {
    let mut parts = glob.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The finding's page in the GuardDuty console (by its id) or in Security Hub (by its ARN),
/// when every part checks out.
pub fn console_url(product: &str, arn: &str, region: &str) -> Option<String> {
    if !crate::text::valid_region(region) || arn.len() > 512 {
        return None;
    }
    let arn_ok = arn.starts_with("arn:") && arn.bytes().all(|b| b.is_ascii_alphanumeric() || b":/._-".contains(&b));
    if !arn_ok {
        return None;
    }
    if product == "GuardDuty" {
        let id = arn.rsplit('/').next().unwrap_or("");
        let from_guardduty = arn.starts_with("arn:aws:guardduty:") || arn.starts_with("arn:aws-us-gov:guardduty:");
        if from_guardduty && !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Some(format!(
                "https://{region}.console.aws.amazon.com/guardduty/home?region={region}#/findings?macros=current&fId={id}"
            ));
        }
    }
    // Security Hub's findings page filtered on the id (`Id` EQUALS the ARN), URL-encoded.
    let encoded = arn.replace(':', "%253A").replace('/', "%252F");
    Some(format!(
        "https://{region}.console.aws.amazon.com/securityhub/home?region={region}#/findings?search=Id%3D%255Coperator%255C%253AEQUALS%255C%253A{encoded}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("Backdoor:EC2/*", "Backdoor:EC2/C&CActivity.B!DNS"));
        assert!(!glob_match("Backdoor:EC2/*", "Backdoor:Runtime/C&CActivity.B"));
        assert!(glob_match("*:S3/*", "Policy:S3/BucketBlockPublicAccessDisabled"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXbYc"));
        assert!(!glob_match("a*b*c", "aXbY"));
        assert!(!glob_match("ab*ba", "aba"));
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("exact", "exactly"));
    }

    #[test]
    fn levels() {
        assert_eq!(level_of_score(3.9), Severity::Low);
        assert_eq!(level_of_score(4.0), Severity::Medium);
        assert_eq!(level_of_score(6.9), Severity::Medium);
        assert_eq!(level_of_score(7.0), Severity::High);
        assert_eq!(level_of_score(8.9), Severity::High);
        assert_eq!(level_of_score(9.0), Severity::Critical);
        assert_eq!(level_of_score(10.0), Severity::Critical);
        assert_eq!(level_of_label("informational"), Some(Severity::Info));
        assert_eq!(level_of_label("CRITICAL"), Some(Severity::Critical));
        assert_eq!(level_of_label("SEVERE"), None);
    }
}
