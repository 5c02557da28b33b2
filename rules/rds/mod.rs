//! RDS: DB and cluster snapshots.

pub mod snapshot_made_public;
pub mod snapshot_shared;
