use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// The account-wide S3 Block Public Access settings being weakened: a
    /// `PutAccountPublicAccessBlock` call (the S3 Control `PutPublicAccessBlock` API, which
    /// CloudTrail records under `eventSource` `s3.amazonaws.com` with the host
    /// `<account>.s3-control.<region>.amazonaws.com`) that leaves any of `BlockPublicAcls`,
    /// `IgnorePublicAcls`, `BlockPublicPolicy`, `RestrictPublicBuckets` off, and every
    /// `DeleteAccountPublicAccessBlock`. A setting left out is off, as the API treats it; values
    /// are read as booleans or as "true"/"false". Turning all four on stays quiet, and so does
    /// a record without a configuration (CloudTrail omitted it before late 2019).
    /// ## Why it matters
    /// The account-level settings override every bucket's: while they are on, no bucket in the
    /// account can be made public, whatever its own settings, ACL or policy say. Turning them
    /// off removes that floor for every bucket at once, the usual first step before exposing
    /// data, so it is high (the bucket-level rule is medium).
    /// ## How to fix
    /// Turn the settings back on: `aws s3control put-public-access-block --account-id <account-id>
    /// --public-access-block-configuration
    /// BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`,
    /// look for buckets made public meanwhile (IAM Access Analyzer, or the S3 console's
    /// "Access" column), and deny `s3:PutAccountPublicAccessBlock` with an SCP.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-block-public-access-account.html
    /// - https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_PutPublicAccessBlock.html
    /// - https://attack.mitre.org/techniques/T1562/007/
    ACCOUNT_PUBLIC_ACCESS_BLOCK_DISABLED {
        id: "s3-account-public-access-block-disabled",
        title: "Account-wide S3 Block Public Access turned off",
        severity: Severity::High,
        source: "s3.amazonaws.com",
        events: &["PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock"],
        attack: Some("T1562.007"),
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: PublicAccessBlockRequest = ev.request()?;
    let account = ev.account_id.to_string();
    let Some((summary, settings)) = req.weakening(&ev.event_name, &format!("S3 account {account}")) else {
        return Ok(Vec::new());
    };
    Ok(vec![
        Detection::new(summary, Resource::new(ResourceKind::ACCOUNT, &account))
            .field("Account", &account)
            .field("Settings off", settings),
    ])
}
