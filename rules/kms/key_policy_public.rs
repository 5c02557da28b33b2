use std::collections::BTreeMap;

use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful `PutKeyPolicy` whose new policy has an `Allow` statement for everyone
    /// (`"Principal": "*"`, `{"AWS": "*"}`, or any `NotPrincipal`) with no condition that narrows
    /// who can use the key. A condition narrows when it uses a positive operator (not a `…Not…`
    /// operator, not `…IfExists`, not `Null`) on one of `kms:CallerAccount`, `kms:ViaService`,
    /// `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`, `aws:PrincipalAccount`,
    /// `aws:PrincipalArn`, `aws:SourceVpce`, `aws:SourceVpc`, `aws:SourceAccount`,
    /// `aws:SourceArn`, `aws:SourceOrgID`, `aws:SourceOrgPaths`, `aws:SourceIp`, `aws:userid`
    /// or `aws:username`, with a value that is not a wildcard (`*`, `0.0.0.0/0`, `::/0`, or an
    /// ARN with `*` for its account). `Deny` statements are ignored. A normal key policy trusting the account root, or the
    /// AWS-managed pattern (`"*"` narrowed by `kms:CallerAccount` and `kms:ViaService`), stays
    /// quiet. Failed calls stay quiet.
    /// ## Why it matters
    /// A key policy is the only gate in front of a KMS key. Opening it to `*` lets any AWS
    /// account decrypt what the key protects (a shared snapshot, an exported S3 object, a
    /// secret) or, with `kms:*`, schedule the key's deletion. Critical: it exposes every piece
    /// of data encrypted under the key.
    /// ## How to fix
    /// Put back the previous policy (`aws kms get-key-policy --key-id … --policy-name default`
    /// shows the current one; restore yours with `aws kms put-key-policy --key-id …
    /// --policy-name default --policy file://policy.json`), or add a condition such as
    /// `kms:CallerAccount` or `aws:PrincipalOrgID` to the public statement. Then review the
    /// key's `Decrypt` and `CreateGrant` calls from other accounts since the change.
    /// ## References
    /// - https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
    /// - https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
    /// - https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html
    KEY_POLICY_PUBLIC {
        id: "kms-key-policy-public",
        title: "KMS key policy opens the key to everyone",
        severity: Severity::Critical,
        source: "kms.amazonaws.com",
        events: &["PutKeyPolicy"],
    }
}

/// Condition keys (lower case) that tie a public statement to an account, organization,
/// network or service.
const NARROWING_KEYS: &[&str] = &[
    "kms:calleraccount",
    "kms:viaservice",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourcevpce",
    "aws:sourcevpc",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:sourceip",
    "aws:userid",
    "aws:username",
];

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    key_id: Option<String>,
    policy: Option<String>,
}

/// A key policy document (the JSON text of `requestParameters.policy`).
#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyPolicy {
    #[serde(default)]
    statement: OneOrMany<KeyStatement>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyStatement {
    sid: Option<String>,
    #[serde(default)]
    effect: String,
    principal: Option<Principal>,
    not_principal: Option<Principal>,
    #[serde(default)]
    action: OneOrMany<String>,
    not_action: Option<OneOrMany<String>>,
    /// operator -> condition key -> values.
    #[serde(default)]
    condition: BTreeMap<String, BTreeMap<String, OneOrMany<Scalar>>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Principal {
    Text(String),
    Map(BTreeMap<String, OneOrMany<String>>),
}

/// Policy grammar allows a single value or a list almost everywhere.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(v) => std::slice::from_ref(v),
            OneOrMany::Many(v) => v,
        }
    }
}

impl Principal {
    fn is_everyone(&self) -> bool {
        match self {
            Principal::Text(s) => s.trim() == "*",
            Principal::Map(m) => {
                m.iter().any(|(k, v)| k.eq_ignore_ascii_case("AWS") && v.as_slice().iter().any(|p| p.trim() == "*"))
            }
        }
    }
}

/// A value that matches (nearly) anyone, so it narrows nothing.
fn is_wildcard(value: &str) -> bool {
    let v = value.trim();
    v.chars().all(|c| c == '*' || c == '?')
        || v == "0.0.0.0/0"
        || v == "::/0"
        || (v.starts_with("arn:") && v.split(':').nth(4).is_some_and(|account| account.contains('*')))
}

impl KeyStatement {
    fn is_public(&self) -> bool {
        self.effect.eq_ignore_ascii_case("Allow")
            && (self.principal.as_ref().is_some_and(Principal::is_everyone) || self.not_principal.is_some())
    }

    fn is_narrowed(&self) -> bool {
        self.condition.iter().any(|(operator, keys)| {
            let op = operator.to_ascii_lowercase();
            let positive = !op.contains("not") && !op.ends_with("ifexists") && op != "null";
            positive
                && keys.iter().any(|(key, values)| {
                    NARROWING_KEYS.contains(&key.to_ascii_lowercase().as_str())
                        && !values.as_slice().is_empty()
                        && values.as_slice().iter().all(|v| !is_wildcard(&v.0))
                })
        })
    }

    fn actions(&self) -> String {
        match &self.not_action {
            Some(not) => format!("every action except {}", not.as_slice().join(", ")),
            None if self.action.as_slice().is_empty() => "(none listed)".to_string(),
            None => self.action.as_slice().join(", "),
        }
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let Some(text) = req.policy.filter(|p| !p.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let policy: KeyPolicy = serde_json::from_str(&text)
        .map_err(|e| FieldError::new("requestParameters.policy", format!("not a key policy: {e}")))?;
    // (label, statement): the Sid, or the statement's position when it has none.
    let open: Vec<(String, &KeyStatement)> = policy
        .statement
        .as_slice()
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_public() && !s.is_narrowed())
        .map(|(i, s)| (s.sid.clone().filter(|sid| !sid.is_empty()).unwrap_or_else(|| format!("#{}", i + 1)), s))
        .collect();
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let key = req.key_id.unwrap_or_default();
    let statements = open.iter().map(|(label, _)| label.as_str()).collect::<Vec<_>>().join(", ");
    let actions = open.iter().map(|(_, s)| s.actions()).collect::<Vec<_>>().join("; ");
    let mut resource = Resource::new(ResourceKind::KMS_KEY, &key);
    if key.starts_with("arn:") {
        resource = resource.with_arn(&key);
    }
    Ok(vec![
        Detection::new(format!("KMS key {key} policy lets everyone use the key ({actions})"), resource)
            .field("Key", &key)
            .field("Public statements", statements)
            .field("Actions granted to everyone", actions),
    ])
}
