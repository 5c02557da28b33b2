//! Request shapes that more than one rule reads: a resource's "public" rule and its
//! "other account" twin look at the same call.

use serde::Deserialize;

use crate::analysis::policy::PolicyText;
use crate::cloudtrail::event::Scalar;

/// SQS `SetQueueAttributes`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueAttributesRequest {
    pub queue_url: Option<String>,
    #[serde(default)]
    pub attributes: QueueAttributes,
}

#[derive(Debug, Default, Deserialize)]
pub struct QueueAttributes {
    #[serde(rename = "Policy")]
    pub policy: Option<PolicyText>,
}

impl QueueAttributesRequest {
    /// The queue's name: the last part of its URL.
    pub fn queue_name(&self) -> String {
        let url = self.queue_url.as_deref().unwrap_or_default();
        url.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_string()
    }
}

/// SNS `SetTopicAttributes`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicAttributesRequest {
    pub topic_arn: Option<String>,
    pub attribute_name: Option<String>,
    pub attribute_value: Option<PolicyText>,
}

impl TopicAttributesRequest {
    /// Whether the call sets the topic's `Policy` attribute.
    pub fn sets_policy(&self) -> bool {
        self.attribute_name.as_deref().is_some_and(|n| n.trim().eq_ignore_ascii_case("Policy"))
    }
}

/// Lambda `AddPermission` (`AddPermission20150331v2`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddPermissionRequest {
    pub function_name: Option<String>,
    pub statement_id: Option<String>,
    pub action: Option<String>,
    pub principal: Option<String>,
    pub source_arn: Option<String>,
    pub source_account: Option<Scalar>,
    #[serde(rename = "principalOrgID")]
    pub principal_org_id: Option<String>,
    pub function_url_auth_type: Option<String>,
    pub qualifier: Option<String>,
}
