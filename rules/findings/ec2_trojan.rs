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
    }
}
