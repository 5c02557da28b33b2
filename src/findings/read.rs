//! Every document shape findings come in, told apart from CloudTrail by their top-level keys:
//!
//! - an EventBridge `GuardDuty Finding` event (`detail` is the finding);
//! - an EventBridge `Security Hub Findings - Imported` or `- Custom Action` event
//!   (`detail.findings[]`, ASFF; a custom action names itself in `detail.actionName`);
//! - `aws guardduty get-findings` or `aws securityhub get-findings` output (`{"Findings": [...]}`);
//! - a bare finding, either format (a line of GuardDuty's S3 export, one ASFF finding), or an
//!   array of them.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

use super::{Finding, asff, guardduty};
use crate::detail::Severity;

/// EventBridge detail-types that carry findings.
pub const GUARDDUTY_DETAIL_TYPE: &str = "GuardDuty Finding";
pub const SECURITY_HUB_IMPORTED: &str = "Security Hub Findings - Imported";
pub const SECURITY_HUB_CUSTOM_ACTION: &str = "Security Hub Findings - Custom Action";

/// True for an EventBridge detail-type whose events carry findings.
pub fn is_findings_detail_type(detail_type: &str) -> bool {
    detail_type == GUARDDUTY_DETAIL_TYPE
        || detail_type == SECURITY_HUB_IMPORTED
        || detail_type == SECURITY_HUB_CUSTOM_ACTION
}

/// True when a GuardDuty finding event certainly stays quiet below `min`: it is a `GuardDuty
/// Finding` event whose one `"severity"` key holds a score under `min`'s floor. Found without
/// parsing (a few memchr passes), so the Lambda turns such events away in well under the time a
/// parse takes; `false` whenever that is not certain (another shape, several `"severity"` keys,
/// a score written otherwise), and the event is then read and triaged in full.
pub fn surely_below(text: &str, min: Severity) -> bool {
    use std::sync::OnceLock;
    static KEYS: OnceLock<(memchr::memmem::Finder<'static>, memchr::memmem::Finder<'static>)> = OnceLock::new();
    let (kind, severity) = KEYS.get_or_init(|| {
        (memchr::memmem::Finder::new(b"\"GuardDuty Finding\""), memchr::memmem::Finder::new(b"\"severity\""))
    });
    let bytes = text.as_bytes();
    if kind.find(bytes).is_none() {
        return false;
    }
    let mut found = severity.find_iter(bytes);
    let (Some(at), None) = (found.next(), found.next()) else { return false };
    let rest = text[at + "\"severity\"".len()..].trim_start();
    let Some(value) = rest.strip_prefix(':').map(str::trim_start) else { return false };
    let end = value.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(value.len());
    let followed = value[end..].trim_start();
    if !(followed.starts_with(',') || followed.starts_with('}')) {
        return false;
    }
    match value[..end].parse::<f64>() {
        Ok(score) => super::level_of_score(score) < min,
        Err(_) => false,
    }
}

/// The top-level keys that tell a findings document from a CloudTrail one.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Sniff<'a> {
    #[serde(rename = "detail-type", borrow)]
    detail_type: Option<Cow<'a, str>>,
    #[serde(rename = "Findings")]
    findings: Option<IgnoredAny>,
    #[serde(rename = "schemaVersion")]
    schema_version: Option<IgnoredAny>,
    #[serde(rename = "SchemaVersion")]
    schema_version_pascal: Option<IgnoredAny>,
    #[serde(rename = "eventVersion")]
    event_version: Option<IgnoredAny>,
    #[serde(rename = "eventName")]
    event_name: Option<IgnoredAny>,
    #[serde(rename = "Records")]
    records: Option<IgnoredAny>,
}

/// Does this JSON document (one value's text) hold findings rather than CloudTrail records?
/// Decided by its top-level keys alone; an array is judged by its first element.
pub fn holds_findings(text: &str) -> bool {
    let text = text.trim_start();
    if let Some(rest) = text.strip_prefix('[') {
        let mut de = serde_json::Deserializer::from_str(rest.trim_start());
        return Sniff::deserialize(&mut de).is_ok_and(|s| s.is_findings());
    }
    serde_json::from_str::<Sniff>(text).is_ok_and(|s| s.is_findings())
}

impl Sniff<'_> {
    fn is_findings(&self) -> bool {
        if let Some(t) = &self.detail_type {
            return is_findings_detail_type(t);
        }
        if self.event_version.is_some() || self.event_name.is_some() || self.records.is_some() {
            return false;
        }
        self.findings.is_some() || self.schema_version.is_some() || self.schema_version_pascal.is_some()
    }
}

/// One finding of a document, or why it could not be read: `(index in the document, what)`.
pub type Read = Result<Finding, (usize, String)>;

/// Reads every finding of a findings document ([`holds_findings`]). A document that is not
/// JSON or not one of the shapes is one error; a finding that cannot be read is an error naming
/// its index and field, and the others are still read.
pub fn document(text: &str) -> Vec<Read> {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return vec![Err((0, format!("invalid JSON: {e}")))],
    };
    let mut out = Vec::new();
    match value {
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                out.push(bare(item).map_err(|e| (i, e)));
            }
        }
        Value::Object(mut map) => {
            let detail_type = map.get("detail-type").and_then(Value::as_str).map(str::to_string);
            match detail_type.as_deref() {
                Some(GUARDDUTY_DETAIL_TYPE) => match map.remove("detail") {
                    Some(detail) => out.push(guardduty::from_value(detail).map_err(|e| (0, in_detail(e)))),
                    None => out.push(Err((0, "field `detail`: missing".into()))),
                },
                Some(t @ (SECURITY_HUB_IMPORTED | SECURITY_HUB_CUSTOM_ACTION)) => {
                    let custom = t == SECURITY_HUB_CUSTOM_ACTION;
                    let mut detail = map.remove("detail").unwrap_or(Value::Null);
                    let action = detail.get("actionName").and_then(Value::as_str).map(str::to_string);
                    match detail.get_mut("findings").map(Value::take) {
                        Some(Value::Array(items)) => {
                            for (i, item) in items.into_iter().enumerate() {
                                let read = asff::from_value(item).map(|mut f| {
                                    if custom {
                                        f.custom_action =
                                            Some(action.clone().unwrap_or_else(|| "custom action".into()));
                                    }
                                    f
                                });
                                out.push(read.map_err(|e| (i, format!("detail.findings[{i}]: {e}"))));
                            }
                        }
                        _ => out.push(Err((0, "field `detail.findings`: missing or not an array".into()))),
                    }
                }
                Some(other) => {
                    out.push(Err((0, format!("`{}` events hold no findings", crate::text::one_line(other)))))
                }
                None => match map.remove("Findings") {
                    Some(Value::Array(items)) => {
                        for (i, item) in items.into_iter().enumerate() {
                            out.push(bare(item).map_err(|e| (i, format!("Findings[{i}]: {e}"))));
                        }
                    }
                    Some(_) => out.push(Err((0, "field `Findings`: not an array".into()))),
                    None => out.push(bare(Value::Object(map)).map_err(|e| (0, e))),
                },
            }
        }
        other => out.push(Err((0, format!("expected a finding (a JSON object), found {}", kind(&other))))),
    }
    out
}

fn in_detail(e: String) -> String {
    match e.strip_prefix("field `") {
        Some(rest) => format!("field `detail.{rest}"),
        None => e,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One finding without an envelope: ASFF when it names a `ProductArn`, GuardDuty's otherwise.
fn bare(v: Value) -> Result<Finding, String> {
    match &v {
        Value::Object(map) if map.contains_key("ProductArn") || map.contains_key("AwsAccountId") => asff::from_value(v),
        Value::Object(_) => guardduty::from_value(v),
        other => Err(format!("expected a finding (a JSON object), found {}", kind(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surely_below_only_when_certain() {
        let gd = |sev: &str| {
            format!(
                r#"{{"detail-type":"GuardDuty Finding","detail":{{"type":"Recon:EC2/X","severity":{sev},"title":"t"}}}}"#
            )
        };
        assert!(surely_below(&gd("2"), Severity::Medium));
        assert!(surely_below(&gd("3.9"), Severity::Medium));
        assert!(!surely_below(&gd("4.0"), Severity::Medium));
        assert!(!surely_below(&gd("8"), Severity::Medium));
        assert!(!surely_below(&gd("\"2\""), Severity::Medium));
        assert!(!surely_below(&gd("2e1"), Severity::Medium));
        let two = r#"{"detail-type":"GuardDuty Finding","detail":{"severity":2,"service":{"x":{"severity":9}}}}"#;
        assert!(!surely_below(two, Severity::Medium));
        let sh = r#"{"detail-type":"Security Hub Findings - Imported","detail":{"findings":[{"severity":1}]}}"#;
        assert!(!surely_below(sh, Severity::Medium));
    }

    #[test]
    fn tells_findings_from_cloudtrail() {
        assert!(holds_findings(r#"{"version":"0","detail-type":"GuardDuty Finding","detail":{}}"#));
        assert!(holds_findings(r#"{"detail-type":"Security Hub Findings - Imported","detail":{}}"#));
        assert!(!holds_findings(r#"{"detail-type":"AWS API Call via CloudTrail","detail":{}}"#));
        assert!(holds_findings(r#"{"Findings":[]}"#));
        assert!(holds_findings(r#"{"schemaVersion":"2.0","arn":"x","type":"y"}"#));
        assert!(holds_findings(r#"[{"SchemaVersion":"2018-10-08","ProductArn":"p"}]"#));
        assert!(!holds_findings(r#"{"eventVersion":"1.08","eventName":"X"}"#));
        assert!(!holds_findings(r#"{"Records":[]}"#));
        assert!(!holds_findings(r#"[{"eventName":"X"}]"#));
        assert!(!holds_findings("not json"));
    }
}
