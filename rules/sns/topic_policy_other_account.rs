use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `SetTopicAttributes` of the `Policy` attribute whose policy has an `Allow` statement for an AWS principal of another account:
    /// not the account the event belongs to, not one of `trusted_accounts`, and not limited by an
    /// `aws:PrincipalOrgID`, `aws:SourceAccount` or `aws:SourceArn` condition to your own account
    /// or organisation. Service principals and `Deny` statements never count; a grant to everyone
    /// is `sns-topic-policy-public`'s case. This fires at its own level beside that rule.
    /// ## Why it matters
    /// Another account that can subscribe to the topic receives every message it carries (alerts, orders, events); one that can publish injects messages your subscribers trust.
    /// ## How to fix
    /// If the account is not a partner you know: set a policy without the statement (`aws sns set-topic-attributes --region <region> --topic-arn <sns-topic> --attribute-name Policy --attribute-value file://policy.json`), remove subscriptions you do not know, and find out who wrote the policy. Add
    /// accounts you do share with to `trusted_accounts`.
    /// ## References
    /// - https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html
    /// - https://docs.aws.amazon.com/sns/latest/api/API_SetTopicAttributes.html
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html
    /// - https://attack.mitre.org/techniques/T1537/
    SNS_TOPIC_POLICY_OTHER_ACCOUNT {
        id: "sns-topic-policy-other-account",
        title: "SNS topic policy grants another account",
        severity: Severity::Medium,
        source: "sns.amazonaws.com",
        events: &["SetTopicAttributes"],
        attack: Some("T1537"),
    }
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: TopicAttributesRequest = ev.request()?;
    if !req.sets_policy() {
        return Ok(Vec::new());
    }
    let topic = req.topic_arn.unwrap_or_default();
    policy_grant_alert(
        ev,
        &cx.config.trusted_accounts,
        req.attribute_value.as_ref(),
        "requestParameters.attributeValue",
        "SNS topic",
        ResourceKind::SNS_TOPIC,
        &topic,
    )
}
