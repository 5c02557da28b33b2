//! The EventBridge event patterns that deliver exactly the events the registered rules want.
//!
//! EventBridge limits one rule's pattern to 2,048 characters by default, and the library wants
//! more event names than fit, so the names are packed, event source by event source, into as
//! few patterns as stay under the limit; each becomes one EventBridge rule in the stack. A
//! pattern may pair a source with another source's event name; the engine checks the source,
//! so that only costs an invocation, never an alert.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::rule::{InputKind, Rule};

/// EventBridge's default quota for one rule's event pattern, in characters.
pub const EVENTBRIDGE_MAX_PATTERN_CHARS: usize = 2048;

/// What patterns are packed to: the quota less room for a template tool's formatting.
pub const MAX_PATTERN_CHARS: usize = 1800;

/// The detail-types CloudTrail events arrive with on the default bus.
pub const DETAIL_TYPES: [&str; 2] = ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"];

/// Event sources whose event names carry an API-version suffix (`AddPermission20150331v2`):
/// their names are matched by prefix, so every version of the operation arrives.
pub const VERSIONED_SOURCES: [&str; 1] = ["lambda.amazonaws.com"];

/// One pattern; names are `(name, by_prefix)`.
fn pattern(sources: &[&str], names: &[(&str, bool)]) -> Value {
    let names: Vec<Value> =
        names.iter().map(|&(n, prefix)| if prefix { json!({ "prefix": n }) } else { json!(n) }).collect();
    json!({
        "detail-type": DETAIL_TYPES,
        "detail": { "eventSource": sources, "eventName": names },
    })
}

fn size(v: &Value) -> usize {
    v.to_string().len()
}

/// Event patterns (compact JSON values) covering every (eventSource, eventName) of `rules`, each
/// at most `max_chars` long.
pub fn event_patterns(rules: &[&Rule], max_chars: usize) -> Vec<Value> {
    let mut by_source: BTreeMap<&str, Vec<(&str, bool)>> = BTreeMap::new();
    for r in rules.iter().filter(|r| r.input == InputKind::CloudTrail) {
        let prefix = VERSIONED_SOURCES.contains(&r.source);
        by_source.entry(r.source).or_default().extend(r.events.iter().map(|&e| (e, prefix)));
    }
    let mut out = Vec::new();
    let (mut sources, mut names): (Vec<&str>, Vec<(&str, bool)>) = (Vec::new(), Vec::new());
    for (source, mut events) in by_source {
        events.sort_unstable();
        events.dedup();
        for event in events {
            let mut try_sources = sources.clone();
            if !try_sources.contains(&source) {
                try_sources.push(source);
            }
            let mut try_names = names.clone();
            try_names.push(event);
            if !names.is_empty() && size(&pattern(&try_sources, &try_names)) > max_chars {
                out.push(pattern(&sources, &names));
                (sources, names) = (vec![source], vec![event]);
            } else {
                (sources, names) = (try_sources, try_names);
            }
        }
    }
    if !names.is_empty() {
        out.push(pattern(&sources, &names));
    }
    out
}
