use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty's `Impact:EC2/*` findings: an instance querying abused or malware domains, port
    /// sweeping, brute forcing WinRM, or sending unusually many outbound connections.
    /// ## Why it matters
    /// The instance is being used against others or against you: abuse complaints, blocklisting of
    /// your addresses, and a host under someone else's control.
    /// ## How to fix
    /// Isolate the instance and find the process behind the traffic. If it is not yours, treat the
    /// instance as compromised: snapshot, revoke its role's sessions, rebuild from a known-good
    /// image.
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
    EC2_IMPACT {
        id: "guardduty-ec2-impact",
        title: "EC2 instance used for abuse (GuardDuty Impact)",
        severity: Severity::Medium,
        source: "GuardDuty",
        types: &["Impact:EC2/*"],
        attack: Some("T1498"),
        respond: INSTANCE_COMPROMISE,
    }
}
