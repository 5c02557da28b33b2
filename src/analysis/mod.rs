//! The shared analysis rules call: policy documents ([`policy`]), IAM actions and privilege
//! escalation ([`iam_actions`]), ports and CIDRs ([`network`]) and sharing with other accounts
//! ([`share`]). Pure functions over request data; no AWS calls, no knowledge of the transport.

pub mod cross_account;
pub mod iam_actions;
pub mod names;
pub mod network;
pub mod policy;
pub mod requests;
pub mod share;
