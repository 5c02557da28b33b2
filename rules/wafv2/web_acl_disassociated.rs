use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful WAF `DisassociateWebACL`: a web ACL removed from a load balancer, API
    /// Gateway stage, AppSync API, Cognito user pool or App Runner service, which is then served
    /// with no WAF rules. (CloudFront distributions drop their web ACL through
    /// `UpdateDistribution`, not this call.)
    /// ## Why it matters
    /// The WAF is what blocks injection, credential stuffing and known-bad addresses in front of
    /// the application; detaching it opens the application to the attacks it was stopping, and
    /// the change is easy to miss because the ACL itself still exists.
    /// ## How to fix
    /// Associate it again (`aws wafv2 associate-web-acl --region <region> --web-acl-arn <web-acl-arn> --resource-arn <resource-arn>`)
    /// and find out who removed it. Allow `wafv2:DisassociateWebACL` only to the team that owns
    /// the WAF.
    /// ## References
    /// - https://docs.aws.amazon.com/waf/latest/APIReference/API_DisassociateWebACL.html
    /// - https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-associating-aws-resource.html
    /// - https://attack.mitre.org/techniques/T1562/
    WEB_ACL_DISASSOCIATED {
        id: "wafv2-web-acl-disassociated",
        title: "WAF web ACL detached from a resource",
        severity: Severity::Medium,
        source: "wafv2.amazonaws.com",
        events: &["DisassociateWebACL"],
        attack: Some("T1562"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    #[serde(alias = "resourceArn")]
    resource_arn: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let arn = ev.request::<Request>()?.resource_arn.unwrap_or_default();
    Ok(vec![
        Detection::new(
            format!("WAF web ACL was detached from {arn}"),
            Resource::new(ResourceKind::AWS_RESOURCE, &arn).with_arn(&arn),
        )
        .field("Resource", &arn)
        .param("resource-arn", arn),
    ])
}
