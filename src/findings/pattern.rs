//! The EventBridge patterns that route findings to the function, at or above the configured
//! severity: GuardDuty's by its numeric score, Security Hub's by label (new and active only), and
//! the "Escalate to SOC" custom action's by its action target. The stack carries them
//! (`cloudformation/template.yaml`, through a mapping from its `FindingsMinSeverity` parameter);
//! `tests/cloudformation.rs` holds the two together.

use serde_json::{Value, json};

use crate::detail::Severity;

/// GuardDuty's numeric floor of a level: Low 1, Medium 4, High 7, Critical 9 (Info 0).
pub fn guardduty_floor(min: Severity) -> f64 {
    match min {
        Severity::Info => 0.0,
        Severity::Low => 1.0,
        Severity::Medium => 4.0,
        Severity::High => 7.0,
        Severity::Critical => 9.0,
    }
}

/// Security Hub's labels at or above `min`.
pub fn securityhub_labels(min: Severity) -> Vec<&'static str> {
    const LABELS: [(Severity, &str); 5] = [
        (Severity::Info, "INFORMATIONAL"),
        (Severity::Low, "LOW"),
        (Severity::Medium, "MEDIUM"),
        (Severity::High, "HIGH"),
        (Severity::Critical, "CRITICAL"),
    ];
    LABELS.iter().filter(|(s, _)| *s >= min).map(|(_, l)| *l).collect()
}

/// GuardDuty findings at or above `min` (numeric matching on `detail.severity`).
pub fn guardduty_pattern(min: Severity) -> Value {
    json!({
        "source": ["aws.guardduty"],
        "detail-type": [super::read::GUARDDUTY_DETAIL_TYPE],
        "detail": {"severity": [{"numeric": [">=", guardduty_floor(min)]}]}
    })
}

/// Security Hub findings imported at or above `min`, new and active (Security Hub's answer to a
/// workflow update is `NOTIFIED` and does not match).
pub fn securityhub_imported_pattern(min: Severity) -> Value {
    json!({
        "source": ["aws.securityhub"],
        "detail-type": [super::read::SECURITY_HUB_IMPORTED],
        "detail": {"findings": {
            "Severity": {"Label": securityhub_labels(min)},
            "Workflow": {"Status": ["NEW"]},
            "RecordState": ["ACTIVE"]
        }}
    })
}

/// Findings a person sent with the custom action whose ARN this is.
pub fn custom_action_pattern(action_target_arn: &str) -> Value {
    json!({
        "source": ["aws.securityhub"],
        "detail-type": [super::read::SECURITY_HUB_CUSTOM_ACTION],
        "resources": [action_target_arn]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floors_and_labels() {
        assert_eq!(guardduty_floor(Severity::Medium), 4.0);
        assert_eq!(guardduty_floor(Severity::Critical), 9.0);
        assert_eq!(securityhub_labels(Severity::High), ["HIGH", "CRITICAL"]);
        assert_eq!(securityhub_labels(Severity::Info).len(), 5);
        // A finding exactly at the floor is routed, and triage agrees it alerts.
        for min in Severity::ALL {
            let floor = guardduty_floor(min);
            if min > Severity::Info {
                assert_eq!(crate::findings::level_of_score(floor), min);
            }
        }
    }
}
