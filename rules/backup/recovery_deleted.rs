use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Successful AWS Backup deletions made by a person or their code:
    /// - `DeleteRecoveryPoint` (high): a backup itself is gone. Expiry under the plan's lifecycle
    ///   is AWS Backup's own `BackupDeleted` event, which this rule does not look at (and calls
    ///   AWS services make for you are skipped), so what fires is someone's decision.
    /// - `DeleteBackupVault` (medium): AWS Backup only deletes an empty vault, so its recovery
    ///   points were already deleted (each of those fired at high); this is the clean-up after.
    /// - `DeleteBackupPlan` (medium): existing recovery points stay until their retention ends,
    ///   but no new backups are taken for the resources the plan covered.
    ///
    /// Failed calls (for instance refused by a vault lock or a vault access policy) stay quiet.
    /// ## Why it matters
    /// Ransomware crews delete backups before they encrypt or wipe data, so that the victim has
    /// nothing to restore from. Deleting recovery points is the step that makes an incident
    /// unrecoverable; deleting plans and vaults removes the protection for what comes next.
    /// ## How to fix
    /// A deleted recovery point cannot be restored: take a fresh backup of the resource now
    /// (`aws backup start-backup-job --region <region> --backup-vault-name <backup-vault> --resource-arn <resource-arn> --iam-role-arn <role-arn>`),
    /// check the copies in other accounts and Regions, and revoke the credentials that made the
    /// call. Recreate a deleted plan with `aws backup create-backup-plan` and its selections with
    /// `aws backup create-backup-selection`; recreate a vault with `aws backup
    /// create-backup-vault`. To prevent it, lock vaults in compliance mode (`aws backup
    /// put-backup-vault-lock-configuration`), deny `backup:DeleteRecoveryPoint` in the vault
    /// access policy, and keep copies in a separate backup account.
    /// ## References
    /// - https://docs.aws.amazon.com/aws-backup/latest/devguide/deleting-backups.html
    /// - https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
    /// - https://docs.aws.amazon.com/aws-backup/latest/devguide/logging-using-cloudtrail.html
    /// - https://attack.mitre.org/techniques/T1490/
    RECOVERY_DELETED {
        id: "backup-recovery-deleted",
        title: "AWS Backup recovery point, vault or plan deleted",
        severity: Severity::High,
        source: "backup.amazonaws.com",
        events: &["DeleteRecoveryPoint", "DeleteBackupVault", "DeleteBackupPlan"],
        attack: Some("T1490"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    backup_vault_name: Option<String>,
    recovery_point_arn: Option<String>,
    backup_plan_id: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlanResponse {
    backup_plan_arn: Option<String>,
    version_id: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let vault = req.backup_vault_name.unwrap_or_default();
    let region = ev.aws_region.as_ref();
    let finding = match ev.event_name.as_ref() {
        "DeleteRecoveryPoint" => {
            let point = req.recovery_point_arn.unwrap_or_default();
            Detection::new(
                format!("AWS Backup recovery point {point} was deleted from vault {vault}"),
                Resource::new(ResourceKind::BACKUP_RECOVERY_POINT, &point).with_arn(&point),
            )
            .field("Recovery point", &point)
            .field("Backup vault", &vault)
        }
        "DeleteBackupVault" => Detection::new(
            format!("AWS Backup vault {vault} was deleted in {region}"),
            Resource::new(ResourceKind::BACKUP_VAULT, &vault),
        )
        .field("Backup vault", &vault)
        .severity(Severity::Medium),
        _ => {
            let plan = req.backup_plan_id.unwrap_or_default();
            let resp: PlanResponse = ev.response()?;
            let mut resource = Resource::new(ResourceKind::BACKUP_PLAN, &plan);
            if let Some(arn) = &resp.backup_plan_arn {
                resource = resource.with_arn(arn);
            }
            let mut f = Detection::new(
                format!("AWS Backup plan {plan} was deleted in {region}: its resources are no longer backed up"),
                resource,
            )
            .field("Backup plan", &plan)
            .severity(Severity::Medium);
            if let Some(version) = resp.version_id {
                f = f.field("Plan version", version);
            }
            f
        }
    };
    Ok(vec![finding])
}
