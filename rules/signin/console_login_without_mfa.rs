use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful `ConsoleLogin` by an IAM user whose `additionalEventData.MFAUsed` is "No".
    /// Federated and IAM Identity Center sign-ins (assumed roles, SAML, `AWSReservedSSO_*`)
    /// never record MFA here, because the identity provider handles it, so they stay quiet; the
    /// root user has its own rule (`signin-root-console-login`).
    /// ## Why it matters
    /// A console password alone is one phishing page away from an attacker. Users with console
    /// access and no MFA are the usual first foothold in an AWS account.
    /// ## How to fix
    /// Require the user to register an MFA device (and deny actions without
    /// `aws:MultiFactorAuthPresent` until they do), or move human access to IAM Identity Center.
    /// If the sign-in was unexpected, reset the password and review the session's activity.
    /// ## References
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html
    /// - https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-5
    /// - https://attack.mitre.org/techniques/T1078/004/
    CONSOLE_LOGIN_WITHOUT_MFA {
        id: "signin-console-login-without-mfa",
        title: "Console sign-in without MFA",
        severity: Severity::Medium,
        source: "signin.amazonaws.com",
        events: &["ConsoleLogin"],
        attack: Some("T1078.004"),
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    if ev.user_identity.kind() != "IAMUser" {
        return Ok(Vec::new());
    }
    let login = ev.console_login()?;
    if login.success != Some(true) || login.mfa_used != Some(false) {
        return Ok(Vec::new());
    }
    let user = ev.user_identity.name();
    let arn = ev.user_identity.arn.as_deref().unwrap_or_default();
    let mut resource = Resource::new(ResourceKind::IAM_USER, &user);
    if !arn.is_empty() {
        resource = resource.with_arn(arn);
    }
    Ok(vec![
        Detection::new(format!("IAM user {user} signed in to the console without MFA from {}", ev.source_ip), resource)
            .field("User", &user)
            .field("Source IP", ev.source_ip.as_ref())
            .field("MFA used", "no"),
    ])
}
