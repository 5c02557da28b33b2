use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A managed policy's default version changed to one that grants too much:
    /// - `CreatePolicyVersion` with `setAsDefault: true` whose `policyDocument` grants
    ///   administrator access or privilege-escalation actions (read with the same analysis as
    ///   inline policies: `*`, `iam:*`, `iam:PassRole` on every role with a compute service,
    ///   `iam:CreateAccessKey`, ...). A read-only or otherwise narrow version, and a version
    ///   created without becoming the default, stay quiet.
    /// - `SetDefaultPolicyVersion`: an older version made the default again. The event does not
    ///   carry the document, so every rollback alerts at medium with the version to read: rolling
    ///   back to a forgotten permissive version is a known escalation path (Rhino Security Labs'
    ///   "SetDefaultPolicyVersion").
    /// ## Why it matters
    /// A managed policy is attached to many principals at once; whoever can publish its default
    /// version grants themselves (and everyone holding it) whatever they write, without any
    /// attach call that other rules watch.
    /// ## How to fix
    /// Read the version (`aws iam get-policy-version --policy-arn <iam-policy> --version-id <version-id>`),
    /// set the previous default back (`aws iam set-default-policy-version --policy-arn <iam-policy> --version-id <previous-version>`),
    /// delete the permissive version, and restrict `iam:CreatePolicyVersion` and
    /// `iam:SetDefaultPolicyVersion`.
    /// ## References
    /// - https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicyVersion.html
    /// - https://docs.aws.amazon.com/IAM/latest/APIReference/API_SetDefaultPolicyVersion.html
    /// - https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/
    /// - https://attack.mitre.org/techniques/T1098/003/
    POLICY_VERSION_ESCALATION {
        id: "iam-policy-version-escalation",
        title: "Managed policy default version grants administrator or escalation permissions",
        severity: Severity::High,
        source: "iam.amazonaws.com",
        events: &["CreatePolicyVersion", "SetDefaultPolicyVersion"],
        attack: Some("T1098.003"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    policy_arn: Option<String>,
    policy_document: Option<PolicyText>,
    set_as_default: Option<Scalar>,
    version_id: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let arn = req.policy_arn.unwrap_or_default();
    let name = arn.rsplit('/').next().unwrap_or_default().to_string();
    let resource = Resource::new(ResourceKind::IAM_POLICY, &arn);
    if ev.event_name == "SetDefaultPolicyVersion" {
        let version = req.version_id.unwrap_or_default();
        return Ok(vec![
            Detection::new(format!("Managed policy {name} was rolled to version {version}"), resource)
                .severity(Severity::Medium)
                .field("Policy", &arn)
                .field("Default version now", &version)
                .field("Document", "not in the event: read this version")
                .param("version-id", version),
        ]);
    }
    if !req.set_as_default.is_some_and(|s| s.0.eq_ignore_ascii_case("true")) {
        return Ok(Vec::new());
    }
    let Some(text) = req.policy_document else {
        return Ok(Vec::new());
    };
    let grants = IamPolicy::parse(text.as_str(), "requestParameters.policyDocument")?.dangerous_grants();
    if grants.is_empty() {
        return Ok(Vec::new());
    }
    let what = describe_grants(&grants);
    let mut detection = Detection::new(format!("New default version of managed policy {name} grants {what}"), resource)
        .field("Policy", &arn)
        .field("Dangerous grants", &what);
    if grants.iter().any(|g| g.danger == Danger::FullAdmin) {
        detection = detection.severity(Severity::Critical);
    }
    Ok(vec![detection])
}
