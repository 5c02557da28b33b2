//! What an EventBridge event carries, read from its envelope before anything else, so that an
//! event of a kind no rule takes is turned away ("not for me") instead of failing as a bad record.

use std::borrow::Cow;

use serde::Deserialize;

use crate::rule::InputKind;

/// What a JSON payload holds, by its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carries {
    /// An input of a kind the crate reads (a CloudTrail record, enveloped or bare).
    Input(InputKind),
    /// An EventBridge event of another kind: its `source` and `detail-type`.
    Other { source: String, detail_type: String },
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "detail-type", borrow, default)]
    detail_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    source: Option<Cow<'a, str>>,
}

/// Classifies a payload by its EventBridge envelope. CloudTrail's detail-types all end in
/// "via CloudTrail" (API calls, console sign-ins, console actions, service events); GuardDuty's
/// and Security Hub's finding events carry findings; a payload
/// without a `detail-type` is taken as a bare record. Text that is not a JSON object is left to
/// the record reader, which says what is wrong with it.
pub fn carries(payload: &str) -> Carries {
    let Ok(env) = serde_json::from_str::<Envelope>(payload) else {
        return Carries::Input(InputKind::CloudTrail);
    };
    match env.detail_type {
        Some(t) if crate::findings::read::is_findings_detail_type(&t) => Carries::Input(InputKind::Finding),
        Some(t) if !t.ends_with("via CloudTrail") => {
            Carries::Other { source: env.source.map(Cow::into_owned).unwrap_or_default(), detail_type: t.into_owned() }
        }
        _ => Carries::Input(InputKind::CloudTrail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let gd = r#"{"version":"0","id":"x","detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{"schemaVersion":"2.0","type":"Recon:EC2/PortProbeUnprotectedPort"}}"#;
        assert_eq!(carries(gd), Carries::Input(InputKind::Finding));
        let sh = r#"{"detail-type":"Security Hub Findings - Custom Action","source":"aws.securityhub","detail":{}}"#;
        assert_eq!(carries(sh), Carries::Input(InputKind::Finding));
        let other = r#"{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{}}"#;
        assert_eq!(
            carries(other),
            Carries::Other { source: "aws.ec2".into(), detail_type: "EC2 Instance State-change Notification".into() }
        );
        let ct = r#"{"detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","detail":{"eventName":"X"}}"#;
        assert_eq!(carries(ct), Carries::Input(InputKind::CloudTrail));
        assert_eq!(carries(r#"{"eventName":"StopLogging"}"#), Carries::Input(InputKind::CloudTrail));
        assert_eq!(carries("not json"), Carries::Input(InputKind::CloudTrail));
    }
}
