//! Suppressions: known, reviewed exceptions that should not page anyone, each with a reason and
//! optionally an expiry date.
//!
//! ```toml
//! [[suppress]]
//! rule = "ec2-sg-ingress-open-to-world"                      # rule id (glob)
//! account = "111122223333"                                     # glob
//! region = "eu-west-1"                                         # glob
//! actor = "arn:aws:sts::111122223333:assumed-role/terraform-*" # actor ARN (glob)
//! invoked_by = "cloudformation.amazonaws.com"                  # the service that acted for the actor (glob)
//! resource = "sg-0bastion*"                                    # resource id (glob)
//! event = "Recon:EC2/PortProbe*"                               # event name, or a finding's type (glob)
//! reason = "Public bastion, reviewed in SEC-123"               # mandatory
//! expires = 2026-12-31                                         # optional; then it stops suppressing
//! ```
//!
//! An entry matches an alert when every field it sets matches; it must set at least one. An
//! expired entry warns (at load) and suppresses nothing.

use std::fmt;

use globset::{Glob, GlobMatcher};
use serde::Deserialize;

use crate::detail::EventDetail;

/// One suppression entry.
#[derive(Debug, Clone)]
pub struct Suppression {
    /// 1-based position in the file, and the line it starts on, for messages.
    pub index: usize,
    pub line: usize,
    pub reason: String,
    /// `YYYY-MM-DD`, inclusive: the entry suppresses through that whole day (UTC).
    pub expires: Option<String>,
    matchers: Vec<(Field, String, GlobMatcher)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Rule,
    Account,
    Region,
    Actor,
    InvokedBy,
    Resource,
    Event,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Rule => "rule",
            Field::Account => "account",
            Field::Region => "region",
            Field::Actor => "actor",
            Field::InvokedBy => "invoked_by",
            Field::Resource => "resource",
            Field::Event => "event",
        }
    }

    fn of(self, d: &EventDetail) -> Option<&str> {
        Some(match self {
            Field::Rule => &d.rule_id,
            Field::Account => &d.account_id,
            Field::Region => &d.region,
            Field::Actor => &d.actor.arn,
            // A call made directly has no service: an `invoked_by` entry never matches it.
            Field::InvokedBy => return d.actor.invoked_by.as_deref(),
            Field::Resource => &d.resource.id,
            Field::Event => &d.event_name,
        })
    }
}

impl Suppression {
    /// True when every field the entry sets matches the alert.
    pub fn matches(&self, d: &EventDetail) -> bool {
        self.matchers.iter().all(|(field, _, m)| field.of(d).is_some_and(|v| m.is_match(v)))
    }

    /// True when the entry's expiry date is before `today` (`YYYY-MM-DD`).
    pub fn expired(&self, today: &str) -> bool {
        self.expires.as_deref().is_some_and(|e| e < today)
    }
}

impl fmt::Display for Suppression {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "suppression #{} (line {})", self.index, self.line)?;
        for (field, pattern, _) in &self.matchers {
            write!(f, " {}={pattern}", field.name())?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// A suppressions file that could not be used, naming the line.
#[derive(Debug, thiserror::Error)]
#[error("suppressions {origin}: {message}")]
pub struct SuppressionError {
    pub origin: String,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    suppress: Vec<toml::Spanned<Entry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    rule: Option<String>,
    account: Option<String>,
    region: Option<String>,
    actor: Option<String>,
    invoked_by: Option<String>,
    resource: Option<String>,
    event: Option<String>,
    reason: Option<String>,
    expires: Option<toml::value::Datetime>,
}

/// Every suppression of a file, in order.
#[derive(Debug, Clone, Default)]
pub struct Suppressions(pub Vec<Suppression>);

impl Suppressions {
    /// Parses a suppressions file's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, SuppressionError> {
        let err = |message: String| SuppressionError { origin: origin.to_string(), message };
        let file: File = toml::from_str(text).map_err(|e| err(e.to_string().trim_end().to_string()))?;
        let mut out = Vec::new();
        for (i, spanned) in file.suppress.into_iter().enumerate() {
            let line = text[..spanned.span().start.min(text.len())].matches('\n').count() + 1;
            let at = |m: &str| err(format!("entry #{} (line {line}): {m}", i + 1));
            let e = spanned.into_inner();
            let reason = e.reason.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
            let reason = reason.ok_or_else(|| at("`reason` is required: say why this is not an alert"))?;
            let expires = match e.expires {
                Some(dt) => match (dt.date, dt.time) {
                    (Some(d), None) => Some(format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)),
                    _ => return Err(at("`expires` must be a date like 2026-12-31")),
                },
                None => None,
            };
            let mut matchers = Vec::new();
            for (field, value) in [
                (Field::Rule, e.rule),
                (Field::Account, e.account),
                (Field::Region, e.region),
                (Field::Actor, e.actor),
                (Field::InvokedBy, e.invoked_by),
                (Field::Resource, e.resource),
                (Field::Event, e.event),
            ] {
                if let Some(pattern) = value {
                    let glob = Glob::new(&pattern).map_err(|g| at(&format!("`{}`: {g}", field.name())))?;
                    matchers.push((field, pattern, glob.compile_matcher()));
                }
            }
            if matchers.is_empty() {
                return Err(at("set at least one of rule, account, region, actor, invoked_by, resource, event"));
            }
            out.push(Suppression { index: i + 1, line, reason, expires, matchers });
        }
        Ok(Suppressions(out))
    }

    /// Reads a suppressions file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, SuppressionError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| SuppressionError { origin: origin.clone(), message: format!("cannot read: {e}") })?;
        Suppressions::parse(&text, &origin)
    }

    /// One warning per entry that expired before `today`: it no longer suppresses anything.
    pub fn warnings(&self, today: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|s| s.expired(today))
            .map(|s| format!("{s} expired on {}; it no longer suppresses", s.expires.as_deref().unwrap_or_default()))
            .collect()
    }

    /// The first live entry matching the alert.
    pub fn find(&self, d: &EventDetail, today: &str) -> Option<&Suppression> {
        self.0.iter().find(|s| !s.expired(today) && s.matches(d))
    }
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    civil_date(secs / 86_400)
}

/// Days since 1970-01-01 to `YYYY-MM-DD` (Howard Hinnant's civil-from-days).
fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(19_723), "2024-01-01");
        assert_eq!(civil_date(20_513), "2026-03-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
    }
}
