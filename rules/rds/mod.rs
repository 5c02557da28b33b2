//! RDS: databases, DB and cluster snapshots.

pub mod activity_stream_stopped;
pub mod database_weakened;
pub mod publicly_accessible;
pub mod snapshot_copied_to_other_account;
pub mod snapshot_exported;
pub mod snapshot_made_public;
pub mod snapshot_shared;
