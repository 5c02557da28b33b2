use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful `ConsoleLogin` by the account's root user. Critical when the sign-in did not
    /// use MFA, high otherwise.
    /// ## Why it matters
    /// The root user can do anything, including closing the account, and cannot be restricted
    /// by IAM policies (only by SCPs). AWS recommends using it only for the few tasks that
    /// require it; any other root sign-in is either a mistake or a stolen password.
    /// ## How to fix
    /// Confirm with the account owner that the sign-in was theirs. If not: reset the root
    /// password, remove unknown MFA devices and access keys, and review CloudTrail for what the
    /// session did. Enforce MFA on root; in AWS Organizations, consider centralized root access
    /// to remove member-account root credentials.
    /// ## References
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html#root-user-tasks
    /// - https://attack.mitre.org/techniques/T1078/004/
    ROOT_CONSOLE_LOGIN {
        id: "signin-root-console-login",
        title: "Root user signed in to the console",
        severity: Severity::High,
        source: "signin.amazonaws.com",
        events: &["ConsoleLogin"],
        attack: Some("T1078.004"),
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    if ev.user_identity.kind() != "Root" {
        return Ok(Vec::new());
    }
    let login = ev.console_login()?;
    if login.success != Some(true) {
        return Ok(Vec::new());
    }
    let account = ev.account_id.to_string();
    let mut finding = Detection::new(
        format!("Root user of account {account} signed in to the console from {}", ev.source_ip),
        Resource::new(ResourceKind::ACCOUNT, &account),
    )
    .field("Source IP", ev.source_ip.as_ref())
    .field("MFA used", yes_no(login.mfa_used));
    if login.mfa_used == Some(false) {
        finding = finding.severity(Severity::Critical);
    }
    Ok(vec![finding])
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "not recorded",
    }
}
