use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `SetQueueAttributes` with `attributes.Policy` whose policy has an `Allow` statement for an AWS principal of another account:
    /// not the account the event belongs to, not one of `trusted_accounts`, and not limited by an
    /// `aws:PrincipalOrgID`, `aws:SourceAccount` or `aws:SourceArn` condition to your own account
    /// or organisation. Service principals and `Deny` statements never count; a grant to everyone
    /// is `sqs-queue-policy-public`'s case. This fires at its own level beside that rule.
    /// ## Why it matters
    /// Another account that can receive from the queue reads (and by deleting, steals) the messages your systems exchange; one that can send injects work your consumers will trust.
    /// ## How to fix
    /// If the account is not a partner you know: set a policy without the statement (`aws sqs set-queue-attributes --region <region> --queue-url <queue-url> --attributes file://attributes.json`), and find out who wrote the policy. Add
    /// accounts you do share with to `trusted_accounts`.
    /// ## References
    /// - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-basic-examples-of-sqs-policies.html
    /// - https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html
    /// - https://attack.mitre.org/techniques/T1537/
    SQS_QUEUE_POLICY_OTHER_ACCOUNT {
        id: "sqs-queue-policy-other-account",
        title: "SQS queue policy grants another account",
        severity: Severity::Medium,
        source: "sqs.amazonaws.com",
        events: &["SetQueueAttributes"],
        attack: Some("T1537"),
    }
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: QueueAttributesRequest = ev.request()?;
    let queue = req.queue_name();
    policy_grant_alert(
        ev,
        &cx.config.trusted_accounts,
        req.attributes.policy.as_ref(),
        "requestParameters.attributes.Policy",
        "SQS queue",
        ResourceKind::SQS_QUEUE,
        &queue,
    )
}
