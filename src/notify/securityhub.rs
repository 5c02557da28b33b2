//! Back to Security Hub: after an alert about ASFF findings is sent, their workflow is set to
//! `NOTIFIED` with a note naming the alert (`BatchUpdateFindings`, when
//! `findings_update_workflow` is on).
//!
//! Security Hub answers the update with another "Findings - Imported" event for each finding;
//! the once-per-finding ledger ([`crate::dedupe`]) keeps that from alerting again, and the
//! stack's rule only routes `NEW` findings anyway.
//!
//! moto has no `BatchUpdateFindings`: the tests check the request [`notified_requests`] builds
//! (ids, product ARNs, status, note, chunks of 100), and the fault layer's answers.

use aws_sdk_securityhub::Client;
use aws_sdk_securityhub::operation::batch_update_findings::builders::BatchUpdateFindingsFluentBuilder;
use aws_sdk_securityhub::types::{AwsSecurityFindingIdentifier, NoteUpdate, WorkflowStatus, WorkflowUpdate};

use super::{BoxFuture, FindingRef, FindingsWorkflow};

/// Security Hub takes at most 100 findings per `BatchUpdateFindings`.
pub const MAX_FINDINGS_PER_REQUEST: usize = 100;

/// Security Hub's limit on a note's text.
pub const MAX_NOTE_CHARS: usize = 512;

/// Who the note says updated it.
pub const UPDATED_BY: &str = "trailwarden";

/// The `BatchUpdateFindings` requests that set `findings` to `NOTIFIED` with `note` (cut to
/// [`MAX_NOTE_CHARS`]), at most [`MAX_FINDINGS_PER_REQUEST`] findings each.
pub fn notified_requests(
    client: &Client,
    findings: &[FindingRef],
    note: &str,
) -> Vec<BatchUpdateFindingsFluentBuilder> {
    let text: String = crate::text::one_line(note).chars().take(MAX_NOTE_CHARS).collect();
    findings
        .chunks(MAX_FINDINGS_PER_REQUEST)
        .map(|chunk| {
            let ids = chunk
                .iter()
                .map(|f| AwsSecurityFindingIdentifier::builder().id(&f.id).product_arn(&f.product_arn).build());
            client
                .batch_update_findings()
                .set_finding_identifiers(Some(ids.collect()))
                .workflow(WorkflowUpdate::builder().status(WorkflowStatus::Notified).build())
                .note(NoteUpdate::builder().text(&text).updated_by(UPDATED_BY).build())
        })
        .collect()
}

/// Sets findings to `NOTIFIED` through Security Hub.
pub struct SecurityHubWorkflow {
    client: Client,
}

impl SecurityHubWorkflow {
    pub fn new(client: Client) -> Self {
        SecurityHubWorkflow { client }
    }

    async fn update(&self, findings: &[FindingRef], note: &str) -> Result<(), String> {
        let mut problems = Vec::new();
        for request in notified_requests(&self.client, findings, note) {
            match request.send().await {
                Ok(out) => {
                    for u in out.unprocessed_findings() {
                        let id = u.finding_identifier().and_then(|f| f.id()).unwrap_or("(unknown)");
                        problems.push(format!(
                            "{}: {} {}",
                            crate::text::one_line(id),
                            crate::text::one_line(u.error_code().unwrap_or_default()),
                            crate::text::one_line(u.error_message().unwrap_or_default())
                        ));
                    }
                }
                Err(e) => problems.push(format!("BatchUpdateFindings: {}", crate::notify::ses::sdk_error_text(&e))),
            }
        }
        match problems.is_empty() {
            true => Ok(()),
            false => Err(problems.join("; ")),
        }
    }
}

impl FindingsWorkflow for SecurityHubWorkflow {
    fn notified<'a>(&'a self, findings: &'a [FindingRef], note: &'a str) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(self.update(findings, note))
    }
}
