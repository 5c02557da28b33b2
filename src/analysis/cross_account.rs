//! Resource policies that grant another AWS account: who is "another account", and the alert
//! every service's rule raises for it.

use std::collections::BTreeSet;

use crate::analysis::iam_actions::principal_account;
use crate::analysis::policy::{PolicyDocument, PolicyText, Principal, Statement, parse_policy};
use crate::analysis::share::other_account;
use crate::cloudtrail::event::{Event, FieldError};
use crate::detail::{Detection, Resource, ResourceKind};

/// An `Allow` statement that opens the resource to accounts other than the owner's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignGrant {
    /// The statement's `Sid` (or "a statement without Sid").
    pub statement: String,
    /// The other accounts, as the policy names them (an account id or a principal ARN's account).
    pub accounts: Vec<String>,
    /// What the statement grants, for people.
    pub actions: String,
}

/// Whether a condition limits `s` to the owner's account or organisation: `aws:PrincipalOrgID`
/// or `aws:PrincipalOrgPaths` with any value (the organisation the policy names is taken as
/// yours: a public or cross-account rule elsewhere sees an outside one), or `aws:SourceAccount`
/// / `aws:SourceArn` / `aws:SourceOwner` naming only `own` or trusted accounts.
fn limited_to_us(s: &Statement, mine: &dyn Fn(&str) -> bool) -> bool {
    s.condition.entries().any(|(op, key, values)| {
        !op.to_ascii_lowercase().ends_with("ifexists")
            && !values.is_empty()
            && values.iter().all(|v| limits_to_us(key, &v.0, mine))
    })
}

/// Whether one condition value (a policy's, or the same key given as a request parameter, as
/// Lambda's `AddPermission` takes them) limits a grant to the owner's account or organisation:
/// an organisation key with any value, or `aws:SourceAccount` / `aws:SourceOwner` /
/// `aws:SourceArn` naming an account `mine` accepts.
pub fn limits_to_us(key: &str, value: &str, mine: &dyn Fn(&str) -> bool) -> bool {
    match key.to_ascii_lowercase().as_str() {
        "aws:principalorgid" | "aws:principalorgpaths" | "aws:sourceorgid" | "aws:sourceorgpaths" => true,
        "aws:sourceaccount" | "aws:sourceowner" => mine(value.trim()),
        "aws:sourcearn" => value.split(':').nth(4).is_some_and(mine),
        _ => false,
    }
}

/// The `Allow` statements of `doc` that grant an AWS principal of an account other than `own`
/// and `trusted`, and that no condition limits to them. Service principals, everyone (`*`, the
/// public rules' case), unique ids and `Deny` statements never count.
pub fn foreign_grants(doc: &PolicyDocument, own: &str, trusted: &BTreeSet<String>) -> Vec<ForeignGrant> {
    let mine = |a: &str| !other_account(a, own, trusted);
    doc.statement
        .iter()
        .filter(|s| s.is_allow() && !limited_to_us(s, &mine))
        .filter_map(|s| {
            let Some(Principal::Named(named)) = &s.principal else {
                return None;
            };
            let mut accounts: Vec<String> = named
                .aws
                .iter()
                .filter_map(|p| principal_account(p))
                .filter(|a| !mine(a))
                .map(str::to_string)
                .collect();
            accounts.sort();
            accounts.dedup();
            (!accounts.is_empty()).then(|| ForeignGrant { statement: s.name(), accounts, actions: s.actions_text() })
        })
        .collect()
}

/// The alert of a `<service>-...-other-account` rule: `what` names the resource for people
/// ("S3 bucket", "KMS key"), `kind` and `id` the resource; nothing when no statement grants
/// another account.
pub fn foreign_grant_alert(
    ev: &Event,
    trusted: &BTreeSet<String>,
    doc: &PolicyDocument,
    what: &str,
    kind: ResourceKind,
    id: &str,
) -> Vec<Detection> {
    let grants = foreign_grants(doc, &ev.account_id, trusted);
    if grants.is_empty() {
        return Vec::new();
    }
    let accounts: BTreeSet<&str> = grants.iter().flat_map(|g| g.accounts.iter().map(String::as_str)).collect();
    let accounts = accounts.into_iter().collect::<Vec<_>>().join(", ");
    let statements: Vec<String> = grants.iter().map(|g| format!("{} ({})", g.statement, g.actions)).collect();
    vec![
        Detection::new(format!("{what} {id} policy grants access to account {accounts}"), Resource::new(kind, id))
            .field("Other accounts", accounts)
            .field("Statements", statements.join("; ")),
    ]
}

/// [`foreign_grant_alert`] for a policy a request carries as text (`field` names it in errors);
/// nothing when the request sets no policy or an empty one (which removes it).
pub fn policy_grant_alert(
    ev: &Event,
    trusted: &BTreeSet<String>,
    policy: Option<&PolicyText>,
    field: &str,
    what: &str,
    kind: ResourceKind,
    id: &str,
) -> Result<Vec<Detection>, FieldError> {
    match policy.map(PolicyText::as_str).filter(|t| !t.trim().is_empty()) {
        None => Ok(Vec::new()),
        Some(text) => Ok(foreign_grant_alert(ev, trusted, &parse_policy(text, field)?, what, kind, id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(policy: &str) -> Vec<ForeignGrant> {
        let trusted: BTreeSet<String> = ["444455556666".to_string()].into();
        foreign_grants(&parse_policy(policy, "p").unwrap(), "111122223333", &trusted)
    }

    #[test]
    fn who_counts_as_another_account() {
        let allow = |principal: &str, condition: &str| {
            format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"s3:GetObject","Resource":"*"{condition}}}]}}"#
            )
        };
        assert_eq!(grants(&allow(r#"{"AWS":"arn:aws:iam::999988887777:root"}"#, ""))[0].accounts, ["999988887777"]);
        assert_eq!(grants(&allow(r#"{"AWS":["999988887777","111122223333"]}"#, ""))[0].accounts, ["999988887777"]);
        for quiet in [
            allow(r#"{"AWS":"arn:aws:iam::111122223333:role/app"}"#, ""),
            allow(r#"{"AWS":"444455556666"}"#, ""),
            allow(r#"{"Service":"cloudtrail.amazonaws.com"}"#, ""),
            allow(r#""*""#, ""),
            allow(r#"{"AWS":"999988887777"}"#, r#","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}"#),
            allow(r#"{"AWS":"999988887777"}"#, r#","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#),
            allow(
                r#"{"AWS":"999988887777"}"#,
                r#","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:eu-west-1:111122223333:t"}}"#,
            ),
            r#"{"Statement":[{"Effect":"Deny","Principal":{"AWS":"999988887777"},"Action":"*","Resource":"*"}]}"#
                .to_string(),
        ] {
            assert!(grants(&quiet).is_empty(), "{quiet}");
        }
        // A condition naming another account does not limit it to us.
        let other =
            allow(r#"{"AWS":"999988887777"}"#, r#","Condition":{"StringEquals":{"aws:SourceAccount":"999988887777"}}"#);
        assert_eq!(grants(&other).len(), 1);
    }
}
