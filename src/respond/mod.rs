//! Response: contain what an alert points at. [`plan`](plan::plan) decides, purely, which
//! actions an alert calls for under the [`Settings`]; a [`Responder`] applies them (the AWS one,
//! [`aws::AwsResponder`], with feature `respond`); [`respond`] puts the outcome of each on the
//! alert (`EventDetail::response`), which the email shows.
//!
//! Safety, in order: `respond = "plan"` by default (the plan is shown, nothing changes); `apply`
//! acts only for the ids in `respond_actions`, at or above `respond_min_severity`; sample,
//! archived and suppressed findings never make an alert, so never a plan; protected resources
//! (`respond_protected`, or the tag `trailwarden:protect=true`, read live) are never acted on;
//! every action re-checks the live state first and is skipped, with the reason, when the plan's
//! assumption no longer holds; destructive actions spend an hourly [`Budget`], which fails
//! closed; a failed action never stops the others, and never the alert.

pub mod action;
#[cfg(feature = "respond")]
pub mod aws;
pub mod plan;
pub mod settings;

use std::collections::HashMap;
use std::sync::Mutex;

use crate::detail::{EventDetail, ResponseStep};
use crate::notify::BoxFuture;
use crate::respond::action::BudgetKind;
use crate::respond::plan::Planned;
use crate::respond::settings::{Mode, Settings};

pub use action::Action;
pub use settings::Settings as RespondSettings;

/// Applies planned actions. Object-safe; [`aws::AwsResponder`] with feature `respond`.
pub trait Responder: Send + Sync {
    /// Applies the actions planned for one alert, in order, and returns one step per action
    /// (applied, skipped with the reason, failed with the error, or not applied because the
    /// budget is spent). Never fails as a whole: a failure is a step.
    fn apply<'a>(&'a self, planned: &'a [Planned]) -> BoxFuture<'a, Vec<ResponseStep>>;
}

/// Plans the alert's response and, in `apply` mode with a responder, applies it; the outcome of
/// every action goes on `alert.response`.
pub async fn respond(alert: &mut EventDetail, settings: &Settings, responder: Option<&dyn Responder>) {
    let planned = plan::plan(alert, settings);
    if planned.is_empty() {
        return;
    }
    alert.response = match (settings.mode, responder) {
        (Mode::Apply, Some(r)) => r.apply(&planned).await,
        (Mode::Apply, None) => planned.iter().map(|p| p.would_do("no responder is configured here")).collect(),
        _ => planned.iter().map(|p| p.would_do("respond = \"plan\": nothing was changed")).collect(),
    };
}

/// The hourly allowance of destructive actions, shared by every invocation (the stack's table;
/// [`InMemoryBudget`] within one process).
pub trait Budget: Send + Sync {
    /// Takes one unit of `kind` in the hour holding `now` (Unix seconds) if fewer than `limit`
    /// were taken: `Ok(true)` taken, `Ok(false)` spent. `Err` (the store failed) means spent:
    /// the responder fails closed.
    fn take<'a>(&'a self, kind: BudgetKind, limit: u32, now: i64) -> BoxFuture<'a, Result<bool, String>>;
}

/// The budget in memory (replay, tests, library use).
#[derive(Default)]
pub struct InMemoryBudget(Mutex<HashMap<(BudgetKind, i64), u32>>);

impl Budget for InMemoryBudget {
    fn take<'a>(&'a self, kind: BudgetKind, limit: u32, now: i64) -> BoxFuture<'a, Result<bool, String>> {
        Box::pin(async move {
            let mut map = self.0.lock().map_err(|_| "the budget's lock was poisoned".to_string())?;
            let used = map.entry((kind, now.div_euclid(3600))).or_insert(0);
            if *used >= limit {
                return Ok(false);
            }
            *used += 1;
            Ok(true)
        })
    }
}
