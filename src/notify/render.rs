//! The alert email: subject, HTML body and text body for a batch of alerts, from one event or
//! several (each event's table followed by its alerts).
//!
//! Every value that comes from the event is attacker-controlled. The templates are askama's
//! (`templates/alert.html` escapes everything; `alert.txt` is plain text), values lose their
//! control characters (no forged lines, no header injection), the subject is bounded, and the
//! only links are ones built here from known AWS console URL patterns after checking each part.

use askama::Template;

use crate::detail::{EventDetail, ResourceKind, Severity};
pub use crate::findings::console_url as finding_url;
pub use crate::text::one_line;
use crate::text::{bounded, valid_region};

/// An email ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub html: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("no alerts to render")]
    Empty,
    #[error("template: {0}")]
    Template(#[from] askama::Error),
}

/// The longest subject summary kept, in characters, before "…".
pub const SUBJECT_SUMMARY_CHARS: usize = 120;

struct AlertView {
    severity: &'static str,
    color: &'static str,
    title: String,
    summary: String,
    rule_id: String,
    resource: String,
    console_url: Option<String>,
    fields: Vec<(String, String)>,
    remediation: String,
    references: Vec<String>,
    /// The response heading (`Response: planned, nothing was changed`) and its steps.
    response_heading: String,
    response: Vec<StepView>,
}

/// One response action as the email shows it, every value one safe line.
struct StepView {
    action: String,
    /// What the action does, in a line.
    what: &'static str,
    resource: String,
    status: &'static str,
    color: &'static str,
    note: String,
    before: String,
    after: String,
    undo: Vec<String>,
}

/// The steps of an alert's response, and its heading: whether anything was changed.
fn response_view(d: &EventDetail) -> (String, Vec<StepView>) {
    use crate::detail::StepStatus;
    let steps: Vec<StepView> = d
        .response
        .iter()
        .map(|s| StepView {
            action: one_line(&s.action),
            what: crate::respond::Action::parse(&s.action).map(|a| a.what()).unwrap_or(""),
            resource: one_line(&s.resource),
            status: s.status.label(),
            color: match s.status {
                StepStatus::Applied => "#15803d",
                StepStatus::WouldDo => "#1d4ed8",
                StepStatus::Skipped => "#6b7280",
                StepStatus::Failed => "#b91c1c",
            },
            note: one_line(&s.note),
            before: one_line(&s.before),
            after: one_line(&s.after),
            undo: s.undo.iter().map(|u| one_line(u)).collect(),
        })
        .collect();
    let applied = d.response.iter().any(|s| s.status == StepStatus::Applied);
    let failed = d.response.iter().filter(|s| s.status == StepStatus::Failed).count();
    let heading = match (applied, failed) {
        (_, 0) if !applied => "Response: planned, nothing was changed".to_string(),
        (_, 0) => "Response: contained".to_string(),
        (_, n) => format!("Response: {n} action(s) failed, see below"),
    };
    (heading, steps)
}

/// One event (or finding) of the batch: its table, its console link and its alerts.
struct EventView {
    heading: String,
    rows: Vec<(&'static str, String)>,
    /// The page of the event in CloudTrail event history, or of the finding in its console,
    /// with the link's words.
    link: Option<(String, &'static str)>,
    alerts: Vec<AlertView>,
}

macro_rules! mail_template {
    ($name:ident, $path:literal) => {
        #[derive(Template)]
        #[template(path = $path)]
        // The text body shows a subset of what the HTML body does.
        #[allow(dead_code)]
        struct $name<'a> {
            subject: &'a str,
            banner_color: &'static str,
            severity_label: &'static str,
            account_label: &'a str,
            alert_count: usize,
            events: &'a [EventView],
            /// What the values came from: "the CloudTrail event", "the finding", ...
            source_label: &'static str,
        }
    };
}

mail_template!(HtmlMail, "alert.html");
mail_template!(TextMail, "alert.txt");

fn color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "#7f1d1d",
        Severity::High => "#b91c1c",
        Severity::Medium => "#c2410c",
        Severity::Low => "#a16207",
        Severity::Info => "#1d4ed8",
    }
}

/// `[HIGH] Security group sg-0a1b opened tcp/22 to 0.0.0.0/0 | prod | 111122223333`
pub fn subject(details: &[EventDetail], account_name: &str) -> String {
    // The first of the most severe, as the body orders them (max_by_key alone keeps the last).
    let Some(first) = details.iter().rev().max_by_key(|d| d.severity) else { return String::new() };
    let more = if details.len() > 1 { format!(" (+{} more)", details.len() - 1) } else { String::new() };
    let mut parts = vec![format!(
        "[{}] {}{more}",
        first.severity.label(),
        bounded(&one_line(&first.summary), SUBJECT_SUMMARY_CHARS)
    )];
    let name = bounded(&one_line(account_name), 40);
    if !name.is_empty() {
        parts.push(name);
    }
    let account = bounded(&one_line(&first.account_id), 20);
    if !account.is_empty() {
        parts.push(account);
    }
    parts.join(" | ")
}

/// Renders one email for a batch of alerts. Alerts of one event (same id and time) share its
/// table; several events each get theirs, the most severe first.
pub fn render(details: &[EventDetail], account_name: &str) -> Result<Email, RenderError> {
    if details.is_empty() {
        return Err(RenderError::Empty);
    }
    let subject = subject(details, account_name);
    let mut groups: Vec<Vec<&EventDetail>> = Vec::new();
    for d in details {
        match groups.iter_mut().find(|g| g[0].event_id == d.event_id && g[0].event_time == d.event_time) {
            Some(group) => group.push(d),
            None => groups.push(vec![d]),
        }
    }
    for group in &mut groups {
        group.sort_by_key(|d| std::cmp::Reverse(d.severity));
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g[0].severity));
    let name = one_line(account_name);
    let account_label = |id: &str| if name.is_empty() { one_line(id) } else { format!("{name} ({})", one_line(id)) };
    let count = groups.len();
    let events: Vec<EventView> = groups
        .iter()
        .enumerate()
        .map(|(i, group)| event_view(group, &account_label(&group[0].account_id), i, count))
        .collect();
    let first = groups[0][0];
    let top = first.severity;
    let header_account = account_label(&first.account_id);
    let source_label =
        match (details.iter().any(|d| d.origin.is_cloudtrail()), details.iter().all(|d| d.origin.is_cloudtrail())) {
            (true, true) => "the CloudTrail event",
            (false, _) => "the finding",
            (true, false) => "the CloudTrail events and findings",
        };
    macro_rules! fill {
        ($t:ident) => {
            $t {
                subject: &subject,
                banner_color: color(top),
                severity_label: top.label(),
                account_label: &header_account,
                alert_count: details.len(),
                events: &events,
                source_label,
            }
            .render()?
        };
    }
    let html = fill!(HtmlMail);
    let text = fill!(TextMail);
    Ok(Email { subject, html, text })
}

/// The view of one event (`index` of `count`) and its alerts, every value made one safe line.
fn event_view(group: &[&EventDetail], account_label: &str, index: usize, count: usize) -> EventView {
    let first = group[0];
    let region = &first.region;
    let alerts = group
        .iter()
        .map(|d| (d, response_view(d)))
        .map(|(d, (response_heading, response))| AlertView {
            severity: d.severity.label(),
            color: color(d.severity),
            title: one_line(&d.title),
            summary: one_line(&d.summary),
            rule_id: one_line(&d.rule_id),
            resource: one_line(&format!("{} {}", d.resource.kind, d.resource.id)),
            console_url: console_url(&d.resource.kind, &d.resource.id, region),
            fields: d.fields.iter().map(|(k, v)| (one_line(k), one_line(v))).collect(),
            remediation: d.remediation.to_string(),
            references: d.references.iter().filter(|r| is_plain_https(r)).cloned().collect(),
            response_heading,
            response,
        })
        .collect();
    if let Some(finding) = first.origin.finding() {
        let heading = if count == 1 { "The finding".to_string() } else { format!("Finding {} of {count}", index + 1) };
        let link = finding.console_url.clone().map(|url| {
            (
                url,
                if finding.product == "GuardDuty" {
                    "Open this finding in GuardDuty"
                } else {
                    "Open this finding in Security Hub"
                },
            )
        });
        return EventView { heading, rows: finding_rows(first, finding, account_label), link, alerts };
    }
    let actor = &first.actor;
    let mut who = one_line(&format!("{} {}", actor.kind, actor.name));
    if let Some(service) = &actor.invoked_by {
        who = format!("{who}, through {}", one_line(&crate::cloudtrail::actor::service_name(service)));
    }
    let rows = vec![
        ("Account", account_label.to_string()),
        ("Actor", who),
        ("Actor ARN", one_line(&actor.arn)),
        ("Region", one_line(&first.region)),
        ("Event", one_line(&format!("{} ({})", first.event_name, first.event_source))),
        ("Time", one_line(&first.event_time)),
        ("Event ID", one_line(&first.event_id)),
        ("Source IP", one_line(&first.source_ip)),
        ("User agent", one_line(&first.user_agent)),
    ];
    let heading = if count == 1 { "The event".to_string() } else { format!("Event {} of {count}", index + 1) };
    let link = history_url(&first.event_id, region).map(|url| (url, "Open this event in CloudTrail event history"));
    EventView { heading, rows, link, alerts }
}

/// A finding's table: what it is and means, how bad, what was hit, what was seen, how often.
fn finding_rows(d: &EventDetail, f: &crate::detail::FindingOrigin, account_label: &str) -> Vec<(&'static str, String)> {
    let mut rows = vec![("Finding", one_line(&d.event_name))];
    let meaning = crate::findings::meaning(&d.event_name);
    if !meaning.is_empty() {
        rows.push(("Meaning", meaning.to_string()));
    }
    if !f.finding_title.is_empty() {
        rows.push(("Title", one_line(&f.finding_title)));
    }
    let level = f.level.label();
    rows.push((
        "Severity",
        match &f.score {
            Some(score) => one_line(&format!("{level} ({score} of 10 in {})", f.product)),
            None => one_line(&format!("{level} (in {})", f.product)),
        },
    ));
    rows.push(("Resource", one_line(&format!("{} {}", d.resource.kind, d.resource.id))));
    // What to do, on the first screen: the rule's first step (its how-to-fix follows in full).
    if let Some(first) = first_sentence(&d.remediation) {
        rows.push(("Do first", first));
    }
    if !f.seen.is_empty() {
        rows.push(("What was seen", one_line(&f.seen)));
    }
    rows.push((
        "Seen",
        one_line(&format!(
            "{} time{}, first {}, last {}",
            f.count,
            if f.count == 1 { "" } else { "s" },
            if f.first_seen.is_empty() { "(unknown)" } else { &f.first_seen },
            if f.last_seen.is_empty() { "(unknown)" } else { &f.last_seen },
        )),
    ));
    if let Some(action) = &f.custom_action {
        rows.push(("Escalated with", one_line(&format!("Security Hub custom action \"{action}\""))));
    }
    if !f.description.is_empty() {
        rows.push(("Description", one_line(&f.description)));
    }
    rows.push(("Account", account_label.to_string()));
    rows.push(("Region", one_line(&d.region)));
    rows.push(("Finding ARN", one_line(&d.event_id)));
    rows
}

/// The first sentence of a rule's how-to-fix (up to the first `. ` or line end), one line.
fn first_sentence(text: &str) -> Option<String> {
    let text = text.trim();
    let end = text.find(". ").map(|i| i + 1).or_else(|| text.find('\n')).unwrap_or(text.len());
    let first = one_line(text[..end].trim());
    (!first.is_empty()).then_some(first)
}

fn is_plain_https(url: &str) -> bool {
    url.strip_prefix("https://").is_some_and(|rest| {
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~/?#[]@!$&()*+,;=%:".contains(&b))
    })
}

fn id_with_prefix(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .is_some_and(|hex| (8..=17).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn safe_name(id: &str, extra: &[u8], max: usize) -> bool {
    !id.is_empty() && id.len() <= max && id.bytes().all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// The CloudTrail event history page of the event, when the event id and region look like AWS's.
pub fn history_url(event_id: &str, region: &str) -> Option<String> {
    let id_ok =
        !event_id.is_empty() && event_id.len() <= 64 && event_id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    (id_ok && valid_region(region)).then(|| {
        format!("https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}#/events/{event_id}")
    })
}

/// The console page of a resource, for the kinds we know, when every part checks out.
pub fn console_url(kind: &str, id: &str, region: &str) -> Option<String> {
    if !valid_region(region) {
        return None;
    }
    let ec2 = |fragment: String| format!("https://{region}.console.aws.amazon.com/ec2/home?region={region}#{fragment}");
    let is = |k: ResourceKind| kind == k.name();
    match kind {
        _ if is(ResourceKind::SECURITY_GROUP) && id_with_prefix(id, "sg-") => {
            Some(ec2(format!("SecurityGroup:groupId={id}")))
        }
        _ if is(ResourceKind::EBS_SNAPSHOT) && id_with_prefix(id, "snap-") => {
            Some(ec2(format!("SnapshotDetails:snapshotId={id}")))
        }
        _ if is(ResourceKind::AMI) && id_with_prefix(id, "ami-") => Some(ec2(format!("ImageDetails:imageId={id}"))),
        _ if is(ResourceKind::RDS_SNAPSHOT) && safe_name(id, b"-:", 255) => Some(format!(
            "https://{region}.console.aws.amazon.com/rds/home?region={region}#db-snapshot:engine=;id={id}"
        )),
        _ if is(ResourceKind::RDS_CLUSTER_SNAPSHOT) && safe_name(id, b"-:", 255) => Some(format!(
            "https://{region}.console.aws.amazon.com/rds/home?region={region}#db-cluster-snapshot:engine=;id={id}"
        )),
        _ if is(ResourceKind::TRAIL) && safe_name(id, b"-_.", 128) => {
            Some(format!("https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}#/trails"))
        }
        _ if is(ResourceKind::IAM_USER) && safe_name(id, b"+=,.@_-", 64) => {
            Some(format!("https://us-east-1.console.aws.amazon.com/iam/home#/users/details/{id}"))
        }
        _ => None,
    }
}

/// A report's alerts, one slice per email: the alerts of one event are adjacent, and one email
/// holds them all.
pub fn per_event(details: &[EventDetail]) -> impl Iterator<Item = &[EventDetail]> {
    details.chunk_by(|a, b| a.event_id == b.event_id && a.event_time == b.event_time)
}

/// Checks what every rendered email must be, whatever the event held; the oracle of the fuzz
/// target and the property tests. The HTML is well formed (every tag one the template uses,
/// nested and closed, attributes quoted, no `<` or `>` in text or attribute values, entities
/// only as askama writes them), its only link targets are AWS console pages, and the subject is
/// one bounded line. `Err` says what is wrong and where.
pub fn check_email(email: &Email) -> Result<(), String> {
    const TAGS: &[&str] = &[
        "html", "head", "meta", "title", "body", "table", "tr", "td", "p", "span", "strong", "h2", "h3", "a", "ul",
        "br", "li", "th",
    ];
    const VOID: &[&str] = &["meta", "br"];
    if email.subject.contains(['\r', '\n']) {
        return Err(format!("subject has a line break: {:?}", email.subject));
    }
    if email.subject.chars().count() > SUBJECT_SUMMARY_CHARS + 200 {
        return Err(format!("subject of {} characters", email.subject.chars().count()));
    }
    let html = email.html.strip_prefix("<!DOCTYPE html>").ok_or("no doctype")?;
    let mut open: Vec<&str> = Vec::new();
    let mut rest = html;
    let at = |rest: &str| html.len() - rest.len();
    while !rest.is_empty() {
        let text_end = rest.find('<').unwrap_or(rest.len());
        let text = &rest[..text_end];
        if text.contains('>') {
            return Err(format!("raw `>` in text at byte {}", at(rest)));
        }
        check_entities(text).map_err(|e| format!("{e} at byte {}", at(rest)))?;
        rest = &rest[text_end..];
        if rest.is_empty() {
            break;
        }
        let end = rest.find('>').ok_or_else(|| format!("unclosed tag at byte {}", at(rest)))?;
        let tag = &rest[1..end];
        if tag.contains('<') {
            return Err(format!("`<` inside a tag at byte {}", at(rest)));
        }
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            match open.pop() {
                Some(top) if top == name => continue,
                top => return Err(format!("`</{name}>` closes {top:?} at byte {}", at(rest))),
            }
        }
        let (name, mut attrs) = tag.split_once(' ').unwrap_or((tag, ""));
        if !TAGS.contains(&name) {
            return Err(format!("unexpected tag `{name}` at byte {}", at(rest)));
        }
        while !attrs.trim_start().is_empty() {
            attrs = attrs.trim_start();
            let (key, value) = attrs.split_once("=\"").ok_or_else(|| format!("unquoted attribute in `<{tag}>`"))?;
            let close = value.find('"').ok_or_else(|| format!("unterminated attribute in `<{tag}>`"))?;
            let value = &value[..close];
            check_entities(value)?;
            if key == "href" && !known_link(value) {
                return Err(format!("link to `{value}`"));
            }
            attrs = &attrs[key.len() + 2 + close + 1..];
        }
        if !VOID.contains(&name) {
            open.push(name);
        }
    }
    match open.is_empty() {
        true => Ok(()),
        false => Err(format!("unclosed tags: {open:?}")),
    }
}

/// An AWS console page, or a reference some rule's documentation lists.
fn known_link(href: &str) -> bool {
    let console = href
        .strip_prefix("https://")
        .and_then(|v| v.split(['/', '?', '#']).next())
        .is_some_and(|host| host.ends_with(".console.aws.amazon.com"));
    let url = href.replace("&#38;", "&");
    console || crate::rule::registry().iter().any(|&r| crate::rule::docs(r).references.contains(&url))
}

/// `&` only as an entity: named (`&amp;`, `&middot;`...) or numeric (`&#60;`).
fn check_entities(text: &str) -> Result<(), String> {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i + 1..];
        let end = entity.find(';').filter(|&e| e > 0 && e <= 10).ok_or("bare `&`")?;
        let name = &entity[..end];
        let ok = match name.strip_prefix('#') {
            Some(num) => !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()),
            None => name.bytes().all(|b| b.is_ascii_alphanumeric()),
        };
        if !ok {
            return Err(format!("malformed entity `&{name};`"));
        }
    }
    Ok(())
}

/// One alert of a digest, as its table shows it; every value one safe line.
struct DigestRow {
    time: String,
    severity: &'static str,
    color: &'static str,
    title: String,
    summary: String,
    rule_id: String,
    account: String,
    region: String,
    actor: String,
    resource: String,
    console_url: Option<String>,
}

macro_rules! digest_template {
    ($name:ident, $path:literal) => {
        #[derive(Template)]
        #[template(path = $path)]
        // The text body shows a subset of what the HTML body does.
        #[allow(dead_code)]
        struct $name<'a> {
            subject: &'a str,
            heading: &'a str,
            intro: &'a str,
            banner_color: &'static str,
            rows: &'a [DigestRow],
            more: &'a str,
            /// Each rule's "How to fix", once.
            fixes: &'a [(String, String)],
            why: &'a str,
        }
    };
}
digest_template!(HtmlDigest, "digest.html");
digest_template!(TextDigest, "digest.txt");

/// A digest's email: its heading, one table row per held alert (time, severity, what, resource
/// with its console link), "and N more" for alerts past the group's cap, and each rule's fix once.
pub fn render_digest(
    details: &[EventDetail],
    account_name: &str,
    digest: &crate::notify::storm::Digest,
) -> Result<Email, RenderError> {
    if details.is_empty() && digest.more.is_empty() {
        return Err(RenderError::Empty);
    }
    let heading = digest.heading(details.len());
    let top = details.iter().map(|d| d.severity).max().unwrap_or_default();
    let name = one_line(account_name);
    let subject = match name.is_empty() {
        true => format!("[{}] {heading}", top.label()),
        false => format!("[{}] {heading} - {}", top.label(), bounded(&name, 40)),
    };
    let mut rows: Vec<&EventDetail> = details.iter().collect();
    rows.sort_by(|a, b| a.event_time.cmp(&b.event_time));
    let rows: Vec<DigestRow> = rows
        .into_iter()
        .map(|d| DigestRow {
            time: one_line(d.event_time.get(11..19).unwrap_or(&d.event_time)),
            severity: d.severity.label(),
            color: color(d.severity),
            title: one_line(&d.title),
            summary: bounded(&one_line(&d.summary), 400),
            rule_id: one_line(&d.rule_id),
            account: one_line(&d.account_id),
            region: one_line(&d.region),
            actor: bounded(&one_line(if d.actor.arn.is_empty() { &d.actor.name } else { &d.actor.arn }), 200),
            resource: one_line(&format!("{} {}", d.resource.kind, d.resource.id)),
            console_url: console_url(&d.resource.kind, &d.resource.id, &d.region),
        })
        .collect();
    let more = match digest.more.is_empty() {
        true => String::new(),
        false => one_line(&format!(
            "And {} more, past the {} a digest lists (each is in the function's log): {}.",
            digest.more.iter().map(|(_, n)| n).sum::<u64>(),
            crate::notify::storm::MAX_HELD,
            digest.more.iter().map(|(r, n)| format!("{n} {r}")).collect::<Vec<_>>().join(", ")
        )),
    };
    let mut fixes: Vec<(String, String)> = Vec::new();
    for d in details {
        let rule = one_line(&d.rule_id);
        if !fixes.iter().any(|(r, _)| r.starts_with(&format!("{rule} "))) {
            let n = details.iter().filter(|x| x.rule_id == d.rule_id).count();
            let like = if n > 1 { format!("; the other {} alike", n - 1) } else { String::new() };
            let label = one_line(&format!("{rule} (as for {} {}{like})", d.resource.kind, d.resource.id));
            fixes.push((label, d.remediation.to_string()));
        }
    }
    let (intro, why) = match digest.kind.as_str() {
        "daily" => (
            "The alerts routed to this channel's daily digest.".to_string(),
            "Routes with digest = \"daily\" collect their alerts here.",
        ),
        _ => (
            one_line(&format!(
                "The first alert of this burst was sent at once; these followed within {} minutes and were held so the burst arrives as one message. Critical alerts are never held.",
                (digest.end - digest.start) / 60
            )),
            "Alerts of one actor in one account within the storm window are grouped.",
        ),
    };
    macro_rules! fill {
        ($t:ident) => {
            $t {
                subject: &subject,
                heading: &heading,
                intro: &intro,
                banner_color: color(top),
                rows: &rows,
                more: &more,
                fixes: &fixes,
                why,
            }
            .render()?
        };
    }
    let html = fill!(HtmlDigest);
    let text = fill!(TextDigest);
    Ok(Email { subject: one_line(&subject), html, text })
}

/// The email for a batch: [`render`], or [`render_digest`] for a digest.
pub fn render_batch(batch: &crate::notify::Batch) -> Result<Email, RenderError> {
    match batch.digest {
        Some(d) => render_digest(batch.alerts, batch.account_name, d),
        None => render(batch.alerts, batch.account_name),
    }
}
