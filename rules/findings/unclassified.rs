use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// Any GuardDuty or Security Hub finding at or above `findings_min_severity` that no other
    /// finding rule takes: reconnaissance, discovery, policy findings, new GuardDuty types, and
    /// findings of products integrated with Security Hub (IAM Access Analyzer, Config, partners).
    /// ## Why it matters
    /// A finding the team never hears about is a finding nobody acts on. GuardDuty adds types
    /// every year; a rule pack that forwards a fixed list of types silently drops the new ones.
    /// This rule makes sure every finding over the threshold reaches someone.
    /// ## How to fix
    /// Read the finding's description and the product's guidance for its type (the link in the
    /// alert opens it in its console). If the type is common in your estate and harmless, raise
    /// `findings_min_severity`, add a suppression for it, or archive it with a GuardDuty
    /// suppression rule; if it deserves its own guidance, write a finding rule for it.
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-active.html
    /// - https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-findings-format.html
    UNCLASSIFIED {
        id: "finding-unclassified",
        title: "Finding from GuardDuty or Security Hub",
        severity: Severity::Medium,
        source: "",
        types: &[],
        fallback: true,
    }
}
