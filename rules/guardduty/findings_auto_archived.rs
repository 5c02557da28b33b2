use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A GuardDuty filter that archives findings: `CreateFilter` or `UpdateFilter` with
    /// `action: ARCHIVE` (a suppression rule: matching findings are archived as they arrive and
    /// never notify). A `NOOP` filter is a saved view and stays quiet. The alert shows the
    /// filter's criteria so the reader sees what is now hidden.
    /// ## Why it matters
    /// A broad suppression rule (every finding of a type, or every finding for an instance) is a
    /// way to blind GuardDuty without turning it off, which an alert on disabling would catch.
    /// ## How to fix
    /// Review the criteria (`aws guardduty get-filter --region <region> --detector-id <guardduty-detector> --filter-name <filter-name>`);
    /// narrow it to the known false positive, or delete it, and look at the archived findings it
    /// already hid.
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/findings_suppression-rule.html
    /// - https://docs.aws.amazon.com/guardduty/latest/APIReference/API_CreateFilter.html
    /// - https://attack.mitre.org/techniques/T1562/001/
    FINDINGS_AUTO_ARCHIVED {
        id: "guardduty-findings-auto-archived",
        title: "GuardDuty suppression rule archives findings",
        severity: Severity::Medium,
        source: "guardduty.amazonaws.com",
        events: &["CreateFilter", "UpdateFilter"],
        attack: Some("T1562.001"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    detector_id: Option<String>,
    name: Option<String>,
    filter_name: Option<String>,
    action: Option<String>,
    finding_criteria: Option<serde_json::Value>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    if !req.action.as_deref().is_some_and(|a| a.eq_ignore_ascii_case("ARCHIVE")) {
        return Ok(Vec::new());
    }
    let name = req.name.or(req.filter_name).unwrap_or_default();
    let detector = req.detector_id.unwrap_or_default();
    let mut detection = Detection::new(
        format!("GuardDuty filter {name} now archives matching findings in {}", ev.aws_region),
        Resource::new(ResourceKind::GUARDDUTY_DETECTOR, &detector),
    )
    .field("Detector", &detector)
    .field("Filter", &name)
    .param("filter-name", name);
    if let Some(criteria) = req.finding_criteria {
        detection = detection.field("Criteria", criteria.to_string());
    }
    Ok(vec![detection])
}
