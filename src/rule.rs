//! Rule metadata, the `declare_rule!` macro and the registry every rule lands in.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::cloudtrail::event::{Event, FieldError};
use crate::config::Config;
use crate::detail::{Detection, Severity};
use crate::facts::{Facts, Question};
use crate::findings::Finding;

/// What a rule's check may look at besides the event.
pub struct Context<'a> {
    pub config: &'a Config,
    /// Answers to the rule's questions about live state; absent answers are unknown.
    pub facts: &'a Facts,
}

/// The questions a rule asks about an event's resources before its check runs.
pub type Needs = fn(&Event) -> Result<Vec<Question>, FieldError>;

/// A rule's check: pure, never calls AWS. An `Err` names the field of the event it could not read.
pub type Check = fn(&Event, &Context) -> Result<Vec<Detection>, FieldError>;

/// A finding rule's check: pure, like [`Check`]; it turns an incoming finding into detections.
pub type FindingCheck = fn(&Finding, &Context) -> Result<Vec<Detection>, FieldError>;

/// The kind of input a rule takes. The engine keeps one index per kind, keyed by what names an
/// input of that kind (a CloudTrail record's `eventName`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum InputKind {
    /// CloudTrail records, keyed by `eventName` (and checked against `eventSource`).
    CloudTrail,
    /// GuardDuty and Security Hub findings, keyed by product (`GuardDuty`, `Security Hub`,
    /// `Inspector`, `Macie`, `Other`; `*` for rules of any product) and matched by type glob.
    Finding,
}

impl InputKind {
    /// Every kind, in index order.
    pub const ALL: [InputKind; 2] = [InputKind::CloudTrail, InputKind::Finding];

    /// The position of this kind's index in the engine.
    pub const fn slot(self) -> usize {
        match self {
            InputKind::CloudTrail => 0,
            InputKind::Finding => 1,
        }
    }

    /// The kind's name in summaries and metrics: `cloudtrail`, `finding`.
    pub const fn name(self) -> &'static str {
        match self {
            InputKind::CloudTrail => "cloudtrail",
            InputKind::Finding => "finding",
        }
    }
}

/// A rule: constant metadata plus its check. Declared with [`declare_rule!`](crate::declare_rule).
#[derive(Debug)]
pub struct Rule {
    /// Stable kebab-case id, never reused: `ec2-sg-ingress-open-to-world`.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// The input the rule takes (CloudTrail records unless declared otherwise).
    pub input: InputKind,
    /// The `eventSource` the rule's events come from: `ec2.amazonaws.com`. For a finding rule,
    /// the product ([`crate::findings::Product::name`]), or empty for any product.
    pub source: &'static str,
    /// The keys the rule is indexed under: for CloudTrail, the `eventName`s it looks at. For a
    /// finding rule, globs over the finding type (`Backdoor:EC2/*`); empty matches any type.
    pub events: &'static [&'static str],
    /// The MITRE ATT&CK technique, where one fits: `T1537`.
    pub attack: Option<&'static str>,
    pub check: Check,
    /// The rule's doc comment: What it detects / Why it matters / How to fix / References.
    pub doc: &'static str,
    /// The source file that declared it, for messages about the rule itself.
    pub file: &'static str,
    /// Run on calls that failed (`errorCode` present). Off by default: a failed call changed nothing.
    pub include_failed: bool,
    /// Run on calls AWS makes on its own (`userIdentity.type` `AWSService`, service-linked roles;
    /// see [`crate::cloudtrail::actor`]). Off by default (they are noise); the config can turn it
    /// on per rule.
    pub include_service_calls: bool,
    /// Watch people only: skip calls a service made on a principal's behalf (CloudFormation, …).
    /// For rules about changes made by hand; off by default, so a pipeline's change alerts too.
    pub people_only: bool,
    /// The live-state questions the check reads answers to (see [`crate::facts`]).
    pub needs: Option<Needs>,
    /// A finding rule's check (see [`crate::declare_finding_rule!`]); `None` is the generic
    /// check, `findings::check::detect`.
    pub finding_check: Option<FindingCheck>,
    /// Finding rules: globs over a Security Hub control id (`EC2.*`); empty matches any finding,
    /// with or without a control.
    pub control_ids: &'static [&'static str],
    /// Finding rules: the resource types (GuardDuty's `Instance`, ASFF's `AwsEc2Instance`) the
    /// rule takes; empty takes any.
    pub resource_types: &'static [&'static str],
    /// Finding rules: the lowest finding severity the rule takes (over `findings_min_severity`).
    pub min_severity: Severity,
    /// Finding rules: runs only when no other finding rule took the finding, so that no finding
    /// at or above the threshold goes unreported.
    pub fallback: bool,
    /// Finding rules: takes only findings a person sent with a Security Hub custom action, and
    /// then before any other rule (the alert is about the escalation).
    pub custom_action: bool,
    /// The response actions this rule's alerts call for (see [`crate::respond`]); which of them
    /// run is the configuration's choice (`respond`, `respond_actions`). Listed in the README.
    pub respond: &'static [crate::respond::action::Action],
}

impl Rule {
    /// Values for the optional metadata; `declare_rule!` fills the rest.
    pub const DEFAULTS: Rule = Rule {
        id: "",
        title: "",
        severity: Severity::Info,
        input: InputKind::CloudTrail,
        source: "",
        events: &[],
        attack: None,
        check: |_, _| Ok(Vec::new()),
        doc: "",
        file: "",
        include_failed: false,
        include_service_calls: false,
        people_only: false,
        needs: None,
        finding_check: None,
        control_ids: &[],
        resource_types: &[],
        min_severity: Severity::Info,
        fallback: false,
        custom_action: false,
        respond: &[],
    };

    /// The defaults of a finding rule: input [`InputKind::Finding`], the generic check.
    pub const FINDING_DEFAULTS: Rule = Rule { input: InputKind::Finding, ..Rule::DEFAULTS };

    /// [`Rule::DEFAULTS`] with a check: what `declare_rule!` starts from, with the declaring
    /// file's `check` function unless the declaration names another.
    pub const fn defaults_with(check: Check) -> Rule {
        Rule { check, ..Rule::DEFAULTS }
    }

    /// The declaring file, relative to the crate root (`rules/ec2/....rs`).
    pub fn source_file(&self) -> &'static str {
        self.file.strip_prefix("src/../").unwrap_or(self.file)
    }

    /// The body of a `## Heading` section, reflowed: wrapped lines joined, paragraphs and list
    /// items kept apart.
    pub fn section(&self, heading: &str) -> Option<String> {
        let mut lines = self.doc.lines().map(str::trim);
        lines.find(|l| l.strip_prefix("## ").map(str::trim) == Some(heading))?;
        let mut text = String::new();
        for line in lines.take_while(|l| !l.starts_with("## ")) {
            if line.is_empty() {
                text.push_str("\n\n");
            } else if line.starts_with("- ") && !text.is_empty() {
                text.push('\n');
                text.push_str(line);
            } else {
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push(' ');
                }
                text.push_str(line);
            }
        }
        let text = text.trim().to_string();
        (!text.is_empty()).then_some(text)
    }

    /// The "How to fix" section.
    pub fn remediation(&self) -> String {
        self.section("How to fix").unwrap_or_default()
    }

    /// The URLs listed under "References".
    pub fn references(&self) -> Vec<&'static str> {
        let doc: &'static str = self.doc;
        let mut in_refs = false;
        let mut out = Vec::new();
        for line in doc.lines().map(str::trim) {
            if let Some(h) = line.strip_prefix("## ") {
                in_refs = h.trim() == "References";
            } else if in_refs && let Some(start) = line.find("https://") {
                let url = &line[start..];
                let end = url.find(|c: char| c.is_whitespace() || c == ')' || c == '>').unwrap_or(url.len());
                out.push(&url[..end]);
            }
        }
        out
    }
}

/// A rule's remediation and references, worked out from its doc comment once.
pub struct RuleDocs {
    pub remediation: String,
    pub references: Vec<String>,
}

/// The cached [`RuleDocs`] of a rule (alerts carry them; parsing the doc per alert is waste).
/// The registry's rules are read without a lock (worked out together, at the first alert); a rule
/// outside it, under one.
pub fn docs(rule: &'static Rule) -> &'static RuleDocs {
    use std::sync::Mutex;
    let of = |r: &'static Rule| RuleDocs {
        remediation: r.remediation(),
        references: r.references().into_iter().map(str::to_string).collect(),
    };
    static REGISTERED: OnceLock<HashMap<usize, RuleDocs>> = OnceLock::new();
    let key = rule as *const Rule as usize;
    let registered =
        REGISTERED.get_or_init(|| registry().iter().map(|&r| (r as *const Rule as usize, of(r))).collect());
    if let Some(docs) = registered.get(&key) {
        return docs;
    }
    static OTHERS: OnceLock<Mutex<HashMap<usize, &'static RuleDocs>>> = OnceLock::new();
    let mut map = OTHERS.get_or_init(Default::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    map.entry(key).or_insert_with(|| Box::leak(Box::new(of(rule))))
}

/// A rule as submitted to the registry.
pub struct Registered(pub &'static Rule);

inventory::collect!(Registered);

/// Declares a rule and registers it. The doc comment is the rule's documentation and must have
/// the sections `## What it detects`, `## Why it matters`, `## How to fix` and `## References`.
///
/// `id`, `title`, `severity`, `source` and `events` are required, in that order; any other
/// [`Rule`] field may follow (`attack: Some("T1537")`, `needs: Some(needs)`, `people_only: true`,
/// …). The check is the declaring file's `fn check` unless `check: other_fn` names another.
///
/// ```
/// use trailwarden::prelude::*;
///
/// trailwarden::declare_rule! {
///     /// ## What it detects
///     /// Any `DeleteBucket` call.
///     /// ## Why it matters
///     /// Data is gone.
///     /// ## How to fix
///     /// Restore from backup.
///     /// ## References
///     /// - https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html
///     BUCKET_DELETED {
///         id: "example-bucket-deleted",
///         title: "S3 bucket deleted",
///         severity: Severity::Low,
///         source: "s3.amazonaws.com",
///         events: &["DeleteBucket"],
///     }
/// }
///
/// fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
///     Ok(vec![Detection::new("bucket deleted", Resource::new(ResourceKind::S3_BUCKET, ev.event_id.to_string()))])
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $name:ident {
            id: $id:expr,
            title: $title:expr,
            severity: $severity:expr,
            source: $source:expr,
            events: $events:expr
            $(, $field:ident : $value:expr)* $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        pub static $name: $crate::rule::Rule = $crate::rule::Rule {
            id: $id,
            title: $title,
            severity: $severity,
            source: $source,
            events: $events,
            doc: concat!($($doc, "\n"),*),
            file: file!(),
            $($field: $value,)*
            ..$crate::rule::Rule::defaults_with($crate::declare_rule!(@check $($field : $value),*))
        };
        $crate::__private::inventory::submit! { $crate::rule::Registered(&$name) }
    };
    // The check named in the fields, else the declaring file's `check`.
    (@check check : $check:expr $(, $field:ident : $value:expr)*) => { $check };
    (@check $first:ident : $v:expr $(, $field:ident : $value:expr)*) => {
        $crate::declare_rule!(@check $($field : $value),*)
    };
    (@check) => { check };
}

/// Declares a finding rule and registers it: like [`declare_rule!`](crate::declare_rule), with
/// `source` the product (`"GuardDuty"`, `"Security Hub"`, `"Inspector"`, `"Macie"`, `""` for any)
/// and `types` globs over the finding type. The check is `findings::check::detect` (the
/// finding's own resource, severity and what it saw) unless `finding_check: Some(f)` names
/// another; `control_ids`, `resource_types`, `min_severity` and `fallback` narrow or widen it.
///
/// ```
/// use trailwarden::prelude::*;
///
/// trailwarden::declare_finding_rule! {
///     /// ## What it detects
///     /// GuardDuty's Bitcoin findings on instances.
///     /// ## Why it matters
///     /// Someone else runs a miner on your bill, and got in to do it.
///     /// ## How to fix
///     /// Isolate the instance and rebuild it.
///     /// ## References
///     /// - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-ec2.html
///     MINER {
///         id: "example-miner",
///         title: "Miner on an instance",
///         severity: Severity::High,
///         source: "GuardDuty",
///         types: &["CryptoCurrency:EC2/*"],
///     }
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! declare_finding_rule {
    (
        $(#[doc = $doc:literal])*
        $name:ident {
            id: $id:expr,
            title: $title:expr,
            severity: $severity:expr,
            source: $source:expr,
            types: $types:expr
            $(, $field:ident : $value:expr)* $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        pub static $name: $crate::rule::Rule = $crate::rule::Rule {
            id: $id,
            title: $title,
            severity: $severity,
            source: $source,
            events: $types,
            doc: concat!($($doc, "\n"),*),
            file: file!(),
            $($field: $value,)*
            ..$crate::rule::Rule::FINDING_DEFAULTS
        };
        $crate::__private::inventory::submit! { $crate::rule::Registered(&$name) }
    };
}

/// Every registered rule (this crate's and any linked crate's), sorted by id.
///
/// # Panics
/// When two rules share an id: a programming error, caught at start-up.
pub fn registry() -> &'static [&'static Rule] {
    static RULES: OnceLock<Vec<&'static Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        let rules: Vec<&'static Rule> = inventory::iter::<Registered>.into_iter().map(|r| r.0).collect();
        match sorted_unique(rules) {
            Ok(rules) => rules,
            Err(msg) => panic!("{msg}"),
        }
    })
}

/// Sorts rules by id; two rules with one id is an error naming both files.
pub fn sorted_unique(mut rules: Vec<&'static Rule>) -> Result<Vec<&'static Rule>, String> {
    rules.sort_by(|a, b| a.id.cmp(b.id).then(a.file.cmp(b.file)));
    for pair in rules.windows(2) {
        if pair[0].id == pair[1].id {
            return Err(format!(
                "duplicate rule id `{}`: declared in {} and in {}; rule ids must be unique",
                pair[0].id,
                pair[0].source_file(),
                pair[1].source_file()
            ));
        }
    }
    Ok(rules)
}

/// Looks a rule up by id.
pub fn find(id: &str) -> Option<&'static Rule> {
    registry().iter().copied().find(|r| r.id == id)
}

/// One index per input kind, from key (a CloudTrail `eventName`) to the rules that take it.
pub(crate) type Index = rustc_hash::FxHashMap<&'static str, Vec<&'static Rule>>;

/// The engine's indexes, one per [`InputKind`] (by [`InputKind::slot`]), built once.
pub(crate) fn index(rules: &[&'static Rule]) -> [Index; InputKind::ALL.len()] {
    let mut out: [Index; InputKind::ALL.len()] = Default::default();
    for rule in rules {
        let index = &mut out[rule.input.slot()];
        match rule.input {
            InputKind::CloudTrail => {
                for name in rule.events {
                    index.entry(*name).or_default().push(*rule);
                }
            }
            // Finding rules by product; their type globs are matched per finding.
            InputKind::Finding => {
                let key = if rule.source.is_empty() { "*" } else { rule.source };
                index.entry(key).or_default().push(*rule);
            }
        }
    }
    out
}
