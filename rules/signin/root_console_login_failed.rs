use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A failed `ConsoleLogin` by the root user (`responseElements.ConsoleLogin` is "Failure").
    /// Unlike the other rules, this one is about a call that failed.
    /// ## Why it matters
    /// Someone knows the root user's e-mail address and is trying passwords, or is holding a
    /// phished password and failing the MFA step. Either way the root credentials are targeted.
    /// ## How to fix
    /// Check with the account owner. If it was not them, make sure root has a strong unique
    /// password and MFA, that the root e-mail mailbox itself is protected, and watch for a
    /// following successful sign-in (`signin-root-console-login`).
    /// ## References
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html
    /// - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html
    /// - https://attack.mitre.org/techniques/T1110/
    ROOT_CONSOLE_LOGIN_FAILED {
        id: "signin-root-console-login-failed",
        title: "Failed root console sign-in",
        severity: Severity::Medium,
        source: "signin.amazonaws.com",
        events: &["ConsoleLogin"],
        attack: Some("T1110"),
        include_failed: true,
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    if ev.user_identity.kind() != "Root" || ev.console_login()?.success != Some(false) {
        return Ok(Vec::new());
    }
    let account = ev.account_id.to_string();
    let reason = ev.error_message.as_deref().unwrap_or("not recorded").to_string();
    Ok(vec![
        Detection::new(
            format!("Failed root console sign-in to account {account} from {}", ev.source_ip),
            Resource::new(ResourceKind::ACCOUNT, &account),
        )
        .field("Source IP", ev.source_ip.as_ref())
        .field("Error", reason),
    ])
}
