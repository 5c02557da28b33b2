//! Who a snapshot, image or DB snapshot was just shared with.

use serde::Deserialize;

use crate::cloudtrail::event::{Event, Items, Scalar};

/// `createVolumePermission` / `launchPermission` of `ModifySnapshotAttribute` and
/// `ModifyImageAttribute`: `{"add": {"items": [...]}, "remove": {...}}`.
#[derive(Debug, Default, Deserialize)]
pub struct PermissionChange {
    #[serde(default)]
    pub add: Items<Permission>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    pub group: Option<String>,
    pub user_id: Option<Scalar>,
    pub organization_arn: Option<String>,
    #[serde(rename = "organizationalUnitArn")]
    pub ou_arn: Option<String>,
}

/// Everyone a change adds, sorted out.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Grantees {
    /// Group `all` (or `valuesToAdd: ["all"]`): anyone with an AWS account.
    pub public: bool,
    /// Other accounts, less the event's own and the trusted ones.
    pub accounts: Vec<String>,
    /// Organizations and organizational units (AMIs only).
    pub organizations: Vec<String>,
}

impl Grantees {
    /// From an EC2 permission change.
    pub fn of_permissions(change: &PermissionChange, ev: &Event, trusted: &std::collections::BTreeSet<String>) -> Self {
        let mut g = Grantees::default();
        let mut accounts = Vec::new();
        for p in &change.add.items {
            g.public |= p.group.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("all"));
            accounts.extend(p.user_id.as_ref().map(|s| s.0.clone()));
            g.organizations.extend(p.organization_arn.iter().chain(&p.ou_arn).cloned());
        }
        g.accounts = outside(accounts, ev, trusted);
        g
    }

    /// From RDS `valuesToAdd` (account ids, or `all`).
    pub fn of_values(values: &[String], ev: &Event, trusted: &std::collections::BTreeSet<String>) -> Self {
        let public = values.iter().any(|v| v.trim().eq_ignore_ascii_case("all"));
        let accounts = values.iter().filter(|v| !v.trim().eq_ignore_ascii_case("all")).cloned().collect();
        Grantees { public, accounts: outside(accounts, ev, trusted), organizations: Vec::new() }
    }
}

/// Whether `account` is another account: neither the one the event belongs to nor a trusted one.
pub fn other_account(account: &str, own: &str, trusted: &std::collections::BTreeSet<String>) -> bool {
    account != own && !trusted.contains(account)
}

fn outside(mut accounts: Vec<String>, ev: &Event, trusted: &std::collections::BTreeSet<String>) -> Vec<String> {
    accounts.retain(|a| other_account(a, &ev.account_id, trusted));
    accounts.sort();
    accounts.dedup();
    accounts
}

/// `ModifySnapshotAttribute`'s request.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotPermissionRequest {
    pub snapshot_id: Option<String>,
    #[serde(default)]
    pub create_volume_permission: PermissionChange,
}

/// `ModifyImageAttribute`'s request.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImagePermissionRequest {
    pub image_id: Option<String>,
    #[serde(default)]
    pub launch_permission: PermissionChange,
}

/// `ModifyDBSnapshotAttribute` / `ModifyDBClusterSnapshotAttribute`'s request.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DbSnapshotAttributeRequest {
    pub attribute_name: Option<String>,
    #[serde(rename = "dBSnapshotIdentifier")]
    pub db_snapshot: Option<String>,
    #[serde(rename = "dBClusterSnapshotIdentifier")]
    pub db_cluster_snapshot: Option<String>,
    #[serde(default)]
    pub values_to_add: Vec<String>,
}

impl DbSnapshotAttributeRequest {
    /// Who the call adds to the `restore` attribute (nobody for any other attribute).
    pub fn grantees(&self, ev: &Event, trusted: &std::collections::BTreeSet<String>) -> Grantees {
        if !self.attribute_name.as_deref().is_some_and(|a| a.eq_ignore_ascii_case("restore")) {
            return Grantees::default();
        }
        Grantees::of_values(&self.values_to_add, ev, trusted)
    }

    /// True for a DB cluster snapshot (`dBClusterSnapshotIdentifier`), false for a DB instance's.
    pub fn is_cluster_snapshot(&self) -> bool {
        self.db_snapshot.is_none() && self.db_cluster_snapshot.is_some()
    }

    /// What kind of snapshot, for people.
    pub fn kind_label(&self) -> &'static str {
        if self.is_cluster_snapshot() { "DB cluster snapshot" } else { "DB instance snapshot" }
    }

    /// The CLI command that takes `values` (`all`, or accounts) back out of the restore
    /// attribute, for this kind of snapshot. The identifiers are left as `…` for the reader to
    /// fill in: a command is never built from the record's text.
    pub fn revoke_command(&self, values: &str) -> String {
        if self.is_cluster_snapshot() {
            format!(
                "aws rds modify-db-cluster-snapshot-attribute --db-cluster-snapshot-identifier … --attribute-name restore --values-to-remove {values}"
            )
        } else {
            format!(
                "aws rds modify-db-snapshot-attribute --db-snapshot-identifier … --attribute-name restore --values-to-remove {values}"
            )
        }
    }

    /// The snapshot: `("rds-snapshot", id)` or `("rds-cluster-snapshot", id)`.
    pub fn resource(&self) -> crate::detail::Resource {
        match (&self.db_snapshot, &self.db_cluster_snapshot) {
            (Some(id), _) => crate::detail::Resource::new(crate::detail::ResourceKind::RDS_SNAPSHOT, id),
            (None, Some(id)) => crate::detail::Resource::new(crate::detail::ResourceKind::RDS_CLUSTER_SNAPSHOT, id),
            (None, None) => crate::detail::Resource::new(crate::detail::ResourceKind::RDS_SNAPSHOT, ""),
        }
    }
}
