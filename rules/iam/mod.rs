//! iam rules.

pub mod access_key_created_for_other_user;
pub mod access_key_deleted;
pub mod guardrail_removed;
pub mod identity_provider_changed;
pub mod inline_policy_privilege_escalation;
pub mod login_profile_set_for_other_user;
pub mod password_policy_weakened;
pub mod policy_version_escalation;
pub mod privileged_managed_policy_attached;
pub mod role_trusts_external_principal;
pub mod root_access_key_created;
pub mod user_created;
pub mod user_deleted;
