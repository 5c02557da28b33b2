//! Storms grouped: the alerts of one actor in one account within a window (5 minutes by default,
//! `storm_window_minutes`) become one immediate message and one digest.
//!
//! - The first alert of a group goes out at once, and opens the window.
//! - The rest of the window is held, and arrives as one digest at its end, each alert with its
//!   resource.
//! - Critical alerts are never held; nor is an alert without an actor (most findings).
//! - A channel's daily digest (a route with `digest = "daily"`, [`super::route`]) is a group too:
//!   every alert of it is held until the end of the day, UTC.
//!
//! This file is the pure part: who groups with whom ([`group_key`], [`holdable`]), the group ids
//! and the digest's description ([`Digest`]), replay's grouping by event time ([`plan`]), and the
//! [`Holds`] trait the Lambda keeps its groups in (`hold::DynamoHolds`, feature `aws`, in the
//! stack's table, flushed by an EventBridge Scheduler one-time schedule).

use serde::{Deserialize, Serialize};

use crate::detail::{EventDetail, Severity};
use crate::notify::BoxFuture;

/// The default window: 5 minutes.
pub const DEFAULT_WINDOW_SECS: i64 = 300;

/// The most alerts one group lists; the rest are counted per rule (a digest of thousands is
/// unreadable, and the table's item limit is 400 KB).
pub const MAX_HELD: usize = 100;

/// The most a group's listed alerts take in the table (their JSON), well inside DynamoDB's 400 KB
/// item; past it alerts are counted like those past [`MAX_HELD`].
pub const MAX_GROUP_BYTES: usize = 250_000;

/// An alert larger than this (its JSON) is never held: it goes at once.
pub const MAX_HELD_BYTES: usize = 64 * 1024;

/// Who an alert groups with: `account#actor` (the actor's ARN, else its name), or `None` when it
/// names no actor (never grouped).
pub fn group_key(alert: &EventDetail) -> Option<String> {
    let actor = [&alert.actor.arn, &alert.actor.name].into_iter().find(|a| !a.trim().is_empty())?;
    Some(format!("{}#{}", alert.account_id, actor))
}

/// Whether a storm may hold `alert`: not Critical, and with an actor.
pub fn holdable(alert: &EventDetail) -> bool {
    alert.severity < Severity::Critical && group_key(alert).is_some()
}

/// A short, stable, schedule-name-safe hash of a text (FNV-1a, 64 bits, as 16 hex digits).
pub fn short_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// What a digest is of: shown in its subject and heading, stored with the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// The group's id: `storm-<hash>-<window start>` or `daily-<channel>-<YYYYMMDD>`.
    pub id: String,
    /// `storm`: one actor's burst; `daily`: a channel's day.
    pub kind: String,
    /// The account and actor of a storm (empty for a daily digest).
    pub account_id: String,
    pub actor: String,
    /// The window, Unix seconds.
    pub start: i64,
    pub end: i64,
    /// The channel a daily digest is for (every routed channel for a storm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Alerts past [`MAX_HELD`], per rule id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more: Vec<(String, u64)>,
}

impl Digest {
    /// A storm's digest, for the group of `key` ([`group_key`]) opened at `start`.
    pub fn storm(alert: &EventDetail, start: i64, window_secs: i64) -> Digest {
        let key = group_key(alert).unwrap_or_default();
        let actor = [&alert.actor.arn, &alert.actor.name].into_iter().find(|a| !a.trim().is_empty());
        Digest {
            id: format!("storm-{}-{start}", short_hash(&key)),
            kind: "storm".into(),
            account_id: alert.account_id.clone(),
            actor: actor.cloned().unwrap_or_default(),
            start,
            end: start + window_secs,
            channel: None,
            more: Vec::new(),
        }
    }

    /// `channel`'s digest of the UTC day holding `now`.
    pub fn daily(channel: &str, now: i64) -> Digest {
        let start = now - now.rem_euclid(86_400);
        let day = jiff::Timestamp::from_second(start).map(|t| t.strftime("%Y%m%d").to_string()).unwrap_or_default();
        let safe: String = channel.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(20).collect();
        Digest {
            id: format!("daily-{safe}-{}-{day}", &short_hash(channel)[..6]),
            kind: "daily".into(),
            account_id: String::new(),
            actor: String::new(),
            start,
            end: start + 86_400,
            channel: Some(channel.to_string()),
            more: Vec::new(),
        }
    }

    /// The heading line: `Digest: 39 more alerts by arn:... in 111122223333, 12:00–12:05 UTC`.
    pub fn heading(&self, count: usize) -> String {
        let time = |s: i64| jiff::Timestamp::from_second(s).map(|t| t.strftime("%Y-%m-%d %H:%M").to_string());
        let (from, to) = (time(self.start).unwrap_or_default(), time(self.end).unwrap_or_default());
        let more: u64 = self.more.iter().map(|(_, n)| n).sum();
        let total = count as u64 + more;
        let text = match self.kind.as_str() {
            "daily" => format!("Daily digest: {total} alert(s), {from} to {to} UTC"),
            _ => format!(
                "Digest: {total} more alert(s) by {} in {}, {from} to {to} UTC",
                crate::text::bounded(&self.actor, 120),
                self.account_id
            ),
        };
        crate::text::one_line(&text)
    }
}

/// How replay (or a caller) delivers a list of alerts with grouping: each entry a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// One alert's message at once (by index).
    Now(usize),
    /// A digest at the end of a window, of these alerts (indexes, in time order).
    Digest(Digest, Vec<usize>),
}

/// Groups `alerts` by their event time, as the Lambda would have by arrival: per actor and
/// account, the first alert opens a window of `window_secs` and goes at once, the rest of the
/// window goes in one digest; Critical alerts and alerts without an actor always go at once.
/// `window_secs <= 0` sends everything at once. Messages come in the order they would be sent.
pub fn plan(alerts: &[EventDetail], window_secs: i64) -> Vec<Message> {
    let time = |d: &EventDetail| d.event_time.parse::<jiff::Timestamp>().map(|t| t.as_second()).unwrap_or(i64::MIN);
    let mut order: Vec<usize> = (0..alerts.len()).collect();
    order.sort_by_key(|&i| time(&alerts[i]));
    if window_secs <= 0 {
        return order.into_iter().map(Message::Now).collect();
    }
    // (send time, message); open windows by group key.
    let mut out: Vec<(i64, Message)> = Vec::new();
    let mut open: std::collections::HashMap<String, (Digest, Vec<usize>)> = std::collections::HashMap::new();
    // The event that opened each window: its other alerts go with it, as the Lambda sends an
    // event's alerts together.
    let mut opener: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    let close = |digest: Digest, held: Vec<usize>, out: &mut Vec<(i64, Message)>| {
        if !held.is_empty() {
            out.push((digest.end, Message::Digest(digest, held)));
        }
    };
    for i in order {
        let (alert, t) = (&alerts[i], time(&alerts[i]));
        let Some(key) = group_key(alert).filter(|_| holdable(alert) && t != i64::MIN) else {
            out.push((t, Message::Now(i)));
            continue;
        };
        match open.get_mut(&key) {
            Some(_) if opener.get(&key) == Some(&&*alert.event_id) => out.push((t, Message::Now(i))),
            Some((digest, held)) if t < digest.end => held.push(i),
            _ => {
                opener.insert(key.clone(), &alert.event_id);
                if let Some((digest, held)) = open.remove(&key) {
                    close(digest, held, &mut out);
                }
                open.insert(key, (Digest::storm(alert, t, window_secs), Vec::new()));
                out.push((t, Message::Now(i)));
            }
        }
    }
    let mut rest: Vec<_> = open.into_values().collect();
    rest.sort_by(|a, b| a.0.end.cmp(&b.0.end).then_with(|| a.0.id.cmp(&b.0.id)));
    for (digest, held) in rest {
        close(digest, held, &mut out);
    }
    out.sort_by_key(|(t, _)| *t);
    out.into_iter().map(|(_, s)| s).collect()
}

/// What joining a storm's group said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joined {
    /// The alert opened a new window: send it now.
    First,
    /// A window is open: hold the alert in this group.
    Open(Digest),
}

/// A group sealed for its digest: what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Sealed {
    pub digest: Digest,
    /// Held alerts in time order, each with the channels it is held for.
    pub alerts: Vec<(EventDetail, Vec<String>)>,
    /// Alerts past the cap, counted: `(channel, rule id, count)`.
    pub more: Vec<(String, String, u64)>,
}

impl Sealed {
    /// What `channel`'s digest holds: its alerts, and the digest with its own "and N more".
    pub fn for_channel(&self, channel: &str) -> (Vec<EventDetail>, Digest) {
        let alerts = self.alerts.iter().filter(|(_, cs)| cs.iter().any(|c| c == channel)).map(|(a, _)| a.clone());
        let mut digest = self.digest.clone();
        digest.more = self.more.iter().filter(|(c, ..)| c == channel).map(|(_, r, n)| (r.clone(), *n)).collect();
        (alerts.collect(), digest)
    }

    /// Every channel the group holds something for, sorted.
    pub fn channels(&self) -> Vec<&str> {
        let listed = self.alerts.iter().flat_map(|(_, cs)| cs.iter().map(String::as_str));
        let mut all: Vec<&str> = listed.chain(self.more.iter().map(|(c, ..)| c.as_str())).collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// Why the group store failed. The Lambda fails the invocation (retried) rather than lose a hold.
#[derive(Debug, thiserror::Error)]
#[error("storm groups: {call} `{key}`: {message}")]
pub struct HoldError {
    pub call: &'static str,
    pub key: String,
    pub message: String,
}

/// Where groups live between their first alert and their digest. Object-safe.
pub trait Holds: Send + Sync {
    /// The storm group of `alert` at `now`: a new window (this alert is the first), or the open
    /// one's digest to hold it in.
    fn join<'a>(
        &'a self,
        alert: &'a EventDetail,
        now: i64,
        window_secs: i64,
    ) -> BoxFuture<'a, Result<Joined, HoldError>>;

    /// Keeps `alert` for `channel` (under its dedupe `key`, so a retried hold keeps it once) in
    /// `digest`'s group, after making sure the group's flush is scheduled at its end.
    /// `Ok(false)`: the group was already sealed (its digest is going out), or the alert is too
    /// large to keep ([`MAX_HELD_BYTES`]): send it now instead.
    fn hold<'a>(
        &'a self,
        digest: &'a Digest,
        key: &'a str,
        alert: &'a EventDetail,
        channel: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<bool, HoldError>>;

    /// Seals the group `id` (no more holds, even when it held nothing yet) and returns what it
    /// holds; `None` when it holds nothing, or was flushed already.
    fn seal<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Sealed>, HoldError>>;

    /// The flush is done: the group is marked so (a late hold then sends at once, a late
    /// flush does nothing) and left to the table's TTL.
    fn forget<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), HoldError>>;

    /// Calls the flush of `id` again at `at` (Unix seconds): a channel failed, or another
    /// delivery holds its claim.
    fn again<'a>(&'a self, id: &'a str, at: i64) -> BoxFuture<'a, Result<(), HoldError>>;
}
