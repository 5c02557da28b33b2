//! Account names for alerts from an organisation trail: a configured map first
//! (`TRAILWARDEN_ACCOUNT_NAMES`), then AWS Organizations `ListAccounts` where the function may
//! call it (the management account, or a delegated administrator such as a log-archive account
//! given `organizations:ListAccounts`). Without either, an alert names its account by id.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::notify::BoxFuture;
use crate::text::one_line;

/// Where account names come from; `None` when the account has no known name.
pub trait AccountDirectory: Send + Sync {
    fn name<'a>(&'a self, account_id: &'a str) -> BoxFuture<'a, Option<String>>;
}

/// How long a listing of the organisation's accounts is used before it is read again.
pub const REFRESH: Duration = Duration::from_secs(3600);
/// How long after a failed listing (no permission, no organisation) before trying again.
pub const RETRY: Duration = Duration::from_secs(900);

/// The organisation's account names, listed once and kept for [`REFRESH`]; a failure is logged
/// once and tried again after [`RETRY`], never failing an alert.
pub struct OrganizationsDirectory {
    client: aws_sdk_organizations::Client,
    state: tokio::sync::Mutex<Listing>,
}

#[derive(Default)]
struct Listing {
    names: BTreeMap<String, String>,
    /// When the listing (or its last failure) happened.
    at: Option<Instant>,
    failed: bool,
}

impl OrganizationsDirectory {
    pub fn new(client: aws_sdk_organizations::Client) -> Self {
        OrganizationsDirectory { client, state: tokio::sync::Mutex::new(Listing::default()) }
    }

    /// Every account of the organisation, id to name (every page).
    pub async fn list(&self) -> Result<BTreeMap<String, String>, String> {
        let mut names = BTreeMap::new();
        let mut token = None;
        loop {
            let page = self.client.list_accounts().set_next_token(token.take()).send().await.map_err(|e| {
                format!("Organizations ListAccounts: {}", aws_sdk_organizations::error::DisplayErrorContext(&e))
            })?;
            for account in page.accounts() {
                if let (Some(id), Some(name)) = (account.id(), account.name()) {
                    names.insert(id.to_string(), name.to_string());
                }
            }
            match page.next_token() {
                Some(t) => token = Some(t.to_string()),
                None => return Ok(names),
            }
        }
    }
}

impl AccountDirectory for OrganizationsDirectory {
    fn name<'a>(&'a self, account_id: &'a str) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            let mut state = self.state.lock().await;
            let wait = if state.failed { RETRY } else { REFRESH };
            if state.at.is_none_or(|at| at.elapsed() >= wait) {
                match self.list().await {
                    Ok(names) => {
                        tracing::info!(accounts = names.len(), "account names read from Organizations");
                        *state = Listing { names, at: Some(Instant::now()), failed: false };
                    }
                    Err(e) => {
                        if !state.failed {
                            tracing::warn!(error = %one_line(&e), "account names unavailable; alerts name accounts by id");
                        }
                        // Names already known stay in use.
                        state.at = Some(Instant::now());
                        state.failed = true;
                    }
                }
            }
            state.names.get(account_id).cloned()
        })
    }
}
