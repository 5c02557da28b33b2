//! How finding rules take findings ([`rule_takes`], with the specificity that picks one rule
//! per finding) and the generic check most finding rules use ([`detect`]).

use super::{Finding, glob_match};
use crate::cloudtrail::event::FieldError;
use crate::detail::Detection;
use crate::rule::{Context, Rule};

/// The generic finding check: one detection about the finding's resource, at the finding's own
/// severity, with what the finding says of the resource. Finding rules use it unless they
/// declare their own.
pub fn detect(f: &Finding, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let what = if f.title.is_empty() { f.finding_type.as_str() } else { f.title.as_str() };
    let summary = match (f.resource.id.is_empty(), f.resource.kind.as_str()) {
        (true, _) | (false, "account") => format!("{}: {what}", f.product_name),
        (false, kind) => format!("{}: {what} ({kind} {})", f.product_name, f.resource.id),
    };
    let mut detection = Detection::new(summary, f.resource.clone()).severity(f.level);
    detection.fields = f.resource_fields.clone();
    if let Some(control) = &f.control_id {
        detection = detection.field("Control", control.clone());
    }
    if let Some(status) = &f.compliance_status {
        detection = detection.field("Compliance", status.clone());
    }
    if !f.vulnerabilities.is_empty() {
        detection = detection.field("Vulnerabilities", f.vulnerabilities.join(", "));
    }
    Ok(vec![detection])
}

/// Does `rule` (a finding rule) take this finding: its product, a type glob, a control glob,
/// a resource type, the finding at or above the rule's own floor, and, for a custom-action rule,
/// a finding a person escalated? `Some(specificity)` when it does: the engine runs only the
/// most specific rules that take a finding (a custom-action rule, then rules naming resource
/// types, then the longest literal type glob), so one finding gets one alert, from the rule
/// that knows it best.
pub fn rule_takes(rule: &Rule, f: &Finding) -> Option<usize> {
    let literal = |g: &&str| g.len() - g.matches('*').count();
    let glob = if rule.events.is_empty() {
        0
    } else {
        rule.events.iter().filter(|g| glob_match(g, &f.finding_type)).map(literal).max()?
    };
    let takes = (rule.source.is_empty() || rule.source == f.product.name())
        && (rule.control_ids.is_empty()
            || f.control_id.as_deref().is_some_and(|c| rule.control_ids.iter().any(|g| glob_match(g, c))))
        && (rule.resource_types.is_empty() || rule.resource_types.contains(&f.resource_type.as_str()))
        && (!rule.custom_action || f.custom_action.is_some())
        && (f.level >= rule.min_severity || f.custom_action.is_some());
    takes.then_some(
        glob + if rule.resource_types.is_empty() { 0 } else { 1_000 } + if rule.custom_action { 10_000 } else { 0 },
    )
}
