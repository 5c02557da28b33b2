//! Resource and bucket policy documents: who a policy opens a resource to.
//!
//! [`PolicyDocument`] is a typed view of an IAM policy as resource policies (S3 buckets, SQS
//! queues, SNS topics, ECR repositories, Lambda functions) write it: `Statement` may be one
//! object or a list, `Action`/`Resource`/`Principal.AWS` one string or a list, and condition
//! values strings, numbers or booleans. [`public_statements`] answers the question every
//! exposure rule asks: which `Allow` statements let *anyone* in, with no condition narrowing who.
//!
//! Condition operators and keys are compared case-insensitively, as AWS does.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use crate::cloudtrail::event::{FieldError, Scalar};

/// A value AWS lets a policy write either alone or in a list (`"Action": "s3:GetObject"` or
/// `"Action": ["s3:GetObject"]`); always read as a list. `null` reads as an empty list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a, T> IntoIterator for &'a OneOrMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value or a list of values")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(OneOrMany(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|t| OneOrMany(vec![t]))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                T::deserialize(s.into_deserializer()).map(|t| OneOrMany(vec![t]))
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
                T::deserialize(b.into_deserializer()).map(|t| OneOrMany(vec![t]))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
                T::deserialize(n.into_deserializer()).map(|t| OneOrMany(vec![t]))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
                T::deserialize(n.into_deserializer()).map(|t| OneOrMany(vec![t]))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Self::Value, E> {
                T::deserialize(n.into_deserializer()).map(|t| OneOrMany(vec![t]))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OneOrMany(Vec::new()))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A policy document: `{"Version": ..., "Statement": [...]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PolicyDocument {
    #[serde(rename = "Version", default)]
    pub version: Option<String>,
    #[serde(rename = "Id", default)]
    pub id: Option<String>,
    #[serde(rename = "Statement", default)]
    pub statement: OneOrMany<Statement>,
}

/// One statement of a policy.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Statement {
    #[serde(rename = "Sid", default)]
    pub sid: Option<String>,
    /// Absent is not `Allow`: such a statement grants nothing.
    #[serde(rename = "Effect", default)]
    pub effect: Option<Effect>,
    #[serde(rename = "Principal", default)]
    pub principal: Option<Principal>,
    #[serde(rename = "NotPrincipal", default)]
    pub not_principal: Option<Principal>,
    #[serde(rename = "Action", default)]
    pub action: OneOrMany<String>,
    #[serde(rename = "NotAction", default)]
    pub not_action: Option<OneOrMany<String>>,
    #[serde(rename = "Resource", default)]
    pub resource: OneOrMany<String>,
    #[serde(rename = "NotResource", default)]
    pub not_resource: Option<OneOrMany<String>>,
    #[serde(rename = "Condition", default)]
    pub condition: Conditions,
}

/// `Allow` or `Deny` (read case-insensitively).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

impl<'de> Deserialize<'de> for Effect {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        match text.trim() {
            t if t.eq_ignore_ascii_case("Allow") => Ok(Effect::Allow),
            t if t.eq_ignore_ascii_case("Deny") => Ok(Effect::Deny),
            _ => Err(de::Error::invalid_value(de::Unexpected::Str(&text), &"Allow or Deny")),
        }
    }
}

/// `Principal` / `NotPrincipal`: `"*"`, or an object naming principals by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `"*"`: everyone, signed or anonymous.
    Everyone,
    /// `{"AWS": ..., "Service": ..., "Federated": ..., "CanonicalUser": ...}` (kinds matched
    /// case-insensitively; other kinds are ignored).
    Named(NamedPrincipals),
}

/// The principals of a `Principal` object, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamedPrincipals {
    pub aws: Vec<String>,
    pub service: Vec<String>,
    pub federated: Vec<String>,
    pub canonical_user: Vec<String>,
}

impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Principal;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#""*" or an object such as {"AWS": ...}"#)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Principal, E> {
                if s.trim() == "*" {
                    Ok(Principal::Everyone)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(s), &self))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Principal, A::Error> {
                let mut named = NamedPrincipals::default();
                while let Some(kind) = map.next_key::<String>()? {
                    let slot = match kind.as_str() {
                        k if k.eq_ignore_ascii_case("AWS") => &mut named.aws,
                        k if k.eq_ignore_ascii_case("Service") => &mut named.service,
                        k if k.eq_ignore_ascii_case("Federated") => &mut named.federated,
                        k if k.eq_ignore_ascii_case("CanonicalUser") => &mut named.canonical_user,
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    slot.extend(map.next_value::<OneOrMany<String>>()?.0);
                }
                Ok(Principal::Named(named))
            }
        }
        d.deserialize_any(V)
    }
}

impl Principal {
    /// Everyone: `"*"`, `{"AWS": "*"}` (alone or in a list), or an AWS principal ARN whose
    /// account is a wildcard (`arn:aws:iam::*:root`).
    pub fn is_everyone(&self) -> bool {
        match self {
            Principal::Everyone => true,
            Principal::Named(named) => named.aws.iter().any(|p| principal_is_everyone(p)),
        }
    }
}

/// Whether one principal string (a Lambda `principal`, one entry of `Principal.AWS`) means
/// everyone: `*`, or an ARN whose account field holds a wildcard (`arn:aws:iam::*:root`).
pub fn principal_is_everyone(principal: &str) -> bool {
    let p = principal.trim();
    if p == "*" {
        return true;
    }
    let parts: Vec<&str> = p.splitn(6, ':').collect();
    parts.len() == 6 && parts[0] == "arn" && parts[4].contains(['*', '?'])
}

/// `Condition`: operator → key → values (values OR'ed, keys and operators AND'ed).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Conditions(pub BTreeMap<String, BTreeMap<String, OneOrMany<Scalar>>>);

impl Conditions {
    /// Every `(operator, key, values)` entry.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str, &[Scalar])> {
        self.0
            .iter()
            .flat_map(|(op, keys)| keys.iter().map(move |(key, values)| (op.as_str(), key.as_str(), &values.0[..])))
    }

    /// The values of `key` under `operator` (both matched case-insensitively), if present.
    pub fn get(&self, operator: &str, key: &str) -> Option<&[Scalar]> {
        self.entries()
            .find(|(op, k, _)| op.eq_ignore_ascii_case(operator) && k.eq_ignore_ascii_case(key))
            .map(|(_, _, values)| values)
    }
}

/// Condition keys that, matched against fixed values, restrict who can use a statement.
const NARROWING_KEYS: &[&str] = &[
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:sourcearn",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:userid",
];

/// Keys holding an account id: a wildcard anywhere in them lets other accounts match.
const ACCOUNT_KEYS: &[&str] = &["aws:sourceaccount", "aws:sourceowner", "aws:principalaccount", "kms:calleraccount"];

/// KMS's own condition key that ties callers to one account (pass it to
/// [`Statement::narrowed_by_with`] for key policies). `kms:ViaService` is not one: alone it lets
/// any account's principals in through the named service.
pub const KMS_NARROWING_KEYS: &[&str] = &["kms:CallerAccount"];

/// Keys holding an ARN: a wildcard in the ARN's account field lets any account match.
const ARN_KEYS: &[&str] = &["aws:sourcearn", "aws:principalarn"];

fn is_wildcard(c: char) -> bool {
    c == '*' || c == '?'
}

/// Whether a condition requiring `key` to match `value` limits who can use the statement (see
/// [`Statement::narrowed_by`] for which keys count). `*`-only values never do; for account keys
/// any wildcard is too loose; for ARN keys, a wildcard in the account field is (and for ARNs
/// without an account, like S3 buckets, a resource made only of wildcards).
pub fn restricts_callers(key: &str, value: &str) -> bool {
    restricts_callers_with(key, value, &[])
}

/// [`restricts_callers`], with service-specific keys (`kms:CallerAccount`) counted as well.
pub fn restricts_callers_with(key: &str, value: &str, extra_keys: &[&str]) -> bool {
    let key = key.trim().to_ascii_lowercase();
    let value = value.trim();
    let narrowing = NARROWING_KEYS.contains(&key.as_str()) || extra_keys.iter().any(|k| k.eq_ignore_ascii_case(&key));
    if !narrowing || value.is_empty() || value.chars().all(is_wildcard) {
        return false;
    }
    if ACCOUNT_KEYS.contains(&key.as_str()) {
        return !value.contains(is_wildcard);
    }
    if ARN_KEYS.contains(&key.as_str()) {
        let parts: Vec<&str> = value.splitn(6, ':').collect();
        if parts.len() < 6 || parts[0] != "arn" {
            return !value.contains(is_wildcard);
        }
        let (account, resource) = (parts[4], parts[5]);
        let any_account = account.contains(is_wildcard);
        let any_bucket = account.is_empty() && resource.chars().all(is_wildcard);
        return !(any_account || any_bucket);
    }
    true
}

/// Whether an `aws:SourceIp` range limits callers: a single address, an IPv4 range of /8 or
/// narrower, or an IPv6 range of /32 or narrower. `0.0.0.0/0`, `::/0` and other huge ranges
/// (halves of the internet) do not.
fn source_ip_restricts(value: &str) -> bool {
    let value = value.trim();
    if let Ok(net) = value.parse::<ipnet::IpNet>() {
        return match net {
            ipnet::IpNet::V4(n) => n.prefix_len() >= 8,
            ipnet::IpNet::V6(n) => n.prefix_len() >= 32,
        };
    }
    value.parse::<std::net::IpAddr>().is_ok()
}

/// The operator with any `ForAnyValue:` prefix removed, lower-cased, when it requires a match:
/// `None` for negated operators (`StringNotEquals`), `...IfExists` (an absent key passes, so
/// anonymous and cross-account requests without it get in) and `ForAllValues:` (true when the
/// key is absent).
fn requiring_operator(operator: &str) -> Option<String> {
    let op = operator.trim().to_ascii_lowercase();
    if op.ends_with("ifexists") || op.starts_with("forallvalues:") {
        return None;
    }
    let base = op.strip_prefix("foranyvalue:").unwrap_or(&op).to_string();
    const REQUIRING: &[&str] =
        &["stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress"];
    REQUIRING.contains(&base.as_str()).then_some(base)
}

impl Statement {
    pub fn is_allow(&self) -> bool {
        self.effect == Some(Effect::Allow)
    }

    /// The principal is everyone ([`Principal::is_everyone`]), or the statement names its
    /// principals with `NotPrincipal` (everyone except them, anonymous users included).
    pub fn grants_everyone(&self) -> bool {
        self.principal.as_ref().is_some_and(Principal::is_everyone) || self.not_principal.is_some()
    }

    /// The first condition that restricts who can use the statement, as `(operator, key)`:
    /// `aws:SourceVpc`, `aws:SourceVpce`, `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`,
    /// `aws:SourceAccount`, `aws:SourceOwner`, `aws:SourceArn`, `aws:SourceOrgID`,
    /// `aws:SourceOrgPaths`, `aws:PrincipalAccount`, `aws:PrincipalArn` or `aws:userId` under
    /// `StringEquals`/`StringLike`/`ArnEquals`/`ArnLike` (optionally `ForAnyValue:`) with every
    /// value fixed ([`restricts_callers`]), or `aws:SourceIp` under `IpAddress` with every range
    /// narrow. Conditions such as `aws:SecureTransport` or `aws:Referer` restrict nothing.
    pub fn narrowed_by(&self) -> Option<(&str, &str)> {
        self.narrowed_by_with(&[])
    }

    /// [`Statement::narrowed_by`], with service-specific caller keys counted as well (for a KMS
    /// key policy, [`KMS_NARROWING_KEYS`]). The same rules hold for them: a requiring operator,
    /// never `ForAllValues:` or `…IfExists`, every value fixed.
    pub fn narrowed_by_with(&self, extra_keys: &[&str]) -> Option<(&str, &str)> {
        self.condition.entries().find_map(|(op, key, values)| {
            let base = requiring_operator(op)?;
            let texts = || values.iter().map(|v| v.0.as_str());
            let restricts = !values.is_empty()
                && if key.eq_ignore_ascii_case("aws:SourceIp") {
                    base == "ipaddress" && texts().all(source_ip_restricts)
                } else {
                    base != "ipaddress" && texts().all(|v| restricts_callers_with(key, v, extra_keys))
                };
            restricts.then_some((op, key))
        })
    }

    /// An `Allow` for everyone that no condition narrows.
    pub fn is_public(&self) -> bool {
        self.is_allow() && self.grants_everyone() && self.narrowed_by().is_none()
    }

    /// `Sid`, or "a statement without Sid".
    pub fn name(&self) -> String {
        match self.sid.as_deref().map(str::trim) {
            Some(sid) if !sid.is_empty() => sid.to_string(),
            _ => "a statement without Sid".to_string(),
        }
    }

    /// The actions granted, for people: `s3:GetObject, s3:ListBucket`, or
    /// `every action except iam:*` for `NotAction`.
    pub fn actions_text(&self) -> String {
        match &self.not_action {
            Some(not) => format!("every action except {}", join(not)),
            None if self.action.is_empty() => "no action".to_string(),
            None => join(&self.action),
        }
    }
}

fn join(items: &OneOrMany<String>) -> String {
    items.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
}

/// The statements of `doc` that open the resource to everyone ([`Statement::is_public`]).
pub fn public_statements(doc: &PolicyDocument) -> Vec<&Statement> {
    doc.statement.iter().filter(|s| s.is_public()).collect()
}

/// The actions of some statements, deduplicated in order, for a summary line.
pub fn actions_of(statements: &[&Statement]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for s in statements {
        let text = s.actions_text();
        if !seen.contains(&text) {
            seen.push(text);
        }
    }
    seen.join(", ")
}

/// A policy document as a record carries it: CloudTrail writes policies as JSON strings
/// (`"policy": "{\"Version\": …}"`), but pipelines and data lakes often hand them over as
/// objects. Either becomes the document's JSON text, for [`parse_policy`] or
/// [`crate::analysis::iam_actions::IamPolicy::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyText(pub String);

impl PolicyText {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for PolicyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(text) => Ok(PolicyText(text)),
            doc @ (serde_json::Value::Object(_) | serde_json::Value::Array(_)) => Ok(PolicyText(doc.to_string())),
            serde_json::Value::Null => Ok(PolicyText(String::new())),
            other => Err(de::Error::invalid_type(
                match other {
                    serde_json::Value::Bool(b) => de::Unexpected::Bool(b),
                    _ => de::Unexpected::Other("a number"),
                },
                &"a policy document (a JSON string or object)",
            )),
        }
    }
}

/// Parses a policy held in a JSON string (SQS `attributes.Policy`, SNS `attributeValue`, ECR
/// `policyText`, or any [`PolicyText`]); a failure is a [`FieldError`] on `field`, saying where
/// in the policy it is.
/// A blank string (how SQS and SNS remove a policy) is an empty document.
pub fn parse_policy(text: &str, field: &str) -> Result<PolicyDocument, FieldError> {
    if text.trim().is_empty() {
        return Ok(PolicyDocument::default());
    }
    let fail = |path: String, err: &serde_json::Error| {
        let msg = err.to_string();
        let msg = msg.rfind(" at line ").map_or(msg.as_str(), |i| &msg[..i]).to_string();
        let at = if path.is_empty() || path == "." { String::new() } else { format!(" at {path}") };
        FieldError::new(field, format!("not a policy document{at}: {msg}"))
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let doc: PolicyDocument =
        serde_path_to_error::deserialize(&mut de).map_err(|e| fail(e.path().to_string(), e.inner()))?;
    de.end().map_err(|e| fail(String::new(), &e))?;
    Ok(doc)
}

/// S3 Block Public Access settings (`PutBucketPublicAccessBlock`, `PutAccountPublicAccessBlock`:
/// `requestParameters.PublicAccessBlockConfiguration`). CloudTrail writes the flags as booleans
/// or as the strings "true"/"false"; a flag left out is off, as the API treats it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublicAccessBlockConfiguration {
    pub block_public_acls: Option<Scalar>,
    pub ignore_public_acls: Option<Scalar>,
    pub block_public_policy: Option<Scalar>,
    pub restrict_public_buckets: Option<Scalar>,
}

impl PublicAccessBlockConfiguration {
    /// The names of the settings this configuration leaves off, in the console's order.
    pub fn turned_off(&self) -> Vec<&'static str> {
        let on = |v: &Option<Scalar>| v.as_ref().is_some_and(|s| s.0.trim().eq_ignore_ascii_case("true"));
        [
            ("BlockPublicAcls", &self.block_public_acls),
            ("IgnorePublicAcls", &self.ignore_public_acls),
            ("BlockPublicPolicy", &self.block_public_policy),
            ("RestrictPublicBuckets", &self.restrict_public_buckets),
        ]
        .into_iter()
        .filter(|(_, v)| !on(v))
        .map(|(name, _)| name)
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kms_narrowed(condition: &str) -> bool {
        let text = format!(
            r#"{{"Statement": {{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Condition": {condition}}}}}"#
        );
        doc(&text).statement.iter().next().unwrap().narrowed_by_with(KMS_NARROWING_KEYS).is_some()
    }

    #[test]
    fn key_policy_conditions_narrow_only_when_they_tie_callers_down() {
        assert!(kms_narrowed(r#"{"StringEquals": {"kms:CallerAccount": "111122223333"}}"#));
        assert!(kms_narrowed(r#"{"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}"#));
        assert!(kms_narrowed(r#"{"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}"#));
        // ForAllValues: is true when the key is absent, as it is for an outside caller.
        assert!(!kms_narrowed(r#"{"ForAllValues:StringEquals": {"kms:CallerAccount": ["111122223333"]}}"#));
        assert!(!kms_narrowed(r#"{"ForAllValues:StringEquals": {"aws:PrincipalOrgID": ["o-a1b2c3d4e5"]}}"#));
        // Half the internet is not a narrow range; neither is a wildcard account.
        assert!(!kms_narrowed(r#"{"IpAddress": {"aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"]}}"#));
        assert!(!kms_narrowed(r#"{"IpAddress": {"aws:SourceIp": "::/1"}}"#));
        assert!(!kms_narrowed(r#"{"StringLike": {"kms:CallerAccount": "*"}}"#));
        assert!(!kms_narrowed(r#"{"StringEqualsIfExists": {"kms:CallerAccount": "111122223333"}}"#));
        // kms:ViaService alone lets any account in through the service.
        assert!(!kms_narrowed(r#"{"StringEquals": {"kms:ViaService": "ec2.eu-west-1.amazonaws.com"}}"#));
        // Without the KMS keys passed in, kms:CallerAccount is just another key.
        let text = r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}}}}"#;
        assert_eq!(public(text), 1);
    }

    #[test]
    fn a_policy_is_read_from_a_string_or_an_object() {
        #[derive(Deserialize)]
        struct R {
            policy: PolicyText,
        }
        let as_string: R = serde_json::from_str(r#"{"policy": "{\"Statement\": []}"}"#).unwrap();
        let as_object: R = serde_json::from_str(r#"{"policy": {"Statement": []}}"#).unwrap();
        assert_eq!(as_string.policy.as_str(), r#"{"Statement": []}"#);
        assert_eq!(doc(as_object.policy.as_str()).statement.iter().count(), 0);
        assert!(serde_json::from_str::<R>(r#"{"policy": 7}"#).is_err());
    }

    fn doc(json: &str) -> PolicyDocument {
        parse_policy(json, "policy").unwrap()
    }

    fn public(json: &str) -> usize {
        public_statements(&doc(json)).len()
    }

    fn one(statement: &str) -> usize {
        public(&format!(r#"{{"Version":"2012-10-17","Statement":{statement}}}"#))
    }

    #[test]
    fn principals_meaning_everyone() {
        for p in [
            r#""*""#,
            r#"{"AWS":"*"}"#,
            r#"{"AWS":["*"]}"#,
            r#"{"AWS":["arn:aws:iam::111122223333:root","*"]}"#,
            r#"{"AWS":"arn:aws:iam::*:root"}"#,
            r#"{"aws":"*"}"#,
        ] {
            assert_eq!(one(&format!(r#"{{"Effect":"Allow","Principal":{p},"Action":"s3:GetObject"}}"#)), 1, "{p}");
        }
        for p in [
            r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
            r#"{"AWS":["111122223333","444455556666"]}"#,
            r#"{"Service":"cloudtrail.amazonaws.com"}"#,
            r#"{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}"#,
        ] {
            assert_eq!(one(&format!(r#"{{"Effect":"Allow","Principal":{p},"Action":"s3:GetObject"}}"#)), 0, "{p}");
        }
    }

    #[test]
    fn only_allow_statements_count() {
        assert_eq!(one(r#"{"Effect":"Deny","Principal":"*","Action":"s3:*"}"#), 0);
        assert_eq!(one(r#"{"Principal":"*","Action":"s3:*"}"#), 0);
        assert_eq!(one(r#"{"Effect":"allow","Principal":"*","Action":"s3:*"}"#), 1);
    }

    #[test]
    fn allow_with_not_principal_is_everyone_but_a_few() {
        let d = doc(
            r#"{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"NotAction":"iam:*","Resource":"*"}}"#,
        );
        let p = public_statements(&d);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].actions_text(), "every action except iam:*");
    }

    #[test]
    fn narrowing_conditions() {
        let with = |cond: &str| {
            one(&format!(r#"{{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Condition":{cond}}}"#))
        };
        for cond in [
            r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:eu-west-1:111122223333:alerts"}}"#,
            r#"{"ArnLike":{"AWS:SOURCEARN":"arn:aws:s3:::acme-uploads"}}"#,
            r#"{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}"#,
            r#"{"StringEquals":{"aws:SourceVpc":["vpc-111","vpc-222"]}}"#,
            r#"{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}"#,
            r#"{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"}}"#,
            r#"{"StringEquals":{"AWS:SourceOwner":"111122223333"}}"#,
            r#"{"StringEquals":{"aws:SourceAccount":111122223333}}"#,
            r#"{"stringequals":{"aws:PrincipalAccount":"111122223333"}}"#,
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}"#,
            r#"{"StringLike":{"aws:userId":"AROAEXAMPLEID:*"}}"#,
            r#"{"StringEquals":{"aws:SourceOrgID":"o-a1b2c3d4e5"}}"#,
            r#"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","198.51.100.7"]}}"#,
            r#"{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}"#,
        ] {
            assert_eq!(with(cond), 0, "{cond} narrows");
        }
        for cond in [
            r#"{"Bool":{"aws:SecureTransport":true}}"#,
            r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#,
            r#"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","::/0"]}}"#,
            r#"{"IpAddress":{"aws:SourceIp":["0.0.0.0/1","128.0.0.0/1"]}}"#,
            r#"{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
            r#"{"StringLike":{"aws:Referer":"https://example.com/*"}}"#,
            r#"{"StringEquals":{"aws:userId":"*"}}"#,
            r#"{"StringLike":{"aws:SourceAccount":"*"}}"#,
            r#"{"StringLike":{"aws:SourceAccount":"1111*"}}"#,
            r#"{"StringEquals":{"aws:SourceAccount":["111122223333","*"]}}"#,
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:alerts"}}"#,
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}}"#,
            r#"{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}"#,
            r#"{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1a2b3c4d"}}"#,
            r#"{"ForAllValues:StringLike":{"aws:PrincipalOrgPaths":"o-a1b2c3d4e5/*"}}"#,
            r#"{"Null":{"aws:SourceVpc":"false"}}"#,
            r#"{"StringEquals":{"aws:SourceAccount":[]}}"#,
        ] {
            assert_eq!(with(cond), 1, "{cond} does not narrow");
        }
    }

    #[test]
    fn statements_one_or_many_and_values_of_any_scalar_kind() {
        let d = doc(r#"{"Version":"2012-10-17","Statement":[
                {"Sid":"Public","Effect":"Allow","Principal":{"AWS":"*"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]},
                {"Sid":"Tls","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:TlsVersion":1.2}}}
            ]}"#);
        assert_eq!(d.statement.0.len(), 2);
        let p = public_statements(&d);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].name(), "Public");
        assert_eq!(actions_of(&p), "s3:GetObject, s3:ListBucket");
        assert_eq!(d.statement.0[1].condition.get("bool", "AWS:securetransport"), Some(&[Scalar("false".into())][..]));
    }

    #[test]
    fn parse_errors_name_the_field_and_the_place() {
        let e = parse_policy(r#"{"Statement":[{"Effect":"Maybe"}]}"#, "requestParameters.policyText").unwrap_err();
        assert_eq!(e.field, "requestParameters.policyText");
        assert!(e.message.contains("Statement[0].Effect"), "{}", e.message);
        assert!(e.message.contains("Allow or Deny"), "{}", e.message);
        let e = parse_policy("{not json", "requestParameters.attributes.Policy").unwrap_err();
        assert_eq!(e.field, "requestParameters.attributes.Policy");
        assert!(!e.message.contains("at line"), "{}", e.message);
        assert!(parse_policy(r#"{"Statement":[]} trailing"#, "f").is_err());
        let e = parse_policy(r#"{"Statement":{"Effect":"Allow","Principal":"someone"}}"#, "f").unwrap_err();
        assert!(e.message.contains("Principal"), "{}", e.message);
    }

    #[test]
    fn blank_policy_is_empty() {
        assert!(parse_policy("  ", "f").unwrap().statement.is_empty());
    }

    #[test]
    fn principal_strings() {
        assert!(principal_is_everyone("*"));
        assert!(principal_is_everyone(" arn:aws:iam::*:root"));
        assert!(!principal_is_everyone("111122223333"));
        assert!(!principal_is_everyone("s3.amazonaws.com"));
        assert!(!principal_is_everyone("arn:aws:iam::111122223333:root"));
    }

    #[test]
    fn public_access_block_flags() {
        let c: PublicAccessBlockConfiguration = serde_json::from_str(
            r#"{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/","BlockPublicAcls":true,"IgnorePublicAcls":"true","BlockPublicPolicy":"false"}"#,
        )
        .unwrap();
        assert_eq!(c.turned_off(), ["BlockPublicPolicy", "RestrictPublicBuckets"]);
        let all_on: PublicAccessBlockConfiguration = serde_json::from_str(
            r#"{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":"TRUE","RestrictPublicBuckets":true}"#,
        )
        .unwrap();
        assert!(all_on.turned_off().is_empty());
    }
}

/// The request of `Put/Delete{Bucket,Account}PublicAccessBlock`.
#[derive(Debug, Default, Deserialize)]
pub struct PublicAccessBlockRequest {
    #[serde(rename = "bucketName")]
    pub bucket_name: Option<String>,
    #[serde(rename = "PublicAccessBlockConfiguration")]
    pub configuration: Option<PublicAccessBlockConfiguration>,
}

impl PublicAccessBlockRequest {
    /// What the call does to Block Public Access as a summary for `subject` (`S3 bucket x`,
    /// `S3 account 1111…`) and the settings it leaves off; `None` when it turns nothing off.
    /// A `Delete…` call removes the block: every setting is off.
    pub fn weakening(&self, event_name: &str, subject: &str) -> Option<(String, String)> {
        let (what, off) = if event_name.starts_with("Delete") {
            ("was removed", PublicAccessBlockConfiguration::default().turned_off())
        } else {
            ("was turned off", self.configuration.as_ref()?.turned_off())
        };
        if off.is_empty() {
            return None;
        }
        let settings = off.join(", ");
        let summary = if off.len() == 4 {
            format!("{subject} Block Public Access {what} (all four settings off)")
        } else {
            format!("{subject} Block Public Access {what} in part: {settings} off")
        };
        Some((summary, settings))
    }
}
