use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Amazon Macie switched off: `DisableMacie` (Macie and its findings, jobs and settings are
    /// deleted for the region), or `UpdateMacieSession` with `status: PAUSED` (it stops
    /// evaluating buckets and running jobs). Resuming (`ENABLED`) and changing only the publishing
    /// frequency stay quiet.
    /// ## Why it matters
    /// Macie is what finds sensitive data left in public or shared buckets; turning it off before
    /// staging data in S3 for exfiltration removes the alarm.
    /// ## How to fix
    /// Turn it back on (`aws macie2 update-macie-session --region <region> --status ENABLED`, or
    /// `aws macie2 enable-macie` if it was disabled, which lost its findings), and deny these
    /// actions with an SCP.
    /// ## References
    /// - https://docs.aws.amazon.com/macie/latest/APIReference/macie.html
    /// - https://docs.aws.amazon.com/macie/latest/user/macie-suspend-disable.html
    /// - https://attack.mitre.org/techniques/T1562/001/
    DISABLED {
        id: "macie-disabled",
        title: "Macie disabled or paused",
        severity: Severity::Medium,
        source: "macie2.amazonaws.com",
        events: &["DisableMacie", "UpdateMacieSession"],
        attack: Some("T1562.001"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    status: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let what = if ev.event_name == "DisableMacie" {
        "disabled (its findings and jobs are deleted)"
    } else if ev.request::<Request>()?.status.is_some_and(|s| s.eq_ignore_ascii_case("PAUSED")) {
        "paused"
    } else {
        return Ok(Vec::new());
    };
    let account = ev.account_id.to_string();
    let mut detection = Detection::new(
        format!("Macie was {what} in {} for account {account}", ev.aws_region),
        Resource::new(ResourceKind::ACCOUNT, &account),
    )
    .field("Region", ev.aws_region.as_ref());
    if ev.event_name == "DisableMacie" {
        detection = detection.severity(Severity::High);
    }
    Ok(vec![detection])
}
