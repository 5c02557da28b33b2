use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `CreateLoginProfile` or `UpdateLoginProfile` call that sets the console password of an
    /// IAM user other than the caller: `requestParameters.userName` is set and is not the calling
    /// IAM user's own name (compared without case). Any caller that is not that user counts,
    /// assumed roles and root included. Setting one's own password (no `userName`, or one's own)
    /// stays quiet. `passwordResetRequired` does not lower the alert: whoever knows the
    /// temporary password signs in first and picks the new one.
    ///
    /// A `CreateLoginProfile` by the root user without `userName` gives the root user itself a
    /// console password: critical. Accounts created by AWS Organizations have no root password,
    /// and a root session obtained with `sts:AssumeRoot` (centralised root access) that creates
    /// one turns a short task session into a lasting root sign-in.
    /// ## Why it matters
    /// Whoever sets a user's password can sign in to the console as that user: giving a
    /// console password to a user that had none, or resetting someone else's, is a direct
    /// account-takeover and privilege-escalation path (`iam:CreateLoginProfile`,
    /// `iam:UpdateLoginProfile`). Admins onboarding users do it too, hence high, not critical.
    /// ## How to fix
    /// If it was not an expected onboarding or reset: remove the password
    /// (`aws iam delete-login-profile --user-name <iam-user>`) or reset it yourself, check the user's MFA
    /// devices and console sign-ins since the change, and investigate the caller.
    /// ## References
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_admin-change-user.html
    /// - https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateLoginProfile.html
    /// - https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateLoginProfile.html
    /// - https://attack.mitre.org/techniques/T1098/
    LOGIN_PROFILE_SET_FOR_OTHER_USER {
        id: "iam-login-profile-set-for-other-user",
        title: "Console password set for another IAM user",
        severity: Severity::High,
        source: "iam.amazonaws.com",
        events: &["CreateLoginProfile", "UpdateLoginProfile"],
        attack: Some("T1098"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    user_name: Option<String>,
    password_reset_required: Option<bool>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let no_user = req.user_name.as_deref().is_none_or(|n| n.trim().is_empty());
    if ev.user_identity.kind() == "Root" && no_user && ev.event_name == "CreateLoginProfile" {
        let account = ev.account_id.to_string();
        return Ok(vec![
            Detection::new(
                format!("The root user of account {account} was given a console password"),
                Resource::new(ResourceKind::ROOT_USER, &account),
            )
            .severity(Severity::Critical)
            .field("Set by", ev.user_identity.arn.as_deref().unwrap_or("root").to_string()),
        ]);
    }
    if targets_caller(ev, req.user_name.as_deref()) {
        return Ok(Vec::new());
    }
    let user = req.user_name.unwrap_or_default();
    let verb = if ev.event_name == "CreateLoginProfile" { "was given" } else { "had" };
    let what =
        if ev.event_name == "CreateLoginProfile" { "a console password" } else { "its console password changed" };
    let mut finding = Detection::new(
        format!("IAM user {user} {verb} {what} by {}", ev.user_identity.name()),
        Resource::new(ResourceKind::IAM_USER, &user),
    )
    .field("User", &user)
    .field("Set by", ev.user_identity.arn.as_deref().map_or_else(|| ev.user_identity.name(), str::to_string));
    if let Some(reset) = req.password_reset_required {
        finding = finding.field("Password reset required", if reset { "yes" } else { "no" });
    }
    Ok(vec![finding])
}
