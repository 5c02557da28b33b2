use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful Secrets Manager `DeleteSecret` call. A normal deletion is only scheduled: the
    /// secret can be restored for `recoveryWindowInDays` days (7 to 30; 30 when the request does
    /// not say), and it fires at medium with the window and the deletion date. A deletion with
    /// `forceDeleteWithoutRecovery: true` removes the secret at once, with no way back, and fires
    /// at high. Deleting a replica secret is the same call and fires the same way. Failed calls
    /// stay quiet.
    /// ## Why it matters
    /// A secret holds the credential an application uses (a database password, an API key).
    /// Deleting it breaks the application and, force-deleted, destroys the only copy of the
    /// credential: a quick way for an intruder to cause an outage or cover the use of a secret
    /// they have already read.
    /// ## How to fix
    /// Within the recovery window: `aws secretsmanager restore-secret --region <region> --secret-id <secret>`, then find
    /// out who deleted it. A force-deleted secret cannot be restored: rotate the credential at
    /// its source (database, third-party service) and store it again with `aws secretsmanager
    /// create-secret`. Deny `secretsmanager:DeleteSecret` on important secrets in their resource
    /// policy or an SCP, or at least deny it when `secretsmanager:ForceDeleteWithoutRecovery` is
    /// true.
    /// ## References
    /// - https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html
    /// - https://docs.aws.amazon.com/secretsmanager/latest/userguide/manage_delete-restore-secret.html
    /// - https://attack.mitre.org/techniques/T1485/
    SECRET_DELETED {
        id: "secretsmanager-secret-deleted",
        title: "Secrets Manager secret deleted",
        severity: Severity::Medium,
        source: "secretsmanager.amazonaws.com",
        events: &["DeleteSecret"],
        attack: Some("T1485"),
    }
}

/// The recovery window when the request names none.
const DEFAULT_RECOVERY_DAYS: &str = "30";

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    secret_id: Option<String>,
    recovery_window_in_days: Option<Scalar>,
    force_delete_without_recovery: Option<bool>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    name: Option<String>,
    #[serde(rename = "aRN", alias = "arn")]
    arn: Option<String>,
    deletion_date: Option<Scalar>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let resp: Response = ev.response()?;
    let secret = resp.name.or(req.secret_id).unwrap_or_default();
    let mut resource = Resource::new(ResourceKind::SECRET, &secret);
    if let Some(arn) = &resp.arn {
        resource = resource.with_arn(arn);
    }
    let finding = if req.force_delete_without_recovery == Some(true) {
        Detection::new(
            format!("Secrets Manager secret {secret} was deleted immediately, without a recovery window"),
            resource,
        )
        .field("Secret", &secret)
        .field("Recovery window", "none (forceDeleteWithoutRecovery)")
        .severity(Severity::High)
    } else {
        let days = req.recovery_window_in_days.map_or_else(|| DEFAULT_RECOVERY_DAYS.to_string(), |d| d.0);
        let mut f = Detection::new(
            format!("Secrets Manager secret {secret} was scheduled for deletion in {days} days"),
            resource,
        )
        .field("Secret", &secret)
        .field("Recovery window", format!("{days} days"));
        if let Some(date) = resp.deletion_date {
            f = f.field("Deletion date", date.0);
        }
        f
    };
    Ok(vec![finding])
}
