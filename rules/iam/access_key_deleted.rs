use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Every successful `DeleteAccessKey` call: an IAM user's (or, without `userName`, the
    /// caller's own) access key was deleted.
    /// ## Why it matters
    /// Usually routine key rotation, hence low. Worth a line in the record because deleting a
    /// key cuts off whatever used it (a service, a pipeline), and an intruder may delete the
    /// owner's keys to lock them out or clean up a key they created.
    /// ## How to fix
    /// A deleted key cannot be restored. If the deletion was not planned, find who made the call,
    /// and give the key's owner a new key (`aws iam create-access-key --user-name <user-name>`) once the
    /// caller is trusted again.
    /// ## References
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
    /// - https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteAccessKey.html
    ACCESS_KEY_DELETED {
        id: "iam-access-key-deleted",
        title: "IAM access key deleted",
        severity: Severity::Low,
        source: "iam.amazonaws.com",
        events: &["DeleteAccessKey"],
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    user_name: Option<String>,
    access_key_id: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let user = req.user_name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| ev.user_identity.name());
    let key = req.access_key_id.unwrap_or_default();
    Ok(vec![
        Detection::new(
            format!("Access key {key} of IAM user {user} was deleted"),
            Resource::new(ResourceKind::IAM_ACCESS_KEY, &key),
        )
        .field("User", &user)
        .field("Access key", &key)
        .field("Deleted by", ev.user_identity.name()),
    ])
}
