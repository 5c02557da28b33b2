use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful `GetFederationToken`: an IAM user (or root) minting temporary credentials
    /// for a federated session. When the session policy passed with it allows every action
    /// (`"Action": "*"` on `"Resource": "*"`, or admin or privilege-escalation actions, read
    /// with the same analysis as inline policies) the alert is high; a narrower or absent policy
    /// is medium (the session then has at most the user's own permissions).
    /// ## Why it matters
    /// Federation tokens last up to 36 hours and survive the deletion of the access key that
    /// created them: attackers mint them to keep access after the key is found and deactivated
    /// (Stratus Red Team's "generate temporary AWS credentials using GetFederationToken").
    /// Few workloads call it today.
    /// ## How to fix
    /// Deactivating the user's keys does not end the session: attach an inline deny to the user
    /// with an `aws:TokenIssueTime` condition before now (what the console's "revoke sessions"
    /// does for roles), or delete the user. Then find out who used the key. Deny
    /// `sts:GetFederationToken` where nobody needs it.
    /// ## References
    /// - https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html
    /// - https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.sts-federation-token/
    /// - https://attack.mitre.org/techniques/T1550/001/
    FEDERATION_TOKEN {
        id: "sts-federation-token",
        title: "Federation token minted",
        severity: Severity::Medium,
        source: "sts.amazonaws.com",
        events: &["GetFederationToken"],
        attack: Some("T1550.001"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    name: Option<String>,
    policy: Option<PolicyText>,
    duration_seconds: Option<Scalar>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let session = req.name.unwrap_or_default();
    let user = ev.user_identity.name();
    let mut detection = Detection::new(
        format!("{user} minted federation credentials for session {session}"),
        Resource::new(ResourceKind::IAM_USER, &user),
    )
    .field("Session name", &session);
    if let Some(d) = req.duration_seconds {
        detection = detection.field("Duration (seconds)", d.0);
    }
    if let Some(text) = req.policy {
        let grants = IamPolicy::parse(text.as_str(), "requestParameters.policy")?.dangerous_grants();
        if grants.is_empty() {
            detection = detection.field("Session policy", "narrower than admin");
        } else {
            detection = detection.severity(Severity::High).field("Session policy grants", describe_grants(&grants));
        }
    } else {
        detection = detection.field("Session policy", "none (the user's own permissions)");
    }
    Ok(vec![detection])
}
