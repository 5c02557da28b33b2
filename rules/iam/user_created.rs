use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Every successful `CreateUser` call: a new IAM user exists. Whether it was given
    /// credentials or power shows in other rules (`iam-access-key-created-for-other-user`,
    /// `iam-login-profile-set-for-other-user`, `iam-privileged-managed-policy-attached`).
    /// ## Why it matters
    /// IAM users carry long-lived credentials; a new one is a new door into the account, and
    /// creating one is a common persistence step after a compromise. Most accounts create them
    /// rarely, so each one is worth knowing about: low.
    /// ## How to fix
    /// If it is not expected, remove the user's keys, password, MFA devices and policies, then
    /// `aws iam delete-user --user-name <iam-user>`; find out who created it.
    /// ## References
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_create.html
    /// - https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html
    /// - https://attack.mitre.org/techniques/T1136/003/
    USER_CREATED {
        id: "iam-user-created",
        title: "IAM user created",
        severity: Severity::Low,
        source: "iam.amazonaws.com",
        events: &["CreateUser"],
        attack: Some("T1136.003"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    user: Option<User>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    arn: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: UserRequest = ev.request()?;
    let resp: Response = ev.response()?;
    let user = req.user_name.unwrap_or_default();
    let arn = resp.user.and_then(|u| u.arn);
    let mut resource = Resource::new(ResourceKind::IAM_USER, &user);
    if let Some(a) = &arn {
        resource = resource.with_arn(a);
    }
    let mut finding = Detection::new(format!("IAM user {user} was created by {}", ev.user_identity.name()), resource)
        .field("User", &user);
    if let Some(a) = arn {
        finding = finding.field("User ARN", a);
    }
    Ok(vec![finding.field("Created by", ev.user_identity.name())])
}
