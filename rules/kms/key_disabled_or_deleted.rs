use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Successful KMS calls that take a key out of use:
    /// - `ScheduleKeyDeletion` (high): the key is deleted after `pendingWindowInDays` (7 to 30;
    ///   30 when the request does not say). The alert gives the window and the deletion date.
    /// - `DisableKey` (medium): nothing can encrypt or decrypt with the key until it is enabled.
    /// - `DeleteAlias` (low): the key stays, but code and services that name it by alias break,
    ///   and the alias name is free to be pointed at another key.
    ///
    /// Failed calls stay quiet. The deletion itself, when the window ends, is an AWS-internal
    /// `DeleteKey` event and is not what this rule looks at.
    /// ## Why it matters
    /// Data encrypted under a deleted key is unrecoverable: deleting a KMS key destroys every
    /// EBS volume, snapshot, S3 object, database and secret protected by it, without touching
    /// them. Disabling a key is the same outage, reversible. Attackers use both for
    /// destruction and extortion.
    /// ## How to fix
    /// Within the waiting period: `aws kms cancel-key-deletion --region <region> --key-id <kms-key>`, then `aws kms
    /// enable-key --key-id <kms-key>` (a cancelled key comes back disabled). A disabled key: `aws kms
    /// enable-key --key-id <kms-key>`. A deleted alias: `aws kms create-alias --region <region> --alias-name <kms-alias>
    /// --target-key-id <target-key-id>`. Then find out who made the call. Deny `kms:ScheduleKeyDeletion` and
    /// `kms:DisableKey` in key policies or an SCP to all but key administrators, and alarm on
    /// use of keys pending deletion.
    /// ## References
    /// - https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html
    /// - https://docs.aws.amazon.com/kms/latest/developerguide/enabling-keys.html
    /// - https://docs.aws.amazon.com/kms/latest/developerguide/alias-manage.html
    /// - https://attack.mitre.org/techniques/T1485/
    KEY_DISABLED_OR_DELETED {
        id: "kms-key-disabled-or-deleted",
        title: "KMS key scheduled for deletion, disabled or unaliased",
        severity: Severity::High,
        source: "kms.amazonaws.com",
        events: &["ScheduleKeyDeletion", "DisableKey", "DeleteAlias"],
        attack: Some("T1485"),
    }
}

/// The waiting period when the request names none.
const DEFAULT_PENDING_DAYS: &str = "30";

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    key_id: Option<String>,
    pending_window_in_days: Option<Scalar>,
    alias_name: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    /// The key ARN (ScheduleKeyDeletion).
    key_id: Option<String>,
    deletion_date: Option<Scalar>,
    key_state: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let region = ev.aws_region.as_ref();
    if ev.event_name == "DeleteAlias" {
        let alias = req.alias_name.unwrap_or_default();
        return Ok(vec![
            Detection::new(
                format!("KMS alias {alias} was deleted in {region}"),
                Resource::new(ResourceKind::KMS_ALIAS, &alias),
            )
            .field("Alias", &alias)
            .severity(Severity::Low),
        ]);
    }
    let resp: Response = ev.response()?;
    let key = req.key_id.unwrap_or_default();
    let mut resource = Resource::new(ResourceKind::KMS_KEY, &key);
    if let Some(arn) = resp.key_id.as_deref().filter(|a| a.starts_with("arn:")) {
        resource = resource.with_arn(arn);
    }
    if ev.event_name == "DisableKey" {
        return Ok(vec![
            Detection::new(format!("KMS key {key} was disabled in {region}"), resource)
                .field("Key", &key)
                .severity(Severity::Medium),
        ]);
    }
    let days = req.pending_window_in_days.map_or_else(|| DEFAULT_PENDING_DAYS.to_string(), |d| d.0);
    let mut finding = Detection::new(format!("KMS key {key} was scheduled for deletion in {days} days"), resource)
        .field("Key", &key)
        .field("Waiting period", format!("{days} days"));
    if let Some(date) = resp.deletion_date {
        finding = finding.field("Deletion date", date.0);
    }
    if let Some(state) = resp.key_state {
        finding = finding.field("Key state", state);
    }
    Ok(vec![finding])
}
