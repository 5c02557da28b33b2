//! Chat messages for a batch of alerts or a digest: Slack's incoming-webhook JSON (Block Kit),
//! Microsoft Teams' (an Adaptive Card), Amazon Q Developer in chat applications' custom
//! notification (through SNS), and the short text SNS gives SMS and email subscribers.
//!
//! Every value of an alert is attacker-controlled, and chat apps read markup in it: Slack turns
//! `<!channel>` into a mention of everyone and `<https://evil|AWS console>` into a disguised
//! link, Teams reads Markdown (`[AWS console](https://evil)`) and `<at>` mentions. So:
//! - values are one line without control characters ([`crate::text::one_line`]) and bounded;
//! - Slack: values go in `plain_text` objects, which Slack never parses for mentions, links or
//!   formatting; the `text` fallback (shown in notifications, parsed as mrkdwn) has `&`, `<`
//!   and `>` escaped as Slack asks, so no `<...>` sequence survives;
//! - Teams and Amazon Q: Markdown's special characters are escaped with a backslash, and `<`,
//!   `>` and `@` are too, so no link, mention or emphasis can be written by a value;
//! - the only links are the console links [`super::render`] builds from checked parts.

use serde_json::{Value, json};

use super::Batch;
use super::render::{console_url, history_url, subject};
use crate::detail::EventDetail;
use crate::text::{bounded, one_line};

/// Alerts shown one by one in a chat message; the rest are counted.
pub const MAX_LISTED: usize = 10;

/// Lines of a digest shown; the rest are counted.
pub const MAX_DIGEST_LINES: usize = 25;

/// Slack's `&`, `<`, `>` escapes, on a one-line, bounded value.
pub fn slack_escape(text: &str, max: usize) -> String {
    bounded(&one_line(text), max).replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Markdown escaped for Teams and Amazon Q: every character that starts markup gets a backslash.
pub fn markdown_escape(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in bounded(&one_line(text), max).chars() {
        if "\\`*_{}[]()#+-.!|<>~@&".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The title of a message: the email's subject (`[HIGH] summary (+2 more) - account`), or the
/// digest's heading.
pub fn title(batch: &Batch) -> String {
    match batch.digest {
        Some(d) => d.heading(batch.alerts.len()),
        None => one_line(&subject(batch.alerts, batch.account_name)),
    }
}

/// A console link for the alert: its resource's, else its CloudTrail event's.
pub fn link(d: &EventDetail) -> Option<String> {
    console_url(&d.resource.kind, &d.resource.id, &d.region).or_else(|| history_url(&d.event_id, &d.region))
}

/// One digest line: `12:01:07 HIGH ec2-security-group-open-to-world sg-0abc: summary`.
fn digest_line(d: &EventDetail) -> String {
    let time = d.event_time.get(11..19).unwrap_or(&d.event_time);
    format!("{time} {} {} {}: {}", d.severity.label(), d.rule_id, d.resource.id, d.summary)
}

/// "and N more" for what a message leaves out (listed alerts past the cap, and a digest's count).
fn more_line(batch: &Batch, shown: usize) -> Option<String> {
    let beyond: u64 = batch.digest.map_or(0, |d| d.more.iter().map(|(_, n)| n).sum());
    let rest = (batch.alerts.len() - shown) as u64 + beyond;
    (rest > 0).then(|| format!("and {rest} more (every alert is in the email and the function's log)"))
}

/// The short text for SMS and chat: the title and, for one alert, its resource and account.
pub fn short_text(batch: &Batch) -> String {
    let mut text = title(batch);
    if batch.digest.is_none()
        && let [one] = batch.alerts
    {
        text.push_str(&format!(
            " | {} {} | account {} {}",
            one.resource.kind, one.resource.id, one.account_id, one.region
        ));
    }
    bounded(&one_line(&text), 280)
}

/// Slack's incoming-webhook message: a header, the account and actor, one section per alert
/// (at most [`MAX_LISTED`]; a digest lists lines instead), console links as buttons.
pub fn slack(batch: &Batch) -> Value {
    let plain = |t: String| json!({"type": "plain_text", "text": t, "emoji": false});
    let mut blocks = vec![json!({"type": "header", "text": plain(bounded(&title(batch), 150))})];
    if let Some(d) = batch.digest {
        let lines: Vec<String> =
            batch.alerts.iter().take(MAX_DIGEST_LINES).map(|a| bounded(&one_line(&digest_line(a)), 110)).collect();
        blocks.push(json!({"type": "section", "text": plain(bounded(&lines.join("\n"), 2900))}));
        if let Some(more) = more_line(batch, lines.len()) {
            blocks.push(json!({"type": "context", "elements": [plain(more)]}));
        }
        let _ = d;
    } else {
        for a in batch.alerts.iter().take(MAX_LISTED) {
            let text = format!(
                "{} {}\n{}\n{} {} in {} {}\nBy {} at {}",
                a.severity.label(),
                one_line(&a.title),
                one_line(&a.summary),
                one_line(&a.resource.kind),
                one_line(&a.resource.id),
                one_line(&a.account_id),
                one_line(&a.region),
                one_line(if a.actor.arn.is_empty() { &a.actor.name } else { &a.actor.arn }),
                one_line(&a.event_time),
            );
            let mut section = json!({"type": "section", "text": plain(bounded(&text, 2900))});
            if let Some(url) = link(a) {
                section["accessory"] = json!({"type": "button", "text": plain("Open in console".into()), "url": url});
            }
            blocks.push(section);
        }
        if let Some(more) = more_line(batch, batch.alerts.len().min(MAX_LISTED)) {
            blocks.push(json!({"type": "context", "elements": [plain(more)]}));
        }
    }
    json!({"text": slack_escape(&title(batch), 300), "blocks": blocks})
}

/// Teams' incoming-webhook message: an Adaptive Card (1.4) with the title, a fact set per alert
/// (or the digest's lines), and console links as actions.
pub fn teams(batch: &Batch) -> Value {
    let md = |t: &str, max: usize| markdown_escape(t, max);
    let mut body = vec![
        json!({"type": "TextBlock", "text": md(&title(batch), 300), "weight": "Bolder", "size": "Medium", "wrap": true}),
    ];
    let mut actions = Vec::new();
    if batch.digest.is_some() {
        for a in batch.alerts.iter().take(MAX_DIGEST_LINES) {
            body.push(json!({"type": "TextBlock", "text": md(&digest_line(a), 200), "wrap": true, "spacing": "None"}));
        }
        if let Some(more) = more_line(batch, batch.alerts.len().min(MAX_DIGEST_LINES)) {
            body.push(json!({"type": "TextBlock", "text": md(&more, 200), "isSubtle": true, "wrap": true}));
        }
    } else {
        for a in batch.alerts.iter().take(MAX_LISTED) {
            let fact = |k: &str, v: &str| json!({"title": k, "value": md(v, 300)});
            body.push(json!({"type": "TextBlock", "text": md(&format!("{} {}", a.severity.label(), a.title), 200), "weight": "Bolder", "wrap": true, "separator": true}));
            body.push(json!({"type": "TextBlock", "text": md(&a.summary, 600), "wrap": true}));
            body.push(json!({"type": "FactSet", "facts": [
                fact("Resource", &format!("{} {}", a.resource.kind, a.resource.id)),
                fact("Account", &format!("{} {}", a.account_id, a.region)),
                fact("Actor", if a.actor.arn.is_empty() { &a.actor.name } else { &a.actor.arn }),
                fact("Time", &a.event_time),
                fact("Rule", &a.rule_id),
            ]}));
            if let Some(url) = link(a)
                && actions.len() < 5
            {
                actions.push(
                    // A button's title is plain text (no Markdown), and the link exists only for a checked id.
                    json!({"type": "Action.OpenUrl", "title": bounded(&one_line(&format!("Open {}", a.resource.id)), 40), "url": url}),
                );
            }
        }
        if let Some(more) = more_line(batch, batch.alerts.len().min(MAX_LISTED)) {
            body.push(json!({"type": "TextBlock", "text": md(&more, 200), "isSubtle": true, "wrap": true}));
        }
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
                "actions": actions,
            }
        }]
    })
}

/// Amazon Q Developer in chat applications' custom notification (version 1.0, source custom,
/// `client-markdown`), published to an SNS topic the chat channel subscribes to.
pub fn amazon_q(batch: &Batch) -> Value {
    let md = |t: &str, max: usize| markdown_escape(t, max);
    let mut lines: Vec<String> = Vec::new();
    let mut next_steps: Vec<String> = Vec::new();
    let mut resources: Vec<String> = Vec::new();
    if batch.digest.is_some() {
        lines.extend(batch.alerts.iter().take(MAX_DIGEST_LINES).map(|a| format!("- {}", md(&digest_line(a), 200))));
        if let Some(more) = more_line(batch, batch.alerts.len().min(MAX_DIGEST_LINES)) {
            lines.push(md(&more, 200));
        }
    } else {
        for a in batch.alerts.iter().take(MAX_LISTED) {
            lines.push(format!(
                "*{} {}*\n{}\n{} {} in {} {}, by {}",
                a.severity.label(),
                md(&a.title, 200),
                md(&a.summary, 600),
                md(&a.resource.kind, 60),
                md(&a.resource.id, 200),
                md(&a.account_id, 20),
                md(&a.region, 30),
                md(if a.actor.arn.is_empty() { &a.actor.name } else { &a.actor.arn }, 200),
            ));
            if let Some(url) = link(a) {
                lines.push(format!("[Open in console]({url})"));
            }
            let fix = md(a.remediation.lines().find(|l| !l.trim().is_empty()).unwrap_or(""), 300);
            if !fix.is_empty() && next_steps.len() < 5 && !next_steps.contains(&fix) {
                next_steps.push(fix);
            }
            if !a.resource.id.is_empty() && resources.len() < 10 {
                resources.push(bounded(&one_line(&a.resource.id), 200));
            }
        }
        if let Some(more) = more_line(batch, batch.alerts.len().min(MAX_LISTED)) {
            lines.push(md(&more, 200));
        }
    }
    let mut keywords: Vec<String> = Vec::new();
    for a in batch.alerts {
        for k in [a.severity.name(), &*a.rule_id] {
            if keywords.len() < 5 && !keywords.iter().any(|x| x == k) {
                keywords.push(bounded(&one_line(k), 60));
            }
        }
    }
    let thread = batch
        .digest
        .map_or_else(|| batch.alerts.first().map(|a| a.event_id.clone()).unwrap_or_default(), |d| d.id.clone());
    json!({
        "version": "1.0",
        "source": "custom",
        "id": bounded(&one_line(&thread), 100),
        "content": {
            "textType": "client-markdown",
            "title": md(&title(batch), 240),
            "description": bounded(&lines.join("\n"), 7900),
            "nextSteps": next_steps,
            "keywords": keywords,
        },
        "metadata": {
            "threadId": bounded(&one_line(&thread), 100),
            "summary": bounded(&title(batch), 240),
            "eventType": if batch.digest.is_some() { "trailwarden-digest" } else { "trailwarden-alert" },
            "relatedResources": resources,
            "additionalContext": {
                "account": bounded(&one_line(batch.account_name), 60),
                "alerts": (batch.alerts.len()).to_string(),
            },
        }
    })
}
