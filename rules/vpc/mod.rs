//! vpc rules.

pub mod internet_gateway_attached;
pub mod nacl_entry_open_to_world;
pub mod network_changed;
pub mod peering_connection_created;
pub mod route_to_internet_gateway;
