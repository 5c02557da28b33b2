use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// The root user's password changed (`PasswordUpdated`) or recovered through the "forgot
    /// password" e-mail (`PasswordRecoveryRequested`, `PasswordRecoveryCompleted`), as sign-in
    /// events record them. A completed recovery or a change is high, a recovery request medium.
    /// The same events for IAM users (`PasswordUpdated` after a forced reset) stay quiet.
    /// ## Why it matters
    /// Whoever sets the root password owns the account: a recovery nobody asked for means someone
    /// controls the root e-mail address, and a change is the step after a root takeover.
    /// ## How to fix
    /// If it was not you: recover the root user through the root e-mail at once, check its MFA
    /// devices and access keys, and review everything root did since (CloudTrail
    /// `userIdentity.type` `Root`). Protect the root e-mail mailbox with strong MFA.
    /// ## References
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-password.html
    /// - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html
    /// - https://attack.mitre.org/techniques/T1098/
    ROOT_PASSWORD_CHANGED {
        id: "signin-root-password-changed",
        title: "Root user password changed or recovered",
        severity: Severity::High,
        source: "signin.amazonaws.com",
        events: &["PasswordUpdated", "PasswordRecoveryRequested", "PasswordRecoveryCompleted"],
        attack: Some("T1098"),
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    if ev.user_identity.kind() != "Root" {
        return Ok(Vec::new());
    }
    let account = ev.account_id.to_string();
    let (what, severity) = match ev.event_name.as_ref() {
        "PasswordRecoveryRequested" => ("a password recovery was requested for", Severity::Medium),
        "PasswordRecoveryCompleted" => ("the password was recovered for", Severity::High),
        _ => ("the password was changed for", Severity::High),
    };
    Ok(vec![
        Detection::new(
            format!("Root user: {what} account {account} from {}", ev.source_ip),
            Resource::new(ResourceKind::ROOT_USER, &account),
        )
        .severity(severity)
        .field("Source IP", ev.source_ip.as_ref()),
    ])
}
