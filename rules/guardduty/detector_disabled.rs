use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Successful GuardDuty calls that stop threat detection in a Region or hide its findings:
    /// - `DeleteDetector`: the detector and all its findings are gone.
    /// - `UpdateDetector` with `enable: false`: the detector is suspended. An `UpdateDetector`
    ///   with `enable: true` or without `enable` (changing the publishing frequency or
    ///   features) stays quiet.
    /// - `DisassociateFromMasterAccount` / `DisassociateFromAdministratorAccount`: a member
    ///   account leaves its GuardDuty administrator, so its findings no longer reach the
    ///   security team's account.
    /// - From the administrator's side, `DeleteMembers`, `DisassociateMembers` and
    ///   `StopMonitoringMembers`: member accounts dropped from central monitoring (the alert
    ///   lists them).
    ///
    /// Failed calls stay quiet.
    /// ## Why it matters
    /// GuardDuty is often the only thing watching for compromised credentials, crypto-mining
    /// and data exfiltration. Turning it off, or cutting a member account loose from the
    /// security account, is a classic first move of an intruder who expects to be noticed.
    /// ## How to fix
    /// Re-enable detection: `aws guardduty update-detector --region <region> --detector-id <guardduty-detector> --enable`, or `aws
    /// guardduty create-detector --enable` if it was deleted (the old findings are lost). For a
    /// member that left or was dropped, re-add it from the administrator account (`aws guardduty
    /// create-members` and `aws guardduty invite-members`, or let the organization's delegated
    /// administrator auto-enable it). Then find out who made the call, and deny
    /// `guardduty:DeleteDetector`, `guardduty:UpdateDetector` and the disassociate actions with
    /// an SCP.
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_suspend-disable.html
    /// - https://docs.aws.amazon.com/guardduty/latest/APIReference/API_UpdateDetector.html
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_accounts.html
    /// - https://attack.mitre.org/techniques/T1562/001/
    DETECTOR_DISABLED {
        id: "guardduty-detector-disabled",
        title: "GuardDuty detector disabled, deleted or disassociated",
        severity: Severity::High,
        source: "guardduty.amazonaws.com",
        events: &[
            "DeleteDetector",
            "UpdateDetector",
            "DisassociateFromMasterAccount",
            "DisassociateFromAdministratorAccount",
            "DeleteMembers",
            "DisassociateMembers",
            "StopMonitoringMembers",
        ],
        attack: Some("T1562.001"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    detector_id: Option<String>,
    enable: Option<bool>,
    #[serde(default)]
    account_ids: OneOrMany<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let region = ev.aws_region.as_ref();
    let what = match ev.event_name.as_ref() {
        "DeleteDetector" => "was deleted",
        "UpdateDetector" if req.enable == Some(false) => "was suspended",
        "UpdateDetector" => return Ok(Vec::new()),
        "DeleteMembers" | "DisassociateMembers" | "StopMonitoringMembers" => {
            let members: Vec<&str> = req.account_ids.iter().map(String::as_str).collect();
            let verb = match ev.event_name.as_ref() {
                "DeleteMembers" => "deleted",
                "DisassociateMembers" => "disassociated",
                _ => "no longer monitored",
            };
            let detector = req.detector_id.unwrap_or_default();
            return Ok(vec![
                Detection::new(
                    format!(
                        "GuardDuty member accounts {} {verb} by detector {detector} in {region}",
                        members.join(", ")
                    ),
                    Resource::new(ResourceKind::GUARDDUTY_DETECTOR, &detector),
                )
                .field("Detector", &detector)
                .field("Member accounts", members.join(", "))
                .field("Region", region),
            ]);
        }
        _ => "left its GuardDuty administrator account: its findings no longer reach it",
    };
    let detector = req.detector_id.unwrap_or_default();
    Ok(vec![
        Detection::new(
            format!("GuardDuty detector {detector} in {region} {what}"),
            Resource::new(ResourceKind::GUARDDUTY_DETECTOR, &detector),
        )
        .field("Detector", &detector)
        .field("Region", region),
    ])
}
