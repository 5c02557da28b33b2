//! EC2: security groups, EBS snapshots, AMIs.

pub mod ami_made_public;
pub mod ami_shared;
pub mod instance_exposed_by_group_change;
pub mod instance_launched_public;
pub mod sg_created_open_to_world;
pub mod sg_egress_open_to_world;
pub mod sg_ingress_open_to_world;
pub mod snapshot_made_public;
pub mod snapshot_shared;
