use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `CreateAccessKey` call by the root user (`userIdentity.type` `Root`) for itself: no
    /// `requestParameters.userName`. Root creating a key for a named IAM user is
    /// `iam-access-key-created-for-other-user`; IAM users creating their own keys stay quiet.
    /// ## Why it matters
    /// A root access key is a long-lived credential with unrestricted access that no IAM or SCP
    /// policy can limit; AWS recommends that the root user have none. Creating one is either a
    /// serious mistake or an attacker who holds the root password making sure to keep access.
    /// ## How to fix
    /// Sign in as the root user, open Security credentials, and delete the key under Access keys
    /// (or `aws iam delete-access-key --access-key-id <access-key-id>` with the root credentials). Then rotate
    /// the root password, check the root MFA device, and review what the key did in CloudTrail.
    /// ## References
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html
    /// - https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-4
    /// - https://attack.mitre.org/techniques/T1098/001/
    ROOT_ACCESS_KEY_CREATED {
        id: "iam-root-access-key-created",
        title: "Access key created for the root user",
        severity: Severity::Critical,
        source: "iam.amazonaws.com",
        events: &["CreateAccessKey"],
        attack: Some("T1098.001"),
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: UserRequest = ev.request()?;
    if ev.user_identity.kind() != "Root" || !targets_caller(ev, req.user_name.as_deref()) {
        return Ok(Vec::new());
    }
    let resp: CreateAccessKeyResponse = ev.response()?;
    let key = resp.key_id().unwrap_or_else(|| "(not recorded)".to_string());
    let account = ev.account_id.to_string();
    let mut resource = Resource::new(ResourceKind::ROOT_USER, &account);
    if let Some(arn) = ev.user_identity.arn.as_deref() {
        resource = resource.with_arn(arn);
    }
    Ok(vec![
        Detection::new(format!("The root user of account {account} created access key {key}"), resource)
            .field("Account", &account)
            .field("Access key", key)
            .field("Source IP", ev.source_ip.as_ref()),
    ])
}
