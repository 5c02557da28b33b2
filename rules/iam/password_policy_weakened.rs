use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// The account's IAM password policy set below the CIS AWS Foundations Benchmark, or
    /// removed: `UpdateAccountPasswordPolicy` with `minimumPasswordLength` under 14 (or not
    /// set: IAM's default is 8), or any of upper-case, lower-case, numbers and symbols not
    /// required; and `DeleteAccountPasswordPolicy`. A policy meeting all of these stays quiet.
    /// ## Why it matters
    /// A weak policy lets users (and an intruder setting passwords for new users) choose guessable
    /// passwords; CIS 1.8 and FSBP IAM.7 fail on it. Deleting the policy is the quiet way to do
    /// the same.
    /// ## How to fix
    /// Set a policy that meets CIS (`aws iam update-account-password-policy --minimum-password-length 14 --require-uppercase-characters --require-lowercase-characters --require-numbers --require-symbols --password-reuse-prevention 24`)
    /// and find out who weakened it.
    /// ## References
    /// - https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html
    /// - https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-7
    /// - https://attack.mitre.org/techniques/T1556/
    PASSWORD_POLICY_WEAKENED {
        id: "iam-password-policy-weakened",
        title: "Account password policy weakened or deleted",
        severity: Severity::Medium,
        source: "iam.amazonaws.com",
        events: &["UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy"],
        attack: Some("T1556"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    minimum_password_length: Option<Scalar>,
    require_uppercase_characters: Option<Scalar>,
    require_lowercase_characters: Option<Scalar>,
    require_numbers: Option<Scalar>,
    require_symbols: Option<Scalar>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let account = ev.account_id.to_string();
    let resource = Resource::new(ResourceKind::ACCOUNT, &account);
    if ev.event_name == "DeleteAccountPasswordPolicy" {
        return Ok(vec![Detection::new(format!("The IAM password policy of account {account} was deleted"), resource)]);
    }
    let req: Request = ev.request()?;
    let on = |v: &Option<Scalar>| v.as_ref().is_some_and(|s| s.0.eq_ignore_ascii_case("true"));
    let length: u32 = req.minimum_password_length.as_ref().and_then(|s| s.0.trim().parse().ok()).unwrap_or(8);
    let mut weak = Vec::new();
    if length < 14 {
        weak.push(format!("minimum length {length} (CIS: 14)"));
    }
    for (v, class) in [
        (&req.require_uppercase_characters, "upper-case letters"),
        (&req.require_lowercase_characters, "lower-case letters"),
        (&req.require_numbers, "numbers"),
        (&req.require_symbols, "symbols"),
    ] {
        if !on(v) {
            weak.push(format!("{class} not required"));
        }
    }
    if weak.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![
        Detection::new(
            format!("The IAM password policy of account {account} is below CIS: {}", weak.join(", ")),
            resource,
        )
        .field("Weaknesses", weak.join(", ")),
    ])
}
