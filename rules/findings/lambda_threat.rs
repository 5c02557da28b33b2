use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty Lambda Protection's findings (`*:Lambda/*`): a function's network traffic to
    /// command-and-control servers, miners, Tor or malicious addresses.
    /// ## Why it matters
    /// A function that calls an attacker's server runs code the attacker controls, with the
    /// function's role.
    /// ## How to fix
    /// Find the function's code and layers that make the calls (a compromised dependency is
    /// typical), revert to a known-good version, rotate what its environment and role expose, and
    /// revoke its role's sessions.
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/lambda-protection-finding-types.html
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/remediate-lambda-protection-finding-types.html
    LAMBDA_THREAT {
        id: "guardduty-lambda-threat",
        title: "Lambda function talking to an attacker (GuardDuty Lambda Protection)",
        severity: Severity::High,
        source: "GuardDuty",
        types: &["*:Lambda/*"],
        attack: Some("T1071"),
        resource_types: &["Lambda", "AwsLambdaFunction"],
    }
}
