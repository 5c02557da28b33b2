//! IAM policy documents: which granted actions amount to administrator access or privilege escalation.
//!
//! CloudTrail records an identity or trust policy as a JSON document held in a string
//! (`requestParameters.policyDocument`). [`IamPolicy::parse`] reads it into typed statements;
//! [`IamPolicy::dangerous_grants`] (or [`IamStatement::dangerous_grants`] for one statement) says
//! what of it is dangerous: full administrator access, every IAM or STS action, or one of the
//! actions that let a principal raise its own privileges ([`ESCALATION_ACTIONS`]).
//!
//! [`targets_caller`] tells whether an IAM user-management call (`CreateAccessKey`,
//! `UpdateLoginProfile`, ...) is about the caller's own user.
//!
//! Action names match case-insensitively and honour the wildcards `*` and `?` (`iam:Put*Policy`,
//! `iam:*AccessKey*`). Conditions are not evaluated: a condition narrows when a grant applies, not
//! what it grants.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer};

use crate::cloudtrail::event::FieldError;

/// IAM actions that let whoever holds them gain more privileges than they were given: create
/// credentials for other users, change any policy, or join a group or role with more rights.
/// `iam:PassRole` is not here: it only escalates when granted on every role (see
/// [`IamStatement::passes_any_role`]).
pub const ESCALATION_ACTIONS: &[&str] = &[
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AttachUserPolicy",
    "iam:AttachRolePolicy",
    "iam:AttachGroupPolicy",
    "iam:PutUserPolicy",
    "iam:PutRolePolicy",
    "iam:PutGroupPolicy",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:UpdateAssumeRolePolicy",
    "iam:AddUserToGroup",
    "iam:DeleteUserPermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
];

/// Actions that run code or infrastructure under a role passed to them: with `iam:PassRole` on
/// every role they hand the caller any role's permissions.
pub const PASS_ROLE_TARGETS: &[&str] = &[
    "lambda:CreateFunction",
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
    "ec2:RunInstances",
    "cloudformation:CreateStack",
    "glue:CreateDevEndpoint",
];

/// Services whose wildcard (`iam:*`, `sts:*`) is reported as such rather than action by action.
pub const SENSITIVE_SERVICES: &[&str] = &["iam", "sts"];

/// An IAM policy document (identity policy or role trust policy).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct IamPolicy {
    #[serde(rename = "Version", default)]
    pub version: Option<String>,
    /// `Statement`: one statement or a list of them.
    #[serde(rename = "Statement", default, deserialize_with = "one_or_many")]
    pub statements: Vec<IamStatement>,
}

/// One statement of an [`IamPolicy`]. `Action`, `NotAction`, `Resource` and `NotResource` are
/// one string or a list in the document; here they are always lists (empty when absent).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct IamStatement {
    #[serde(rename = "Sid", default)]
    pub sid: Option<String>,
    /// `Allow` or `Deny`.
    #[serde(rename = "Effect", default)]
    pub effect: String,
    /// Trust and resource policies only.
    #[serde(rename = "Principal", default)]
    pub principal: Option<IamPrincipal>,
    #[serde(rename = "Action", default, deserialize_with = "one_or_many")]
    pub action: Vec<String>,
    #[serde(rename = "NotAction", default, deserialize_with = "one_or_many")]
    pub not_action: Vec<String>,
    #[serde(rename = "Resource", default, deserialize_with = "one_or_many")]
    pub resource: Vec<String>,
    #[serde(rename = "NotResource", default, deserialize_with = "one_or_many")]
    pub not_resource: Vec<String>,
    /// `{operator: {condition key: value(s)}}`, values kept as written.
    #[serde(rename = "Condition", default)]
    pub condition: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
}

/// A statement's `Principal`: `"*"`, or a map from principal type (`AWS`, `Service`,
/// `Federated`, `CanonicalUser`) to one value or a list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum IamPrincipal {
    /// A bare string: IAM only accepts `"*"` (everyone).
    Everyone(String),
    Typed(BTreeMap<String, IamValues>),
}

/// One string or a list of strings, read as a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IamValues(pub Vec<String>);

impl<'de> Deserialize<'de> for IamValues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        one_or_many(d).map(IamValues)
    }
}

/// Reads an IAM "one or many" element (`"x"` or `["x", "y"]`; null as empty) into a `Vec`.
fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr<T> {
        Many(Vec<T>),
        One(T),
        None(()),
    }
    Ok(match Repr::deserialize(d)? {
        Repr::Many(v) => v,
        Repr::One(x) => vec![x],
        Repr::None(()) => Vec::new(),
    })
}

impl IamPolicy {
    /// Parses a policy document held in a string (as CloudTrail records it; URL-encoded text,
    /// as in some `responseElements`, is decoded first). `field` names the string in errors,
    /// e.g. `requestParameters.policyDocument`.
    pub fn parse(text: &str, field: &str) -> Result<IamPolicy, FieldError> {
        let text = text.trim();
        let decoded;
        let text = if text.starts_with('%') {
            decoded = percent_decode(text).ok_or_else(|| FieldError::new(field, "invalid URL encoding"))?;
            decoded.as_str()
        } else {
            text
        };
        serde_json::from_str(text).map_err(|e| FieldError::new(field, format!("not an IAM policy document: {e}")))
    }

    /// The statements with `Effect: Allow`.
    pub fn allow_statements(&self) -> impl Iterator<Item = &IamStatement> {
        self.statements.iter().filter(|s| s.is_allow())
    }

    /// What the whole document grants that is dangerous, most serious first, without repeats:
    /// full administrator access hides everything else, and a service wildcard (`iam:*`) hides
    /// that service's single actions. `iam:PassRole` on every role is named together with the
    /// [`PASS_ROLE_TARGETS`] the document also allows (`iam:PassRole on * with
    /// lambda:CreateFunction`).
    pub fn dangerous_grants(&self) -> Vec<DangerousGrant> {
        let mut all: Vec<DangerousGrant> = self.statements.iter().flat_map(IamStatement::dangerous_grants).collect();
        if all.iter().any(|g| g.danger == Danger::FullAdmin) {
            all.retain(|g| g.danger == Danger::FullAdmin);
        }
        let wild: Vec<String> = all
            .iter()
            .filter(|g| g.danger == Danger::ServiceWildcard)
            .filter_map(|g| g.action.split_once(':').map(|(s, _)| s.to_string()))
            .collect();
        all.retain(|g| g.danger != Danger::Escalation || !wild.iter().any(|s| service_of(&g.action) == s.as_str()));
        let partners: Vec<&str> = PASS_ROLE_TARGETS
            .iter()
            .copied()
            .filter(|a| self.allow_statements().any(|s| s.allows(a) && s.applies_to_service(service_of(a))))
            .collect();
        let mut out: Vec<DangerousGrant> = Vec::new();
        for mut g in all {
            if g.action == PASS_ROLE && !partners.is_empty() {
                g.with = partners.iter().map(|p| p.to_string()).collect();
            }
            if !out.contains(&g) {
                out.push(g);
            }
        }
        out.sort_by_key(|g| std::cmp::Reverse(g.danger));
        out
    }
}

const PASS_ROLE: &str = "iam:PassRole";

/// How bad a [`DangerousGrant`] is, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Danger {
    /// One privilege-escalation action ([`ESCALATION_ACTIONS`], or `iam:PassRole` on every role).
    Escalation,
    /// Every action of a sensitive service ([`SENSITIVE_SERVICES`]): `iam:*`, `sts:*`.
    ServiceWildcard,
    /// Every action on every resource (`*`, `*:*`, or `NotAction` on `*`).
    FullAdmin,
}

/// One dangerous thing a policy grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DangerousGrant {
    pub danger: Danger,
    /// `*` for full admin (or `NotAction …` when granted that way), `iam:*` for a service
    /// wildcard, the action's canonical name (`iam:CreateAccessKey`) for an escalation.
    pub action: String,
    /// For `iam:PassRole`: the [`PASS_ROLE_TARGETS`] the same policy allows.
    pub with: Vec<String>,
}

impl DangerousGrant {
    fn new(danger: Danger, action: impl Into<String>) -> Self {
        DangerousGrant { danger, action: action.into(), with: Vec::new() }
    }
}

impl fmt::Display for DangerousGrant {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.danger {
            Danger::FullAdmin => write!(f, "full administrator access ({})", self.action),
            Danger::ServiceWildcard => f.write_str(&self.action),
            Danger::Escalation if self.action == PASS_ROLE => {
                write!(f, "{PASS_ROLE} on every role")?;
                if !self.with.is_empty() {
                    write!(f, " with {}", self.with.join(", "))?;
                }
                Ok(())
            }
            Danger::Escalation => f.write_str(&self.action),
        }
    }
}

/// Joins grants for a summary or a field: `iam:*, iam:PassRole on every role`.
pub fn describe_grants(grants: &[DangerousGrant]) -> String {
    grants.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

impl IamStatement {
    /// `Effect` is `Allow` (any case).
    pub fn is_allow(&self) -> bool {
        self.effect.trim().eq_ignore_ascii_case("Allow")
    }

    /// Whether the statement's action list covers `action` (`service:Name`): an `Action` pattern
    /// matches it, or a `NotAction` list is given and no pattern of it matches. Ignores the
    /// effect and the resources.
    pub fn allows(&self, action: &str) -> bool {
        if !self.not_action.is_empty() {
            return !self.not_action.iter().any(|p| wildcard_match(p, action));
        }
        self.action.iter().any(|p| wildcard_match(p, action))
    }

    /// `Resource` holds a pattern matching every resource (`*`, `arn:aws:*:*:*:*`), or the
    /// statement uses `NotResource` (every resource but those listed).
    pub fn on_all_resources(&self) -> bool {
        !self.not_resource.is_empty() || self.resource.iter().any(|r| matches_every_resource(r))
    }

    /// Whether some resource of the statement can belong to `service`: every resource, or an ARN
    /// pattern whose service part matches (`arn:aws:iam::…` for `iam`). Keeps `"Action": "*"`
    /// on one S3 bucket from counting as IAM access.
    pub fn applies_to_service(&self, service: &str) -> bool {
        self.on_all_resources()
            || self.resource.iter().any(|r| r.split(':').nth(2).is_some_and(|s| wildcard_match(s, service)))
    }

    /// `iam:PassRole` on every role: resource `*`, or an IAM ARN whose resource part is `*` or
    /// `role/*` (any account).
    pub fn passes_any_role(&self) -> bool {
        if !self.allows(PASS_ROLE) {
            return false;
        }
        self.on_all_resources()
            || self.resource.iter().any(|r| {
                let parts: Vec<&str> = r.splitn(6, ':').collect();
                parts.len() == 6
                    && wildcard_match(parts[2], "iam")
                    && (all_stars(parts[5])
                        || (parts[5].get(..5).is_some_and(|p| p.eq_ignore_ascii_case("role/"))
                            && all_stars(&parts[5][5..])))
            })
    }

    /// What an `Allow` statement grants that is dangerous (nothing for `Deny`). Full admin:
    /// `*` / `*:*`, or any `NotAction`, on every resource. Otherwise every `iam:*` / `sts:*`
    /// style wildcard on that service's resources, then each [`ESCALATION_ACTIONS`] entry the
    /// statement allows on IAM resources (not repeated under a wildcard already reported), and
    /// `iam:PassRole` on every role.
    pub fn dangerous_grants(&self) -> Vec<DangerousGrant> {
        if !self.is_allow() {
            return Vec::new();
        }
        if self.on_all_resources() {
            if let Some(p) = self.action.iter().find(|p| matches_every_action(p)) {
                return vec![DangerousGrant::new(Danger::FullAdmin, p.trim())];
            }
            if !self.not_action.is_empty() {
                let except = format!("NotAction {}", self.not_action.join(", "));
                return vec![DangerousGrant::new(Danger::FullAdmin, except)];
            }
        }
        let mut out = Vec::new();
        for service in SENSITIVE_SERVICES {
            if self.applies_to_service(service) && self.action.iter().any(|p| covers_service(p, service)) {
                out.push(DangerousGrant::new(Danger::ServiceWildcard, format!("{service}:*")));
            }
        }
        for action in ESCALATION_ACTIONS {
            let service = service_of(action);
            let covered = out.iter().any(|g| g.danger == Danger::ServiceWildcard && service_of(&g.action) == service);
            if !covered && self.applies_to_service(service) && self.allows(action) {
                out.push(DangerousGrant::new(Danger::Escalation, *action));
            }
        }
        let covered = out.iter().any(|g| g.danger == Danger::ServiceWildcard && service_of(&g.action) == "iam");
        if !covered && self.passes_any_role() {
            out.push(DangerousGrant::new(Danger::Escalation, PASS_ROLE));
        }
        out
    }

    /// Whether the statement trusts everyone: `"Principal": "*"` or `{"AWS": "*"}`.
    pub fn trusts_everyone(&self) -> bool {
        match &self.principal {
            Some(IamPrincipal::Everyone(s)) => s.trim() == "*",
            Some(IamPrincipal::Typed(_)) => self.principals("AWS").iter().any(|p| p.trim() == "*"),
            None => false,
        }
    }

    /// The values of one principal type (`AWS`, `Service`, `Federated`; the type name matches
    /// in any case).
    pub fn principals(&self, kind: &str) -> Vec<&str> {
        match &self.principal {
            Some(IamPrincipal::Typed(map)) => map
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(kind))
                .flat_map(|(_, v)| v.0.iter().map(String::as_str))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The condition keys the statement tests (`aws:PrincipalOrgID`, ...), sorted, unique.
    pub fn condition_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.condition.values().flat_map(|m| m.keys().map(String::as_str)).collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

/// The account an `AWS` principal belongs to: a 12-digit account id as is, or the account field
/// of an ARN (`arn:aws:iam::123456789012:root`, `…:role/x`, `…:user/x`,
/// `arn:aws:sts::123456789012:assumed-role/…`). `None` for `*` and for unique ids (`AROA…`,
/// shown when the principal was deleted).
pub fn principal_account(principal: &str) -> Option<&str> {
    let p = principal.trim();
    let account = if p.starts_with("arn:") { p.split(':').nth(4)? } else { p };
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// Whether a call naming IAM user `user_name` (its `requestParameters.userName`) acts on the
/// caller's own user: the name is absent (IAM then uses the caller's user, or the root user for
/// root) or equals the calling IAM user's name (IAM user names are case-insensitive). Any other
/// caller (root naming a user, an assumed role, a federated user) acts on someone else.
pub fn targets_caller(ev: &crate::cloudtrail::event::Event, user_name: Option<&str>) -> bool {
    match user_name.map(str::trim).filter(|n| !n.is_empty()) {
        None => true,
        Some(name) => {
            ev.user_identity.kind() == "IAMUser"
                && ev.user_identity.user_name.as_deref().is_some_and(|own| own.eq_ignore_ascii_case(name))
        }
    }
}

/// `service` of `service:Action` (the whole text when there is no colon).
fn service_of(action: &str) -> &str {
    action.split_once(':').map_or(action, |(s, _)| s)
}

fn all_stars(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b == b'*')
}

/// `*`, `*:*`: every action of every service.
fn matches_every_action(pattern: &str) -> bool {
    let p = pattern.trim();
    all_stars(p) || p.split_once(':').is_some_and(|(s, a)| all_stars(s) && all_stars(a))
}

/// A pattern matching every action of `service`: `iam:*`, `IAM:*`, `*`, `*:*`, `i*:*`.
fn covers_service(pattern: &str, service: &str) -> bool {
    let p = pattern.trim();
    all_stars(p) || p.split_once(':').is_some_and(|(s, a)| all_stars(a) && wildcard_match(s, service))
}

/// `*`, or an ARN pattern whose every part after the partition is a wildcard (`arn:aws:*:*:*:*`,
/// `arn:*:*`).
fn matches_every_resource(pattern: &str) -> bool {
    let p = pattern.trim();
    if all_stars(p) {
        return true;
    }
    let mut parts = p.splitn(3, ':');
    parts.next() == Some("arn")
        && parts.next().is_some()
        && parts.next().is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b == b'*' || b == b':'))
}

/// IAM-style wildcard match, ASCII case-insensitive: `*` matches any run of characters
/// (including none), `?` exactly one.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p = pattern.trim().as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi].eq_ignore_ascii_case(&t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

/// Decodes `%XX` escapes (and `+` as a space); `None` when an escape is malformed or the result
/// is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(doc: &str) -> Vec<String> {
        IamPolicy::parse(doc, "doc").unwrap().dangerous_grants().iter().map(ToString::to_string).collect()
    }

    fn stmt(json: &str) -> IamStatement {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn wildcards_match_case_insensitively() {
        assert!(wildcard_match("iam:Put*Policy", "iam:PutRolePolicy"));
        assert!(wildcard_match("IAM:put*policy", "iam:PutUserPolicy"));
        assert!(wildcard_match("iam:*AccessKey*", "iam:CreateAccessKey"));
        assert!(wildcard_match("iam:?reateAccessKey", "iam:CreateAccessKey"));
        assert!(wildcard_match("*", "s3:GetObject"));
        assert!(!wildcard_match("iam:Put*Policy", "iam:PutUserPermissionsBoundary"));
        assert!(!wildcard_match("iam:Get*", "iam:CreateAccessKey"));
        assert!(!wildcard_match("iam:CreateAccessKey", "iam:CreateAccessKeys"));
        assert!(!wildcard_match("", "iam:CreateAccessKey"));
    }

    #[test]
    fn one_or_many_elements() {
        let p = IamPolicy::parse(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":["a","b"]}}"#,
            "doc",
        )
        .unwrap();
        assert_eq!(p.statements.len(), 1);
        assert_eq!(p.statements[0].action, ["s3:GetObject"]);
        assert_eq!(p.statements[0].resource, ["a", "b"]);
        assert!(p.statements[0].not_action.is_empty());
    }

    #[test]
    fn full_admin_forms() {
        for doc in [
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:*","*:*"],"Resource":["*"]}]}"#,
            r#"{"Statement":[{"Effect":"allow","Action":"*","Resource":"arn:aws:*:*:*:*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::audit"}]}"#,
        ] {
            let g = IamPolicy::parse(doc, "doc").unwrap().dangerous_grants();
            assert_eq!(g.len(), 1, "{doc}");
            assert_eq!(g[0].danger, Danger::FullAdmin, "{doc}");
        }
        assert_eq!(
            grants(r#"{"Statement":{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}}"#),
            ["full administrator access (NotAction iam:*, organizations:*)"]
        );
    }

    #[test]
    fn admin_hides_the_rest() {
        let doc = r#"{"Statement":[
            {"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"*"},
            {"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        assert_eq!(grants(doc), ["full administrator access (*)"]);
    }

    #[test]
    fn service_wildcards() {
        assert_eq!(grants(r#"{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}"#), ["iam:*"]);
        assert_eq!(
            grants(r#"{"Statement":{"Effect":"Allow","Action":["STS:*","iam:*"],"Resource":"*"}}"#),
            ["iam:*", "sts:*"]
        );
        // `*` on IAM users only: every IAM action on them, not admin.
        assert_eq!(
            grants(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::*:user/*"}}"#),
            ["iam:*"]
        );
        // A wildcard in one statement hides that service's single actions from another.
        let doc = r#"{"Statement":[
            {"Effect":"Allow","Action":"iam:*","Resource":"*"},
            {"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"*"}]}"#;
        assert_eq!(grants(doc), ["iam:*"]);
    }

    #[test]
    fn escalation_actions_through_wildcards() {
        assert_eq!(
            grants(r#"{"Statement":{"Effect":"Allow","Action":"iam:Put*Policy","Resource":"*"}}"#),
            ["iam:PutUserPolicy", "iam:PutRolePolicy", "iam:PutGroupPolicy"]
        );
        assert_eq!(
            grants(
                r#"{"Statement":{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::111122223333:user/*"}}"#
            ),
            ["iam:CreateAccessKey"]
        );
        assert_eq!(
            grants(r#"{"Statement":{"Effect":"Allow","Action":"IAM:createloginprofile","Resource":"*"}}"#),
            ["iam:CreateLoginProfile"]
        );
    }

    #[test]
    fn not_action_on_some_resources_grants_escalation() {
        let doc = r#"{"Statement":{"Effect":"Allow","NotAction":"iam:Delete*","Resource":"arn:aws:iam::111122223333:user/bob"}}"#;
        let g = grants(doc);
        assert!(g.contains(&"iam:CreateAccessKey".to_string()), "{g:?}");
        assert!(!g.contains(&"iam:DeleteUserPermissionsBoundary".to_string()), "{g:?}");
    }

    #[test]
    fn pass_role_only_on_every_role() {
        assert_eq!(
            grants(r#"{"Statement":{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}}"#),
            ["iam:PassRole on every role"]
        );
        assert_eq!(
            grants(
                r#"{"Statement":{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/*"}}"#
            ),
            ["iam:PassRole on every role"]
        );
        assert!(grants(r#"{"Statement":{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/lambda-exec"}}"#).is_empty());
        let doc = r#"{"Statement":[
            {"Effect":"Allow","Action":"iam:PassRole","Resource":"*"},
            {"Effect":"Allow","Action":["lambda:UpdateFunctionCode","lambda:CreateFunction"],"Resource":"*"}]}"#;
        assert_eq!(grants(doc), ["iam:PassRole on every role with lambda:CreateFunction, lambda:UpdateFunctionCode"]);
    }

    #[test]
    fn harmless_policies() {
        for doc in [
            r#"{"Statement":{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::acme-data/*"}}"#,
            r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:s3:::x"}}"#,
            r#"{"Statement":[]}"#,
        ] {
            assert!(grants(doc).is_empty(), "{doc}");
        }
    }

    #[test]
    fn principals() {
        let s = stmt(r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}"#);
        assert!(s.trusts_everyone());
        let s = stmt(
            r#"{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root","777788889999"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}"#,
        );
        assert!(!s.trusts_everyone());
        assert_eq!(s.principals("aws"), ["arn:aws:iam::444455556666:root", "777788889999"]);
        assert_eq!(s.principals("Service"), ["ec2.amazonaws.com"]);
        assert!(s.allows("sts:AssumeRole"));
        let s = stmt(
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}"#,
        );
        assert!(s.trusts_everyone());
        assert_eq!(s.condition_keys(), ["aws:PrincipalOrgID"]);
    }

    #[test]
    fn principal_accounts() {
        assert_eq!(principal_account("444455556666"), Some("444455556666"));
        assert_eq!(principal_account("arn:aws:iam::444455556666:root"), Some("444455556666"));
        assert_eq!(principal_account("arn:aws:iam::444455556666:role/admin"), Some("444455556666"));
        assert_eq!(principal_account("arn:aws:sts::444455556666:assumed-role/r/s"), Some("444455556666"));
        assert_eq!(principal_account("AROAEXAMPLEID"), None);
        assert_eq!(principal_account("*"), None);
    }

    #[test]
    fn url_encoded_and_bad_documents() {
        let p = IamPolicy::parse("%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%7D", "doc")
            .unwrap();
        assert_eq!(p.dangerous_grants()[0].danger, Danger::FullAdmin);
        let err = IamPolicy::parse("{not json", "requestParameters.policyDocument").unwrap_err();
        assert_eq!(err.field, "requestParameters.policyDocument");
        assert!(IamPolicy::parse(r#"{"Statement":{"Effect":"Allow","Action":7}}"#, "doc").is_err());
    }
}

/// The request of IAM calls about one user: `{"userName": ...}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRequest {
    pub user_name: Option<String>,
}

/// `CreateAccessKey`'s response: `{"accessKey": {"accessKeyId": ...}}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAccessKeyResponse {
    pub access_key: Option<AccessKeyElement>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessKeyElement {
    pub access_key_id: Option<String>,
}

impl CreateAccessKeyResponse {
    /// The new key's id, when CloudTrail recorded it.
    pub fn key_id(self) -> Option<String> {
        self.access_key.and_then(|k| k.access_key_id)
    }
}

/// The request of the `Put*Policy` / `Attach*Policy` calls: one of a user, a role or a group, and
/// the policy (inline document or managed ARN).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalPolicyRequest {
    pub user_name: Option<String>,
    pub role_name: Option<String>,
    pub group_name: Option<String>,
    pub policy_name: Option<String>,
    pub policy_arn: Option<String>,
    pub policy_document: Option<crate::analysis::policy::PolicyText>,
}

impl PrincipalPolicyRequest {
    /// Who gets the policy: `(crate::detail::ResourceKind::IAM_USER, "User", name)`, `(crate::detail::ResourceKind::IAM_ROLE, "Role", …)` or
    /// `(crate::detail::ResourceKind::IAM_GROUP, "Group", …)`.
    pub fn target(&self) -> (crate::detail::ResourceKind, &'static str, String) {
        match (&self.user_name, &self.role_name, &self.group_name) {
            (Some(u), _, _) => (crate::detail::ResourceKind::IAM_USER, "User", u.clone()),
            (None, Some(r), _) => (crate::detail::ResourceKind::IAM_ROLE, "Role", r.clone()),
            (None, None, g) => (crate::detail::ResourceKind::IAM_GROUP, "Group", g.clone().unwrap_or_default()),
        }
    }
}
