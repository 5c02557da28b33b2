use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `SetRepositoryPolicy` call whose new repository policy (`policyText`, a JSON document
    /// in a string) has an `Allow` statement for everyone (`"*"`, `{"AWS": "*"}`, a wildcard
    /// account ARN, or `NotPrincipal`) that no condition narrows to a fixed organization,
    /// account, source ARN or VPC endpoint. If every public action only reads
    /// (`ecr:BatchGet*`, `ecr:BatchCheck*`, `ecr:Get*`, `ecr:Describe*`, `ecr:List*`) it is
    /// high: anyone with an AWS account can pull the images. Any other public action (`ecr:*`,
    /// `ecr:PutImage`, the layer uploads, `ecr:BatchDeleteImage`, `ecr:SetRepositoryPolicy`,
    /// `NotAction`) is critical. Policies naming accounts or services stay quiet.
    /// ## Why it matters
    /// Images carry code, configuration and too often secrets, so a public pull is a leak. A
    /// public push lets anyone replace the images your services run: a supply-chain implant
    /// that runs with your workloads' permissions the next time they deploy.
    /// ## How to fix
    /// Remove the public statement (`aws ecr set-repository-policy --region <region> --repository-name <ecr-repository>
    /// --policy-text file://fixed.json`, or `aws ecr delete-repository-policy --region <region>
    /// --repository-name <ecr-repository>`); share with specific accounts or your organization (`aws:PrincipalOrgID`) instead, and
    /// use ECR Public for images meant for everyone. After a public push, check the image
    /// digests against your build system.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policies.html
    /// - https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_SetRepositoryPolicy.html
    /// - https://attack.mitre.org/techniques/T1525/
    REPOSITORY_POLICY_PUBLIC {
        id: "ecr-repository-policy-public",
        title: "ECR repository policy grants access to everyone",
        severity: Severity::High,
        source: "ecr.amazonaws.com",
        events: &["SetRepositoryPolicy"],
        attack: Some("T1525"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    repository_name: Option<String>,
    registry_id: Option<String>,
    policy_text: Option<PolicyText>,
}

/// ECR actions that only read: pulling and describing.
fn reads_only(action: &str) -> bool {
    let a = action.trim().to_ascii_lowercase();
    let Some(name) = a.strip_prefix("ecr:") else {
        return false;
    };
    ["batchget", "batchcheck", "get", "describe", "list"].iter().any(|p| name.starts_with(p))
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let policy = parse_policy(req.policy_text.as_ref().map_or("", PolicyText::as_str), "requestParameters.policyText")?;
    let open = public_statements(&policy);
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let writes = open.iter().any(|s| s.not_action.is_some() || s.action.iter().any(|a| !reads_only(a)));
    let repo = req.repository_name.unwrap_or_default();
    let registry = req.registry_id.unwrap_or_else(|| ev.account_id.to_string());
    let actions = actions_of(&open);
    let statements: Vec<String> = open.iter().map(|s| s.name()).collect();
    let mut resource = Resource::new(ResourceKind::ECR_REPOSITORY, &repo);
    if !registry.is_empty() && !ev.aws_region.is_empty() {
        resource = resource.with_arn(format!("arn:aws:ecr:{}:{registry}:repository/{repo}", ev.aws_region));
    }
    let mut finding = Detection::new(format!("ECR repository {repo} policy grants {actions} to everyone"), resource)
        .field("Repository", &repo)
        .field("Registry", &registry)
        .field("Public statements", statements.join(", "))
        .field("Actions granted to everyone", actions);
    if writes {
        finding = finding.field("Anyone can push or delete images", "yes").severity(Severity::Critical);
    }
    Ok(vec![finding])
}
