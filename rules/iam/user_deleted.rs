use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Every successful `DeleteUser` call: an IAM user is gone.
    /// ## Why it matters
    /// Mostly offboarding, hence low. But deleting users is also how an intruder locks the
    /// owners out or removes the user they used, and the user's credentials and inline policies
    /// go with it.
    /// ## How to fix
    /// A deleted user cannot be restored: if the deletion was not planned, recreate the user
    /// (`aws iam create-user --user-name <iam-user>`) with its groups, policies and credentials, and find
    /// out who made the call.
    /// ## References
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_remove.html
    /// - https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUser.html
    /// - https://attack.mitre.org/techniques/T1531/
    USER_DELETED {
        id: "iam-user-deleted",
        title: "IAM user deleted",
        severity: Severity::Low,
        source: "iam.amazonaws.com",
        events: &["DeleteUser"],
        attack: Some("T1531"),
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: UserRequest = ev.request()?;
    let user = req.user_name.unwrap_or_default();
    Ok(vec![
        Detection::new(
            format!("IAM user {user} was deleted by {}", ev.user_identity.name()),
            Resource::new(ResourceKind::IAM_USER, &user),
        )
        .field("User", &user)
        .field("Deleted by", ev.user_identity.name()),
    ])
}
