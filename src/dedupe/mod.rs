//! Once per alert, across deliveries: the ledger the Lambda claims an alert in before sending it.
//!
//! GuardDuty re-publishes a recurring finding, Security Hub forwards GuardDuty's findings and
//! answers its own workflow updates, and EventBridge delivers at least once and retries a failed
//! invocation. So before sending, each alert is *claimed* under its key ([`key`]): a finding's
//! ARN, or a CloudTrail record's `eventID` and rule. A claim is fresh when the key is new, when
//! the finding's level rose, or when an earlier claim was never confirmed and its lease ran out;
//! otherwise the alert was already sent (or is being sent right now by a concurrent delivery)
//! and is dropped. After the send, the claim is *confirmed*; if the send failed it is *released*
//! (the earlier entry put back), so the retry EventBridge makes sends it.
//!
//! [`InMemory`] keeps the ledger in the process (library use, tests); `dynamodb::DynamoLedger`
//! (feature `aws`) keeps it in the stack's DynamoDB table, with a TTL.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::detail::{EventDetail, Severity};
use crate::notify::BoxFuture;

#[cfg(feature = "aws")]
pub mod dynamodb;

/// The key an alert is claimed under: a finding alerts once per finding (its ARN), whichever
/// rule raised it; a CloudTrail alert once per record and rule.
pub fn key(detail: &EventDetail) -> String {
    match detail.origin.finding() {
        Some(_) => format!("finding#{}", detail.event_id),
        None => format!("cloudtrail#{}#{}", detail.event_id, detail.rule_id),
    }
}

/// The level an alert is claimed at: a finding's own level (an update alerts again only when it
/// rises), the alert's severity otherwise.
pub fn level(detail: &EventDetail) -> Severity {
    detail.origin.finding().map_or(detail.severity, |f| f.level)
}

/// What the ledger says of a key before a send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Ours to send: confirm or release the ticket afterwards.
    Fresh(Ticket),
    /// Already sent at this level or higher.
    Seen { level: Severity },
    /// Being sent by another delivery now: its claim holds until `until` (Unix seconds), when,
    /// if that delivery died before confirming, the key may be claimed again.
    Busy { level: Severity, until: i64 },
}

/// A claim held while its alert is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub key: String,
    pub level: Severity,
    /// Identifies this claim: only its holder may confirm or release it.
    pub token: String,
    /// The entry the claim replaced (the level sent before), put back on release.
    pub previous: Option<Severity>,
}

/// Why the ledger could not answer. The Lambda fails the invocation on it (EventBridge retries),
/// rather than risk a lost or a doubled alert silently.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("dedupe table {table}: {call} for `{key}`: {message}")]
    Call { table: String, call: &'static str, key: String, message: String },
}

/// A ledger of sent alerts. Object-safe, so the Lambda holds a `Box<dyn Ledger>`.
pub trait Ledger: Send + Sync {
    /// A short name for logs: `dynamodb:<table>`, `memory`.
    fn name(&self) -> &str;

    /// Claims `key` at `level` before a send, at `now` (Unix seconds).
    fn claim<'a>(&'a self, key: &'a str, level: Severity, now: i64) -> BoxFuture<'a, Result<Claim, LedgerError>>;

    /// The send succeeded: the entry stays and blocks repeats (until its TTL).
    fn confirm<'a>(&'a self, ticket: &'a Ticket) -> BoxFuture<'a, Result<(), LedgerError>>;

    /// The send failed: the claim is undone if it is still this ticket's (the earlier entry
    /// put back, or none), so a retry claims and sends.
    fn release<'a>(&'a self, ticket: &'a Ticket) -> BoxFuture<'a, Result<(), LedgerError>>;
}

/// A fresh token for a claim: the time and a process-wide counter, with the process id.
pub(crate) fn token(now: i64) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{now}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// How long an unconfirmed claim blocks others: longer than the function's timeout, so a
/// delivery that is still sending is never overtaken; after it, a crashed one's claim lapses.
pub const DEFAULT_LEASE_SECS: i64 = 900;

#[derive(Debug, Clone)]
struct Entry {
    level: Severity,
    /// `Some((token, lease end))` while claimed and not confirmed.
    claim: Option<(String, i64)>,
}

/// The ledger in memory: for a library user without a table, and one process's lifetime.
#[derive(Debug, Default)]
pub struct InMemory {
    entries: Mutex<HashMap<String, Entry>>,
    lease_secs: i64,
}

impl InMemory {
    pub fn new() -> Self {
        InMemory { entries: Mutex::default(), lease_secs: DEFAULT_LEASE_SECS }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn claim_now(&self, key: &str, level: Severity, now: i64) -> Claim {
        let mut entries = self.entries();
        let previous = entries.get(key).cloned();
        let fresh = match &previous {
            None => true,
            Some(e) => e.level < level || e.claim.as_ref().is_some_and(|(_, until)| *until < now),
        };
        if let (false, Some(e)) = (fresh, &previous) {
            return match e.claim {
                Some((_, until)) => Claim::Busy { level: e.level, until },
                None => Claim::Seen { level: e.level },
            };
        }
        let token = token(now);
        let lease = if self.lease_secs > 0 { self.lease_secs } else { DEFAULT_LEASE_SECS };
        entries.insert(key.to_string(), Entry { level, claim: Some((token.clone(), now + lease)) });
        // A lapsed claim was never sent: it is not an earlier alert to put back.
        let previous = previous.filter(|e| e.claim.is_none()).map(|e| e.level);
        Claim::Fresh(Ticket { key: key.to_string(), level, token, previous })
    }
}

impl Ledger for InMemory {
    fn name(&self) -> &str {
        "memory"
    }

    fn claim<'a>(&'a self, key: &'a str, level: Severity, now: i64) -> BoxFuture<'a, Result<Claim, LedgerError>> {
        Box::pin(async move { Ok(self.claim_now(key, level, now)) })
    }

    fn confirm<'a>(&'a self, ticket: &'a Ticket) -> BoxFuture<'a, Result<(), LedgerError>> {
        Box::pin(async move {
            if let Some(e) = self.entries().get_mut(&ticket.key)
                && e.claim.as_ref().is_some_and(|(t, _)| *t == ticket.token)
            {
                e.claim = None;
            }
            Ok(())
        })
    }

    fn release<'a>(&'a self, ticket: &'a Ticket) -> BoxFuture<'a, Result<(), LedgerError>> {
        Box::pin(async move {
            let mut entries = self.entries();
            let ours =
                entries.get(&ticket.key).is_some_and(|e| e.claim.as_ref().is_some_and(|(t, _)| *t == ticket.token));
            if ours {
                match ticket.previous {
                    Some(level) => {
                        entries.insert(ticket.key.clone(), Entry { level, claim: None });
                    }
                    None => {
                        entries.remove(&ticket.key);
                    }
                }
            }
            Ok(())
        })
    }
}
