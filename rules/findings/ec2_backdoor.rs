use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty's `Backdoor:EC2/*` findings: an EC2 instance talking to a command-and-control
    /// server (`C&CActivity.B`, `C&CActivity.B!DNS`), taking part in a denial of service
    /// (`DenialOfService.*`) or sending spam (`Spambot`). Also when Security Hub forwards them.
    /// ## Why it matters
    /// The instance is very likely compromised and under someone else's control: whatever its
    /// role can reach (instance profile credentials, data on its volumes, the network it sits
    /// in) is theirs too.
    /// ## How to fix
    /// Isolate the instance: replace its security groups with one that allows nothing, and
    /// snapshot its volumes for forensics before anything else. Revoke the instance profile's
    /// sessions (an inline deny on `aws:TokenIssueTime`). Find how it got in (open ports,
    /// vulnerable software, leaked keys), then rebuild it from a known-good image.
    /// ## Response
    /// Planned by default (and applied with `respond = "apply"`, at or above
    /// `respond_min_severity`): `ec2-tag`, `ec2-protect`, `ec2-snapshot`, `ec2-capture-metadata`,
    /// `ec2-detach-asg`, `ec2-deregister-targets`, `ec2-isolate` (on the instance the finding
    /// names). Off unless `respond_actions` names them: `ec2-capture-screenshot`,
    /// `ec2-collect-forensics`, `ec2-remove-instance-profile`, `ec2-terminate` (`ec2-terminate`
    /// also needs `allow_terminate = true`).
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-ec2.html
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/compromised-ec2.html
    EC2_BACKDOOR {
        id: "guardduty-ec2-backdoor",
        title: "EC2 instance under an attacker's control (GuardDuty Backdoor)",
        severity: Severity::High,
        source: "GuardDuty",
        types: &["Backdoor:EC2/*"],
        attack: Some("T1071"),
        respond: INSTANCE_COMPROMISE,
    }
}
