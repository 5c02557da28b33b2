use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// `LeaveOrganization`: the account trying to leave its AWS Organization. This rule opts in
    /// to failed calls (`include_failed`): the attempt is the signal, because an SCP or a
    /// missing permission is usually all that stops it, and whoever tried will try another way.
    /// A success is critical, a refused attempt high; the alert shows the error.
    /// ## Why it matters
    /// An account that leaves the organization drops every service control policy, the
    /// organization trail, delegated GuardDuty and Security Hub, and centralised backups at
    /// once: the strongest defence-evasion move an intruder with account admin has (Stratus Red
    /// Team's "attempt to leave the AWS Organization").
    /// ## How to fix
    /// If it succeeded, invite the account back (`aws organizations invite-account-to-organization --target Id=<account-id>,Type=ACCOUNT`
    /// from the management account) and treat the account as compromised until the caller is
    /// explained. Either way, deny `organizations:LeaveOrganization` with an SCP on every
    /// member account, and investigate the principal that tried.
    /// ## References
    /// - https://docs.aws.amazon.com/organizations/latest/APIReference/API_LeaveOrganization.html
    /// - https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html
    /// - https://stratus-red-team.cloud/attack-techniques/AWS/aws.defense-evasion.organizations-leave/
    /// - https://attack.mitre.org/techniques/T1562/
    ACCOUNT_LEFT {
        id: "organizations-account-left",
        title: "Account left, or tried to leave, the organization",
        severity: Severity::Critical,
        source: "organizations.amazonaws.com",
        events: &["LeaveOrganization"],
        attack: Some("T1562"),
        include_failed: true,
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let account = ev.account_id.to_string();
    let resource = Resource::new(ResourceKind::ACCOUNT, &account);
    Ok(vec![
        match &ev.error_code {
            None => Detection::new(format!("Account {account} left its AWS Organization"), resource),
            Some(code) => Detection::new(
                format!("Account {account} tried to leave its AWS Organization (refused: {code})"),
                resource,
            )
            .severity(Severity::High)
            .field("Error", code.as_ref())
            .field("Error message", ev.error_message.as_deref().unwrap_or("(none)")),
        }
        .field("Caller", ev.user_identity.arn.as_deref().map_or_else(|| ev.user_identity.name(), str::to_string)),
    ])
}
