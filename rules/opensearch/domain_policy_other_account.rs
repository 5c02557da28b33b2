use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// An OpenSearch (or Elasticsearch) `CreateDomain` or `UpdateDomainConfig` whose policy has an `Allow` statement for an AWS principal of another account:
    /// not the account the event belongs to, not one of `trusted_accounts`, and not limited by an
    /// `aws:PrincipalOrgID`, `aws:SourceAccount` or `aws:SourceArn` condition to your own account
    /// or organisation. Service principals and `Deny` statements never count; a grant to everyone
    /// is `(no public rule for domains)`'s case. This fires at its own level beside that rule.
    /// ## Why it matters
    /// Another account that can call the domain's HTTP API reads every index: logs, customer records, whatever the cluster holds.
    /// ## How to fix
    /// If the account is not a partner you know: set access policies without the statement (`aws opensearch update-domain-config --region <region> --domain-name <opensearch-domain> --access-policies file://policy.json`), and find out who wrote the policy. Add
    /// accounts you do share with to `trusted_accounts`.
    /// ## References
    /// - https://docs.aws.amazon.com/opensearch-service/latest/developerguide/ac.html
    /// - https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_UpdateDomainConfig.html
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html
    /// - https://attack.mitre.org/techniques/T1537/
    OPENSEARCH_DOMAIN_POLICY_OTHER_ACCOUNT {
        id: "opensearch-domain-policy-other-account",
        title: "OpenSearch domain access policy grants another account",
        severity: Severity::Medium,
        source: "es.amazonaws.com",
        events: &["CreateDomain", "UpdateDomainConfig", "CreateElasticsearchDomain", "UpdateElasticsearchDomainConfig"],
        attack: Some("T1537"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    domain_name: Option<String>,
    access_policies: Option<PolicyText>,
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let domain = req.domain_name.unwrap_or_default();
    policy_grant_alert(
        ev,
        &cx.config.trusted_accounts,
        req.access_policies.as_ref(),
        "requestParameters.accessPolicies",
        "OpenSearch domain",
        ResourceKind::OPENSEARCH_DOMAIN,
        &domain,
    )
}
