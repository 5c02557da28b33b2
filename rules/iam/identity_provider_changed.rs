use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A SAML or OIDC identity provider created or changed: `CreateSAMLProvider`,
    /// `UpdateSAMLProvider` (new metadata, so new signing certificates), `CreateOpenIDConnectProvider`,
    /// `UpdateOpenIDConnectProviderThumbprint` and `AddClientIDToOpenIDConnectProvider`. The alert
    /// names the provider and, for OIDC, its URL and client ids.
    /// ## Why it matters
    /// An identity provider is a door into the account: whoever controls the IdP (or the
    /// certificate in the new metadata) can sign in as any role that trusts it, and the access
    /// survives the deletion of every user and key. Attackers add their own IdP for persistence.
    /// ## How to fix
    /// If it is not your IdP: delete it (`aws iam delete-saml-provider --saml-provider-arn <identity-provider>`,
    /// or `delete-open-id-connect-provider`), check which roles trust it and their sessions, and
    /// allow these actions only to the identity team.
    /// ## References
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers.html
    /// - https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateSAMLProvider.html
    /// - https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html
    /// - https://attack.mitre.org/techniques/T1484/002/
    IDENTITY_PROVIDER_CHANGED {
        id: "iam-identity-provider-changed",
        title: "SAML or OIDC identity provider created or changed",
        severity: Severity::High,
        source: "iam.amazonaws.com",
        events: &[
            "CreateSAMLProvider",
            "UpdateSAMLProvider",
            "CreateOpenIDConnectProvider",
            "UpdateOpenIDConnectProviderThumbprint",
            "AddClientIDToOpenIDConnectProvider",
        ],
        attack: Some("T1484.002"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    name: Option<String>,
    #[serde(rename = "sAMLProviderArn")]
    saml_provider_arn: Option<String>,
    #[serde(rename = "openIDConnectProviderArn")]
    oidc_provider_arn: Option<String>,
    url: Option<String>,
    #[serde(rename = "clientIDList", default)]
    client_ids: OneOrMany<String>,
    #[serde(rename = "clientID")]
    client_id: Option<String>,
}

#[derive(Default, Deserialize)]
struct Response {
    #[serde(rename = "sAMLProviderArn")]
    saml_provider_arn: Option<String>,
    #[serde(rename = "openIDConnectProviderArn")]
    oidc_provider_arn: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let resp = ev.response_or_default::<Response>();
    let saml = ev.event_name.contains("SAML");
    let arn = req
        .saml_provider_arn
        .or(req.oidc_provider_arn)
        .or(resp.saml_provider_arn)
        .or(resp.oidc_provider_arn)
        .or(req.url.clone())
        .or(req.name.clone())
        .unwrap_or_default();
    let label = req.name.clone().unwrap_or_else(|| arn.rsplit('/').next().unwrap_or_default().to_string());
    let verb = if ev.event_name.starts_with("Create") { "created" } else { "changed" };
    let kind = if saml { "SAML" } else { "OIDC" };
    let mut detection = Detection::new(
        format!("{kind} identity provider {label} was {verb}"),
        Resource::new(ResourceKind::IDENTITY_PROVIDER, &arn),
    )
    .field("Provider", &arn);
    if let Some(url) = req.url {
        detection = detection.field("URL", url);
    }
    let clients: Vec<String> = req.client_ids.iter().cloned().chain(req.client_id).collect();
    if !clients.is_empty() {
        detection = detection.field("Client ids", clients.join(", "));
    }
    Ok(vec![detection])
}
