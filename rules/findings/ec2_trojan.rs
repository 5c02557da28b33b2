use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty's `Trojan:EC2/*` findings: an instance talking to addresses and domains known for
    /// trojans, black-hole or drop points (`BlackholeTraffic`, `DropPoint`, `DGADomainRequest`,
    /// `DNSDataExfiltration`, `PhishingDomainRequest`).
    /// ## Why it matters
    /// A trojan on the instance works for someone else: it can leak data over DNS, take commands,
    /// and reach everything the instance and its role can.
    /// ## How to fix
    /// Isolate the instance and snapshot its volumes for forensics. Block the domain or address at
    /// the network (DNS Firewall, network ACL), revoke the instance profile's sessions, find what
    /// else it reached, and rebuild from a known-good image.
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
    EC2_TROJAN {
        id: "guardduty-ec2-trojan",
        title: "Trojan on an EC2 instance (GuardDuty)",
        severity: Severity::High,
        source: "GuardDuty",
        types: &["Trojan:EC2/*"],
        attack: Some("T1071"),
        respond: INSTANCE_COMPROMISE,
    }
}
