//! RDS: DB and cluster snapshots.

pub mod publicly_accessible;
pub mod snapshot_made_public;
pub mod snapshot_shared;
