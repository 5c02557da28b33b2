use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// IAM Roles Anywhere trust set up or widened: `CreateTrustAnchor`, `UpdateTrustAnchor` and
    /// `EnableTrustAnchor` (a certificate authority whose certificates can now get AWS
    /// credentials; high), and `CreateProfile`, `UpdateProfile` and `EnableProfile` (which roles
    /// those certificates can assume; medium, with the roles listed). A trust anchor or profile
    /// created disabled (`"enabled": false`) stays quiet until it is enabled, which alerts.
    /// ## Why it matters
    /// A trust anchor with an attacker's CA is persistence outside IAM users and keys: anyone
    /// holding a certificate it signed can get temporary credentials for the profile's roles
    /// from anywhere, and deleting users or keys does not end it (Stratus Red Team's "create an
    /// IAM Roles Anywhere trust anchor").
    /// ## How to fix
    /// If nobody expected it: disable and delete the trust anchor
    /// (`aws rolesanywhere disable-trust-anchor --region <region> --trust-anchor-id <trust-anchor-id>`),
    /// remove `rolesanywhere.amazonaws.com` from the trust policies of the roles it reached, and
    /// look for sessions those roles had. Deny `rolesanywhere:*` writes outside an admin role.
    /// ## References
    /// - https://docs.aws.amazon.com/rolesanywhere/latest/userguide/introduction.html
    /// - https://docs.aws.amazon.com/rolesanywhere/latest/APIReference/API_CreateTrustAnchor.html
    /// - https://docs.aws.amazon.com/rolesanywhere/latest/APIReference/API_CreateProfile.html
    /// - https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.rolesanywhere-create-trust-anchor/
    /// - https://attack.mitre.org/techniques/T1098/
    TRUST_CHANGED {
        id: "rolesanywhere-trust-changed",
        title: "IAM Roles Anywhere trust anchor or profile created or changed",
        severity: Severity::High,
        source: "rolesanywhere.amazonaws.com",
        events: &["CreateTrustAnchor", "UpdateTrustAnchor", "EnableTrustAnchor", "CreateProfile", "UpdateProfile", "EnableProfile"],
        attack: Some("T1098"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    name: Option<String>,
    enabled: Option<bool>,
    trust_anchor_id: Option<String>,
    profile_id: Option<String>,
    role_arns: Option<Vec<String>>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    trust_anchor: Option<Created>,
    profile: Option<Created>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    trust_anchor_id: Option<String>,
    profile_id: Option<String>,
    name: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    if req.enabled == Some(false) {
        return Ok(Vec::new());
    }
    let resp = ev.response_or_default::<Response>();
    let anchor = ev.event_name.ends_with("TrustAnchor");
    let created = if anchor { resp.trust_anchor } else { resp.profile }.unwrap_or_default();
    let id =
        if anchor { req.trust_anchor_id.or(created.trust_anchor_id) } else { req.profile_id.or(created.profile_id) }
            .unwrap_or_default();
    let name = req.name.or(created.name).unwrap_or_default();
    let label = if name.is_empty() { id.clone() } else { name.clone() };
    let verb = match ev.event_name.as_ref() {
        n if n.starts_with("Create") => "created",
        n if n.starts_with("Enable") => "enabled",
        _ => "updated",
    };
    let (kind, what) = if anchor {
        (ResourceKind::ROLES_ANYWHERE_TRUST_ANCHOR, "trust anchor")
    } else {
        (ResourceKind::ROLES_ANYWHERE_PROFILE, "profile")
    };
    let mut detection =
        Detection::new(format!("IAM Roles Anywhere {what} {label} was {verb}"), Resource::new(kind, &id))
            .field("Name", &name)
            .field("Id", &id);
    if anchor {
        detection = detection.param("trust-anchor-id", &id);
    } else {
        detection = detection.severity(Severity::Medium);
    }
    if let Some(roles) = req.role_arns {
        detection = detection.field("Roles", roles.join(", "));
    }
    Ok(vec![detection])
}
