use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `SetTopicAttributes` call setting the `Policy` attribute (the JSON document in
    /// `attributeValue`) to a policy with an `Allow` statement for everyone (`"*"`,
    /// `{"AWS": "*"}`, a wildcard account ARN, or `NotPrincipal`) that no condition narrows. The
    /// default topic policy (`{"AWS": "*"}` limited by `AWS:SourceOwner` to the topic's own
    /// account) stays quiet, as do statements limited to a fixed `aws:SourceArn`,
    /// `aws:SourceAccount`, `aws:PrincipalOrgID` and the like, policies naming accounts or
    /// service principals, and calls setting any other attribute.
    /// ## Why it matters
    /// With `SNS:Subscribe` open, anyone can subscribe their own endpoint and receive every
    /// message the topic carries (alerts, order events, personal data); with `SNS:Publish` open,
    /// anyone can send messages to all subscribers, for phishing or to trigger the systems
    /// behind the topic.
    /// ## How to fix
    /// Put a policy back that names the accounts or services that need the topic
    /// (`aws sns set-topic-attributes --region <region> --topic-arn <sns-topic> --attribute-name Policy --attribute-value
    /// file://policy.json`, starting from the default policy with its `AWS:SourceOwner`
    /// condition), then list the subscriptions (`aws sns list-subscriptions-by-topic
    /// --topic-arn <sns-topic>`) and remove any you do not recognise.
    /// ## References
    /// - https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html
    /// - https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html
    /// - https://docs.aws.amazon.com/sns/latest/api/API_SetTopicAttributes.html
    TOPIC_POLICY_PUBLIC {
        id: "sns-topic-policy-public",
        title: "SNS topic policy grants access to everyone",
        severity: Severity::High,
        source: "sns.amazonaws.com",
        events: &["SetTopicAttributes"],
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: TopicAttributesRequest = ev.request()?;
    if !req.sets_policy() {
        return Ok(Vec::new());
    }
    let policy =
        parse_policy(req.attribute_value.as_ref().map_or("", PolicyText::as_str), "requestParameters.attributeValue")?;
    let open = public_statements(&policy);
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let arn = req.topic_arn.unwrap_or_default();
    let topic = arn.rsplit(':').next().unwrap_or_default().to_string();
    let actions = actions_of(&open);
    let statements: Vec<String> = open.iter().map(|s| s.name()).collect();
    let mut resource = Resource::new(ResourceKind::SNS_TOPIC, &topic);
    if arn.starts_with("arn:") {
        resource = resource.with_arn(&arn);
    }
    Ok(vec![
        Detection::new(format!("SNS topic {topic} policy grants {actions} to everyone"), resource)
            .field("Topic", &arn)
            .field("Public statements", statements.join(", "))
            .field("Actions granted to everyone", actions),
    ])
}
