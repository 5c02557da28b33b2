use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// GuardDuty's EKS findings: audit-log findings (`*:Kubernetes/*`: anonymous access, privileged
    /// or sensitive-mount containers, exec into pods, known-bad callers) and runtime findings on
    /// EKS clusters.
    /// ## Why it matters
    /// The Kubernetes API is the cluster's control plane: an anonymous or malicious caller, or a
    /// privileged container, can take every node and every secret in it.
    /// ## How to fix
    /// Revoke what the finding names (the anonymous binding, the user's access, the privileged
    /// pod), cordon and replace the affected nodes, rotate the cluster's secrets and service-
    /// account tokens, and check the audit log for what else the identity did.
    /// ## References
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-kubernetes.html
    /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-remediate-kubernetes.html
    EKS_THREAT {
        id: "guardduty-eks-threat",
        title: "Threat in an EKS cluster (GuardDuty EKS Protection)",
        severity: Severity::High,
        source: "GuardDuty",
        types: &["*:Kubernetes/*", "*:Runtime/*"],
        attack: Some("T1610"),
        resource_types: &["EKSCluster", "KubernetesCluster", "AwsEksCluster"],
    }
}
