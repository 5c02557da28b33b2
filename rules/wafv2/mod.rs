//! wafv2 rules.

pub mod web_acl_disassociated;
