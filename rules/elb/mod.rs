//! Elastic Load Balancing (classic and v2).

pub mod internet_facing_load_balancer;
