use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty Extended Threat Detection's attack sequences (`AttackSequence:*`): several signals
    /// GuardDuty linked into one attack on credentials, S3 data, an EKS or ECS cluster, or a group
    /// of instances. They are Critical (9.0 and up).
    /// ## Why it matters
    /// An attack sequence is GuardDuty saying that this is not noise: the steps of one attack, from
    /// access to impact, were seen together.
    /// ## How to fix
    /// Treat it as an incident now: open the sequence in GuardDuty to see its signals and
    /// resources, contain each principal and resource it names (revoke sessions, deactivate keys,
    /// isolate instances), and work through the sequence's timeline.
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-attack-sequence-finding-types.html
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-extended-threat-detection.html
    ATTACK_SEQUENCE {
        id: "guardduty-attack-sequence",
        title: "An attack in progress (GuardDuty attack sequence)",
        severity: Severity::Critical,
        source: "GuardDuty",
        types: &["AttackSequence:*"],

    }
}
