use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A GuardDuty trusted IP list created or changed: `CreateIPSet` or `UpdateIPSet`. GuardDuty
    /// never reports activity from the addresses in an IP set, so whoever controls the list
    /// decides what GuardDuty cannot see. An `UpdateIPSet` that only deactivates the list
    /// (`activate: false`) stays quiet. Threat lists (`CreateThreatIntelSet`) only add findings
    /// and are not watched.
    /// ## Why it matters
    /// Adding their own addresses to the trusted list is how an intruder with GuardDuty
    /// permissions makes every later call from those addresses invisible to it: a quiet,
    /// lasting blind spot (Panther, Elastic and Sigma all watch for it).
    /// ## How to fix
    /// Read the list (`aws guardduty get-ip-set --region <region> --detector-id <guardduty-detector> --ip-set-id <ip-set-id>`)
    /// and its S3 object; remove addresses you do not own, or delete the set. Allow
    /// `guardduty:CreateIPSet`/`UpdateIPSet` only to the security team.
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_upload-lists.html
    /// - https://docs.aws.amazon.com/guardduty/latest/APIReference/API_CreateIPSet.html
    /// - https://attack.mitre.org/techniques/T1562/001/
    TRUSTED_IP_LIST {
        id: "guardduty-trusted-ip-list-changed",
        title: "GuardDuty trusted IP list created or changed",
        severity: Severity::High,
        source: "guardduty.amazonaws.com",
        events: &["CreateIPSet", "UpdateIPSet"],
        attack: Some("T1562.001"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    detector_id: Option<String>,
    ip_set_id: Option<String>,
    name: Option<String>,
    location: Option<String>,
    activate: Option<bool>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    ip_set_id: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    if ev.event_name == "UpdateIPSet" && req.activate == Some(false) && req.location.is_none() {
        return Ok(Vec::new());
    }
    let resp = ev.response_or_default::<Response>();
    let id = req.ip_set_id.or(resp.ip_set_id).unwrap_or_default();
    let name = req.name.unwrap_or_default();
    let detector = req.detector_id.unwrap_or_default();
    let verb = if ev.event_name == "CreateIPSet" { "created" } else { "changed" };
    let label = if name.is_empty() { id.clone() } else { name.clone() };
    let mut detection = Detection::new(
        format!("GuardDuty trusted IP list {label} was {verb} in {}", ev.aws_region),
        Resource::new(ResourceKind::GUARDDUTY_DETECTOR, &detector),
    )
    .field("Detector", &detector)
    .field("IP set", &id)
    .param("ip-set-id", id);
    if !name.is_empty() {
        detection = detection.field("Name", name);
    }
    if let Some(location) = req.location {
        detection = detection.field("List location", location);
    }
    if let Some(a) = req.activate {
        detection = detection.field("Active", if a { "yes" } else { "no" });
    }
    Ok(vec![detection])
}
