use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `PutBucketPolicy` whose policy has an `Allow` statement for an AWS principal of another account:
    /// not the account the event belongs to, not one of `trusted_accounts`, and not limited by an
    /// `aws:PrincipalOrgID`, `aws:SourceAccount` or `aws:SourceArn` condition to your own account
    /// or organisation. Service principals and `Deny` statements never count; a grant to everyone
    /// is `s3-bucket-policy-public`'s case. This fires at its own level beside that rule.
    /// ## Why it matters
    /// Another account that can read or write the bucket can copy its data out or plant data, with no network path or credentials of yours; a grant to an unknown account is how data is staged for exfiltration.
    /// ## How to fix
    /// If the account is not a partner you know: remove the statement (`aws s3api put-bucket-policy --bucket <s3-bucket> --policy file://policy.json`), and find out who wrote the policy. Add
    /// accounts you do share with to `trusted_accounts`.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-walkthroughs-managing-access-example2.html
    /// - https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html
    /// - https://attack.mitre.org/techniques/T1537/
    S3_BUCKET_POLICY_OTHER_ACCOUNT {
        id: "s3-bucket-policy-other-account",
        title: "S3 bucket policy grants another account",
        severity: Severity::Medium,
        source: "s3.amazonaws.com",
        events: &["PutBucketPolicy"],
        attack: Some("T1537"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    bucket_name: Option<String>,
    bucket_policy: Option<PolicyText>,
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let bucket = req.bucket_name.unwrap_or_default();
    policy_grant_alert(
        ev,
        &cx.config.trusted_accounts,
        req.bucket_policy.as_ref(),
        "requestParameters.bucketPolicy",
        "S3 bucket",
        ResourceKind::S3_BUCKET,
        &bucket,
    )
}
