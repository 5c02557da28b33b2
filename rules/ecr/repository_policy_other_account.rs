use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `SetRepositoryPolicy` whose policy has an `Allow` statement for an AWS principal of another account:
    /// not the account the event belongs to, not one of `trusted_accounts`, and not limited by an
    /// `aws:PrincipalOrgID`, `aws:SourceAccount` or `aws:SourceArn` condition to your own account
    /// or organisation. Service principals and `Deny` statements never count; a grant to everyone
    /// is `ecr-repository-policy-public`'s case. This fires at its own level beside that rule.
    /// ## Why it matters
    /// Another account that can pull reads your images (code, baked-in secrets); one that can push replaces the images your services deploy.
    /// ## How to fix
    /// If the account is not a partner you know: set a policy without the statement (`aws ecr set-repository-policy --region <region> --repository-name <ecr-repository> --policy-text file://policy.json`), and find out who wrote the policy. Add
    /// accounts you do share with to `trusted_accounts`.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html
    /// - https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_SetRepositoryPolicy.html
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html
    /// - https://attack.mitre.org/techniques/T1537/
    ECR_REPOSITORY_POLICY_OTHER_ACCOUNT {
        id: "ecr-repository-policy-other-account",
        title: "ECR repository policy grants another account",
        severity: Severity::Medium,
        source: "ecr.amazonaws.com",
        events: &["SetRepositoryPolicy"],
        attack: Some("T1537"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    repository_name: Option<String>,
    policy_text: Option<PolicyText>,
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let repo = req.repository_name.unwrap_or_default();
    policy_grant_alert(
        ev,
        &cx.config.trusted_accounts,
        req.policy_text.as_ref(),
        "requestParameters.policyText",
        "ECR repository",
        ResourceKind::ECR_REPOSITORY,
        &repo,
    )
}
