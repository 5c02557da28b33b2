use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty Runtime Monitoring's findings (`*:Runtime/*`) on EC2 instances: reverse shells,
    /// new binaries executed, miners, container escapes, memory loading, process injection,
    /// suspicious tools. (ECS and EKS runtime findings have their own rules.)
    /// ## Why it matters
    /// Runtime findings are seen inside the operating system, from what processes actually do: the
    /// strongest sign GuardDuty gives that code an attacker controls is running.
    /// ## How to fix
    /// Isolate the host, capture its memory and volumes if you can, and kill the process the
    /// finding names. Find the entry point (the vulnerable service, the stolen key), revoke the
    /// instance role's sessions, and rebuild from a known-good image.
    /// ## Response
    /// Planned by default (and applied with `respond = "apply"`, at or above
    /// `respond_min_severity`): `ec2-tag`, `ec2-protect`, `ec2-snapshot`, `ec2-capture-metadata`,
    /// `ec2-detach-asg`, `ec2-deregister-targets`, `ec2-isolate` (on the instance the finding
    /// names). Off unless `respond_actions` names them: `ec2-capture-screenshot`,
    /// `ec2-collect-forensics`, `ec2-remove-instance-profile`, `ec2-terminate` (`ec2-terminate`
    /// also needs `allow_terminate = true`).
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/findings-runtime-monitoring.html
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/compromised-ec2.html
    RUNTIME_THREAT {
        id: "guardduty-runtime-threat",
        title: "Threat seen at runtime on a host (GuardDuty Runtime Monitoring)",
        severity: Severity::High,
        source: "GuardDuty",
        types: &["*:Runtime/*"],
        attack: Some("T1059"),
        respond: INSTANCE_COMPROMISE,
    }
}
