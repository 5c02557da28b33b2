use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty Runtime Monitoring's findings (`*:Runtime/*`) on ECS clusters and their Fargate or
    /// EC2 tasks: reverse shells, new binaries, miners, container escapes.
    /// ## Why it matters
    /// A container running code it was not built with is compromised, and its task role's
    /// credentials with it.
    /// ## How to fix
    /// Stop the task (keep a copy of its image and logs), revoke the task role's sessions, and look
    /// at the image: rebuild it from a fixed base, patch the exposed service, and redeploy. Check
    /// what the task role reached in the meantime.
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/findings-runtime-monitoring.html
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/compromised-ecs.html
    ECS_RUNTIME_THREAT {
        id: "guardduty-ecs-runtime-threat",
        title: "Threat seen at runtime in an ECS task (GuardDuty)",
        severity: Severity::High,
        source: "GuardDuty",
        types: &["*:Runtime/*"],
        attack: Some("T1609"),
        resource_types: &["ECSCluster", "Container", "AwsEcsCluster", "AwsEcsTask", "AwsEcsContainer"],
    }
}
