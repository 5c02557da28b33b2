use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `CreateAccessKey` call that creates a key for an IAM user other than the caller:
    /// `requestParameters.userName` is set and is not the calling IAM user's own name (compared
    /// without case, as IAM does). Any caller that is not that IAM user counts: another IAM user,
    /// an assumed role, the root user naming a user. A user creating their own key (no
    /// `userName`, or their own) stays quiet; the root user creating its own key is
    /// `iam-root-access-key-created`.
    /// ## Why it matters
    /// A new access key for someone else's user is a second, long-lived set of credentials the
    /// user does not know about: the classic persistence backdoor after a compromise, and a way to
    /// act as a more privileged user. Legitimate provisioning does it too (a pipeline creating
    /// keys for service users), hence high, not critical.
    /// ## How to fix
    /// If nobody expected it, deactivate and delete the key
    /// (`aws iam update-access-key --user-name <iam-user> --access-key-id <access-key-id> --status Inactive`, then
    /// `aws iam delete-access-key --user-name <iam-user> --access-key-id <access-key-id>`), review what the key did in
    /// CloudTrail, and investigate the caller's credentials.
    /// ## References
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
    /// - https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html
    /// - https://attack.mitre.org/techniques/T1098/001/
    ACCESS_KEY_CREATED_FOR_OTHER_USER {
        id: "iam-access-key-created-for-other-user",
        title: "Access key created for another IAM user",
        severity: Severity::High,
        source: "iam.amazonaws.com",
        events: &["CreateAccessKey"],
        attack: Some("T1098.001"),
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: UserRequest = ev.request()?;
    if targets_caller(ev, req.user_name.as_deref()) {
        return Ok(Vec::new());
    }
    let user = req.user_name.unwrap_or_default();
    let resp: CreateAccessKeyResponse = ev.response()?;
    let key = resp.key_id().unwrap_or_else(|| "(not recorded)".to_string());
    let caller = ev.user_identity.arn.as_deref().map_or_else(|| ev.user_identity.name(), str::to_string);
    Ok(vec![
        Detection::new(
            format!("Access key {key} was created for IAM user {user} by {}", ev.user_identity.name()),
            Resource::new(ResourceKind::IAM_USER, &user),
        )
        .field("User", &user)
        .field("Access key", key)
        .field("Created by", caller),
    ])
}
