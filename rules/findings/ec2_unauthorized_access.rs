use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty's `UnauthorizedAccess:EC2/*` findings: SSH or RDP brute force against or from an
    /// instance, connections to Tor entry or relay nodes, malicious IP callers, metadata DNS
    /// rebinding.
    /// ## Why it matters
    /// Brute force that succeeds is a break-in; an instance reaching Tor or a known-bad address is
    /// usually already compromised, or exfiltrating through an anonymiser.
    /// ## How to fix
    /// Close the port to the world (SSH and RDP belong behind Session Manager or a bastion), check
    /// the instance's auth logs for a successful login from the address, and treat it as
    /// compromised if one is found: isolate, snapshot, rebuild. For Tor traffic, find the process
    /// making it.
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
    EC2_UNAUTHORIZED_ACCESS {
        id: "guardduty-ec2-unauthorized-access",
        title: "Unauthorized access to or from an EC2 instance (GuardDuty)",
        severity: Severity::Medium,
        source: "GuardDuty",
        types: &["UnauthorizedAccess:EC2/*"],
        attack: Some("T1110"),
        respond: INSTANCE_COMPROMISE,
    }
}
