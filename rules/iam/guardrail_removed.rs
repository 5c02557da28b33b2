use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// An IAM guardrail taken off a principal: a permissions boundary deleted from a user or role
    /// (`DeleteUserPermissionsBoundary`, `DeleteRolePermissionsBoundary`), or an MFA device
    /// deactivated (`DeactivateMFADevice`) or deleted (`DeleteVirtualMFADevice`). Removing one's
    /// own MFA device to replace it is common, so MFA removals are medium; a boundary removed is
    /// high, and any of them on the root user is critical.
    /// ## Why it matters
    /// A permissions boundary is what keeps a delegated administrator from granting itself more;
    /// deleting it lifts the ceiling at once. Removing MFA makes a stolen password enough to sign
    /// in, and is a standard step before taking over an account.
    /// ## How to fix
    /// Put the boundary back (`aws iam put-role-permissions-boundary --role-name <iam-role> --permissions-boundary <policy-arn>`,
    /// or `put-user-permissions-boundary`), or have the user enrol MFA again, and check what the
    /// principal did without it. Deny `iam:DeleteUserPermissionsBoundary` and
    /// `iam:DeleteRolePermissionsBoundary` to delegated administrators.
    /// ## References
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
    /// - https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeactivateMFADevice.html
    /// - https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRolePermissionsBoundary.html
    /// - https://attack.mitre.org/techniques/T1556/006/
    GUARDRAIL_REMOVED {
        id: "iam-boundary-or-mfa-removed",
        title: "Permissions boundary or MFA device removed",
        severity: Severity::High,
        source: "iam.amazonaws.com",
        events: &["DeleteUserPermissionsBoundary", "DeleteRolePermissionsBoundary", "DeactivateMFADevice", "DeleteVirtualMFADevice"],
        attack: Some("T1556.006"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    user_name: Option<String>,
    role_name: Option<String>,
    serial_number: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let serial = req.serial_number.unwrap_or_default();
    let root = ev.user_identity.kind() == "Root" && req.user_name.is_none()
        || serial.ends_with(":mfa/root-account-mfa-device");
    let detection = match ev.event_name.as_ref() {
        "DeleteRolePermissionsBoundary" => {
            let role = req.role_name.unwrap_or_default();
            Detection::new(
                format!("Permissions boundary removed from IAM role {role}"),
                Resource::new(ResourceKind::IAM_ROLE, &role),
            )
            .field("Role", &role)
        }
        "DeleteUserPermissionsBoundary" => {
            let user = req.user_name.unwrap_or_default();
            Detection::new(
                format!("Permissions boundary removed from IAM user {user}"),
                Resource::new(ResourceKind::IAM_USER, &user),
            )
            .field("User", &user)
        }
        name => {
            let verb = if name == "DeactivateMFADevice" { "deactivated" } else { "deleted" };
            let (kind, who) = if root {
                (ResourceKind::ROOT_USER, ev.account_id.to_string())
            } else {
                let user =
                    req.user_name.clone().unwrap_or_else(|| serial.rsplit('/').next().unwrap_or_default().to_string());
                (ResourceKind::IAM_USER, user)
            };
            let label = if root { "the root user".to_string() } else { format!("IAM user {who}") };
            Detection::new(format!("MFA device of {label} was {verb}"), Resource::new(kind, &who))
                .severity(Severity::Medium)
                .field("MFA device", &serial)
        }
    };
    Ok(vec![if root { detection.severity(Severity::Critical) } else { detection }])
}
