use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty's `CryptoCurrency:EC2/*` findings: an EC2 instance querying or connecting to
    /// cryptocurrency mining pools and Bitcoin nodes (`BitcoinTool.B`, `BitcoinTool.B!DNS`).
    /// ## Why it matters
    /// Unless the instance was built to mine, someone else is running a miner on your bill, and had
    /// enough access to install it: the miner is the symptom, the way in is the problem.
    /// ## How to fix
    /// Isolate the instance (a security group that allows nothing) and snapshot its volumes. Find
    /// the process and how it got there (exposed services, leaked keys, a poisoned image), revoke
    /// the instance profile's sessions, and rebuild from a known-good image. If the mining is
    /// intended, suppress this rule for that instance with a reason.
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
    EC2_CRYPTOCURRENCY {
        id: "guardduty-ec2-cryptocurrency",
        title: "EC2 instance mining or trading cryptocurrency (GuardDuty)",
        severity: Severity::High,
        source: "GuardDuty",
        types: &["CryptoCurrency:EC2/*"],
        attack: Some("T1496"),
        respond: INSTANCE_COMPROMISE,
    }
}
