use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `SetQueueAttributes` call whose `attributes.Policy` (a JSON document in a string) has
    /// an `Allow` statement for everyone (`"*"`, `{"AWS": "*"}`, a wildcard account ARN, or
    /// `NotPrincipal`) that no condition narrows. The usual "let my SNS topic or S3 bucket send
    /// here" statement, `"*"` limited by `aws:SourceArn` or `aws:SourceAccount`, stays quiet, as
    /// do statements limited to an organization or a VPC endpoint, policies naming accounts or
    /// service principals, an empty `Policy` (which removes the policy) and calls that set other
    /// attributes only.
    /// ## Why it matters
    /// `sqs:ReceiveMessage` open to everyone lets anyone read (and, by deleting, steal) the
    /// messages your systems exchange; `sqs:SendMessage` open lets anyone inject messages your
    /// consumers will trust and process.
    /// ## How to fix
    /// Set a policy that names the accounts or the source ARN that need the queue
    /// (`aws sqs set-queue-attributes --region <region> --queue-url <queue-url> --attributes file://attributes.json`), or
    /// remove it (`--attributes Policy=""`). Check the queue's consumers for messages they did
    /// not expect while it was open.
    /// ## References
    /// - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-basic-examples-of-sqs-policies.html
    /// - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html
    /// - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
    QUEUE_POLICY_PUBLIC {
        id: "sqs-queue-policy-public",
        title: "SQS queue policy grants access to everyone",
        severity: Severity::High,
        source: "sqs.amazonaws.com",
        events: &["SetQueueAttributes"],
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: QueueAttributesRequest = ev.request()?;
    let queue = req.queue_name();
    let Some(text) = req.attributes.policy else {
        return Ok(Vec::new());
    };
    let policy = parse_policy(text.as_str(), "requestParameters.attributes.Policy")?;
    let open = public_statements(&policy);
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let url = req.queue_url.unwrap_or_default();
    let actions = actions_of(&open);
    let statements: Vec<String> = open.iter().map(|s| s.name()).collect();
    Ok(vec![
        Detection::new(
            format!("SQS queue {queue} policy grants {actions} to everyone"),
            Resource::new(ResourceKind::SQS_QUEUE, &queue),
        )
        .field("Queue URL", &url)
        .field("Public statements", statements.join(", "))
        .field("Actions granted to everyone", actions),
    ])
}
