use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `PutBucketPolicy` call whose new policy (`requestParameters.bucketPolicy`, recorded as
    /// a JSON object) has an `Allow` statement for everyone: `Principal` `"*"`, `{"AWS": "*"}`,
    /// an ARN with a wildcard account, or `NotPrincipal`, with no condition restricting who can
    /// use it. Statements narrowed to fixed values of `aws:SourceVpc`, `aws:SourceVpce`,
    /// `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`, `aws:SourceAccount`, `aws:SourceOwner`,
    /// `aws:SourceArn`, `aws:SourceOrgID`, `aws:PrincipalAccount`, `aws:PrincipalArn`,
    /// `aws:userId`, or to a specific `aws:SourceIp` range, stay quiet, as do `Deny` statements
    /// and policies that only name accounts, roles or service principals. `aws:SecureTransport`,
    /// `aws:Referer` and `aws:SourceIp` `0.0.0.0/0` restrict nothing, so they fire. Any action
    /// counts: a public statement on a bucket is critical whatever it grants.
    ///
    /// The bucket's Block Public Access settings are live state (a fact, asked in the event's own
    /// account and region, another account only through `facts_role_name`): when they are known
    /// and `RestrictPublicBuckets` is on, the public statements cannot take effect for anyone
    /// outside the account, and the alert drops to medium (the policy is still wrong, and one
    /// setting away from public). **Unknown:** critical, as if nothing restricted it.
    /// ## Why it matters
    /// A public bucket policy is the classic S3 data leak: anyone on the internet can read (or,
    /// with `s3:PutObject`/`s3:DeleteObject`, rewrite) the bucket's objects without credentials.
    /// It only takes effect when Block Public Access allows it, so a public policy right after
    /// Block Public Access was turned off is a strong signal.
    /// ## How to fix
    /// Remove the public statement (`aws s3api put-bucket-policy --bucket <s3-bucket> --policy
    /// file://fixed.json`, or `aws s3api delete-bucket-policy --bucket <s3-bucket>`), turn Block Public
    /// Access back on (`aws s3api put-public-access-block --bucket <s3-bucket>
    /// --public-access-block-configuration
    /// BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`),
    /// and review the access logs for what was read. Serve public content through CloudFront
    /// with origin access control instead.
    /// ## Response
    /// Planned by default (and applied with `respond = "apply"`, at or above
    /// `respond_min_severity`): `s3-block-public-access`.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status
    /// - https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html
    /// - https://attack.mitre.org/techniques/T1530/
    BUCKET_POLICY_PUBLIC {
        id: "s3-bucket-policy-public",
        title: "S3 bucket policy grants access to everyone",
        severity: Severity::Critical,
        source: "s3.amazonaws.com",
        events: &["PutBucketPolicy"],
        attack: Some("T1530"),
        needs: Some(needs),
        respond: &[Action::S3BlockPublicAccess],
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    bucket_name: Option<String>,
    bucket_policy: Option<PolicyText>,
}

fn needs(ev: &Event) -> Result<Vec<Question>, FieldError> {
    Ok(ev.request::<Request>()?.bucket_name.map(|b| Question::bucket_public_access(ev, b)).into_iter().collect())
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let Some(text) = req.bucket_policy else {
        return Ok(Vec::new());
    };
    let policy = parse_policy(text.as_str(), "requestParameters.bucketPolicy")?;
    let open = public_statements(&policy);
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let bucket = req.bucket_name.unwrap_or_default();
    let actions = actions_of(&open);
    let statements: Vec<String> = open.iter().map(|s| s.name()).collect();
    let resources: Vec<&str> = open.iter().flat_map(|s| s.resource.iter().map(String::as_str)).collect();
    // RestrictPublicBuckets (the fourth setting) keeps a public policy from taking effect.
    let restricted = cx.facts.bucket(&bucket).and_then(|b| b.public_access_block).is_some_and(|flags| flags[3]);
    let mut finding = Detection::new(
        format!("S3 bucket {bucket} policy grants {actions} to everyone"),
        Resource::new(ResourceKind::S3_BUCKET, &bucket).with_arn(format!("arn:aws:s3:::{bucket}")),
    )
    .field("Bucket", &bucket)
    .field("Public statements", statements.join(", "))
    .field("Actions granted to everyone", actions)
    .field("Resources", resources.join(", "));
    if restricted {
        finding = finding
            .field("Block Public Access", "RestrictPublicBuckets is on: the public statements do not take effect")
            .severity(Severity::Medium);
    }
    Ok(vec![finding])
}
