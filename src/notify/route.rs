//! Routing: which channels an alert goes to, and whether it goes at once or into the channel's
//! daily digest. Pure: it reads the alert's severity and rule id, nothing else.
//!
//! A route names channels and selects alerts by severity (`min_severity`, or an exact list of
//! `severities`) and by rule (`rules` and `exclude_rules`, globs over rule ids). An alert goes to
//! every channel of every route that selects it; a channel that one route wants at once and
//! another in its daily digest gets it at once. With no routes configured every channel gets
//! every alert at once, as before routing existed.
//!
//! In a config file:
//!
//! ```toml
//! [[routes]]                 # Critical to the chat webhook and to email, at once
//! channels = ["webhook", "email"]
//! severities = ["critical"]
//!
//! [[routes]]                 # Medium and High to email
//! channels = ["email"]
//! min_severity = "medium"
//! exclude_rules = ["guardduty-*"]
//!
//! [[routes]]                 # Low only in the daily digest
//! channels = ["email"]
//! severities = ["low"]
//! digest = "daily"
//! ```
//!
//! In `TRAILWARDEN_ROUTES`, the same as `;`-separated `SELECT=CHANNELS`: `critical=webhook,email;
//! medium+/!guardduty-*=email;low=email@daily`. `SELECT` is a severity (exactly it) or a
//! severity with `+` (it and above), or `*`; after a `/`, rule globs separated by `|`, a `!` in
//! front of the ones to leave out.

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::detail::{EventDetail, Severity};

/// How a channel gets an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// Now (or, inside a storm, in its digest at the end of the window).
    Now,
    /// In the channel's digest at the end of the day (UTC).
    Daily,
}

/// One route: which alerts, to which channels, how.
#[derive(Debug, Clone)]
pub struct Route {
    pub channels: Vec<String>,
    /// Alerts at or above this level...
    pub min_severity: Severity,
    /// ...or, when not empty, exactly these levels.
    pub severities: Vec<Severity>,
    /// Rule id globs: an alert of a rule matching none is not selected (all when empty).
    pub rules: Vec<String>,
    /// Rule id globs never selected.
    pub exclude_rules: Vec<String>,
    pub mode: Mode,
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl Route {
    /// A route, its globs compiled; `Err` names the bad glob.
    pub fn new(
        channels: Vec<String>,
        min_severity: Severity,
        severities: Vec<Severity>,
        rules: Vec<String>,
        exclude_rules: Vec<String>,
        mode: Mode,
    ) -> Result<Route, String> {
        if channels.is_empty() {
            return Err("a route names no channel".into());
        }
        let set = |globs: &[String]| -> Result<Option<GlobSet>, String> {
            if globs.is_empty() {
                return Ok(None);
            }
            let mut b = GlobSetBuilder::new();
            for g in globs {
                b.add(Glob::new(g).map_err(|e| format!("rule glob `{g}`: {e}"))?);
            }
            b.build().map(Some).map_err(|e| e.to_string())
        };
        let (include, exclude) = (set(&rules)?, set(&exclude_rules)?);
        Ok(Route { channels, min_severity, severities, rules, exclude_rules, mode, include, exclude })
    }

    /// Whether this route takes `alert`.
    pub fn selects(&self, alert: &EventDetail) -> bool {
        let level = match self.severities.is_empty() {
            true => alert.severity >= self.min_severity,
            false => self.severities.contains(&alert.severity),
        };
        level
            && self.include.as_ref().is_none_or(|s| s.is_match(&*alert.rule_id))
            && !self.exclude.as_ref().is_some_and(|s| s.is_match(&*alert.rule_id))
    }
}

/// The configured routes (none: everything to every channel, at once).
#[derive(Debug, Clone, Default)]
pub struct Routing {
    pub routes: Vec<Route>,
}

/// A route as a config file writes it (see the module's example).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteFile {
    pub channels: Vec<String>,
    pub min_severity: Option<String>,
    #[serde(default)]
    pub severities: Vec<String>,
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub exclude_rules: Vec<String>,
    /// `"daily"`: into the channel's daily digest rather than at once.
    pub digest: Option<String>,
}

fn mode(digest: Option<&str>) -> Result<Mode, String> {
    match digest.map(str::trim) {
        None | Some("") | Some("none") => Ok(Mode::Now),
        Some("daily") => Ok(Mode::Daily),
        Some(other) => Err(format!("digest `{}` is not \"daily\"", crate::text::one_line(other))),
    }
}

impl Routing {
    /// The routes of a config file's `[[routes]]`.
    pub fn from_file(routes: Vec<RouteFile>) -> Result<Routing, String> {
        let mut out = Vec::new();
        for (i, r) in routes.into_iter().enumerate() {
            let at = |m: String| format!("route {}: {m}", i + 1);
            let min = r.min_severity.as_deref().map_or(Ok(Severity::Info), str::parse).map_err(at)?;
            let severities =
                r.severities.iter().map(|s| s.parse::<Severity>()).collect::<Result<Vec<_>, _>>().map_err(at)?;
            let mode = mode(r.digest.as_deref()).map_err(at)?;
            out.push(Route::new(r.channels, min, severities, r.rules, r.exclude_rules, mode).map_err(at)?);
        }
        Ok(Routing { routes: out })
    }

    /// `TRAILWARDEN_ROUTES`: `SELECT=CHANNELS[@daily]` separated by `;` (see the module).
    pub fn parse(text: &str) -> Result<Routing, String> {
        let mut routes = Vec::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let shown = crate::text::one_line(part);
            let bad = |m: &str| format!("`{shown}`: {m}");
            let (select, target) = part.split_once('=').ok_or_else(|| bad("is not SELECT=CHANNELS"))?;
            let (channels, mode) = match target.trim().rsplit_once('@') {
                Some((c, m)) => (c, self::mode(Some(m)).map_err(|m| bad(&m))?),
                None => (target, Mode::Now),
            };
            let channels: Vec<String> =
                channels.split(',').map(str::trim).filter(|c| !c.is_empty()).map(str::to_string).collect();
            let (level, globs) = match select.split_once('/') {
                Some((l, g)) => (l.trim(), g),
                None => (select.trim(), ""),
            };
            let (min, severities) = match level {
                "*" | "" => (Severity::Info, Vec::new()),
                l => match l.strip_suffix('+') {
                    Some(l) => (l.trim().parse().map_err(|m: String| bad(&m))?, Vec::new()),
                    None => (Severity::Info, vec![l.parse().map_err(|m: String| bad(&m))?]),
                },
            };
            let (mut rules, mut exclude) = (Vec::new(), Vec::new());
            for g in globs.split('|').map(str::trim).filter(|g| !g.is_empty()) {
                match g.strip_prefix('!') {
                    Some(g) => exclude.push(g.trim().to_string()),
                    None => rules.push(g.to_string()),
                }
            }
            routes.push(Route::new(channels, min, severities, rules, exclude, mode).map_err(|m| bad(&m))?);
        }
        Ok(Routing { routes })
    }

    /// Every channel a route names (to check them against the configured channels).
    pub fn channel_names(&self) -> impl Iterator<Item = &str> {
        self.routes.iter().flat_map(|r| r.channels.iter().map(String::as_str))
    }

    /// Where `alert` goes, among `channels` (the configured ones' names, in order): each channel
    /// once, with its mode. Without routes, every channel at once.
    pub fn deliveries(&self, alert: &EventDetail, channels: &[&str]) -> Vec<(String, Mode)> {
        if self.routes.is_empty() {
            return channels.iter().map(|c| (c.to_string(), Mode::Now)).collect();
        }
        let mut out: Vec<(String, Mode)> = Vec::new();
        for route in self.routes.iter().filter(|r| r.selects(alert)) {
            for c in route.channels.iter().filter(|c| channels.contains(&c.as_str())) {
                match out.iter_mut().find(|(name, _)| name == c) {
                    Some((_, m)) => *m = (*m).min(route.mode),
                    None => out.push((c.clone(), route.mode)),
                }
            }
        }
        out.sort_by_key(|(c, _)| channels.iter().position(|x| x == c));
        out
    }
}

/// A channel a config file declares beside the ones the environment sets up (`email`, and
/// `sns`, `webhook`, `amazon-q`, `securityhub` when their variables are set):
///
/// ```toml
/// [[channels]]
/// name = "secops-chat"
/// kind = "slack"                      # slack | teams | sns | amazon-q
/// secret = "trailwarden/secops-chat"  # slack, teams: the Secrets Manager secret with the URL
///
/// [[channels]]
/// name = "oncall-q"
/// kind = "amazon-q"
/// topic_arn = "arn:aws:sns:eu-west-1:111122223333:oncall-q"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSpec {
    pub name: String,
    pub kind: String,
    /// For `slack` and `teams`: the secret holding the webhook URL (never the URL itself).
    pub secret: Option<String>,
    /// For `sns` and `amazon-q`.
    pub topic_arn: Option<String>,
}

/// The kinds a [`ChannelSpec`] may be.
pub const CHANNEL_KINDS: [&str; 4] = ["slack", "teams", "sns", "amazon-q"];

impl ChannelSpec {
    /// Checks the spec: a name routes can use, a known kind, and what the kind needs.
    pub fn check(&self) -> Result<(), String> {
        let name = crate::text::one_line(&self.name);
        if name.is_empty() || name.len() > 40 || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)) {
            return Err(format!("channel name `{name}` is not 1 to 40 letters, digits, - or _"));
        }
        match self.kind.as_str() {
            "slack" | "teams" if self.secret.as_deref().is_none_or(|s| s.trim().is_empty()) => {
                Err(format!("channel `{name}`: a {} webhook needs `secret`, the secret holding its URL", self.kind))
            }
            "sns" | "amazon-q" if !self.topic_arn.as_deref().is_some_and(is_topic_arn) => {
                Err(format!("channel `{name}`: `topic_arn` is not an SNS topic ARN"))
            }
            k if !CHANNEL_KINDS.contains(&k) => Err(format!(
                "channel `{name}`: kind `{}` is not one of {}",
                crate::text::one_line(k),
                CHANNEL_KINDS.join(", ")
            )),
            _ => Ok(()),
        }
    }
}

/// `arn:<partition>:sns:<region>:<account>:<name>`.
pub fn is_topic_arn(arn: &str) -> bool {
    arn.starts_with("arn:") && arn.split(':').count() == 6 && arn.split(':').nth(2) == Some("sns")
}
