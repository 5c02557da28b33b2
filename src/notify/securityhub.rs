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

/// The ASFF finding an alert made from a CloudTrail record becomes in Security Hub, imported into
/// the account it happened in (`BatchImportFindings`, as the account's `default` product): the
/// Id `trailwarden/<rule>/<eventID>` is stable, so an alert imported twice updates one finding.
/// Alerts made from findings are not imported again: they are in Security Hub already.
pub fn asff_finding(
    d: &crate::detail::EventDetail,
    now: &str,
) -> Option<aws_sdk_securityhub::types::AwsSecurityFinding> {
    use aws_sdk_securityhub::types::{
        AwsSecurityFinding, Recommendation, Remediation, Resource, Severity as AsffSeverity, SeverityLabel,
    };
    if !matches!(d.origin, crate::detail::Origin::CloudTrail) {
        return None;
    }
    let label = match d.severity {
        crate::detail::Severity::Info => SeverityLabel::Informational,
        crate::detail::Severity::Low => SeverityLabel::Low,
        crate::detail::Severity::Medium => SeverityLabel::Medium,
        crate::detail::Severity::High => SeverityLabel::High,
        crate::detail::Severity::Critical => SeverityLabel::Critical,
    };
    // Security Hub's limits: a description of 1,024 characters, a recommendation of 512.
    let cut = |s: &str, n: usize| crate::text::bounded(&crate::text::one_line(s), n);
    let mut recommendation = Recommendation::builder().text(cut(&d.remediation, 512));
    if let Some(url) = d.references.first() {
        recommendation = recommendation.url(url);
    }
    let resource = Resource::builder()
        .r#type("Other")
        .id(d.resource.arn.clone().unwrap_or_else(|| d.resource.id.clone()))
        .region(&d.region)
        .details(
            aws_sdk_securityhub::types::ResourceDetails::builder()
                .other("kind", cut(&d.resource.kind, 128))
                .other("id", cut(&d.resource.id, 1024))
                .build(),
        )
        .build();
    Some(
        AwsSecurityFinding::builder()
            .schema_version("2018-10-08")
            .id(format!("trailwarden/{}/{}", d.rule_id, d.event_id))
            .product_arn(format!("arn:aws:securityhub:{}:{}:product/{}/default", d.region, d.account_id, d.account_id))
            .generator_id(format!("trailwarden/{}", d.rule_id))
            .aws_account_id(&d.account_id)
            .types("TTPs")
            .created_at(if d.event_time.is_empty() { now } else { &d.event_time })
            .updated_at(now)
            .severity(AsffSeverity::builder().label(label).build())
            .title(cut(&d.title, 256))
            .description(cut(&d.summary, 1024))
            .resources(resource)
            .remediation(Remediation::builder().recommendation(recommendation.build()).build())
            .product_fields("trailwarden/event_name", cut(&d.event_name, 1024))
            .product_fields("trailwarden/actor", cut(&d.actor.name, 1024))
            .build(),
    )
}

/// Imports alerts as ASFF findings (`BatchImportFindings`, at most 100 a request): a channel,
/// so that Security Hub users see trailwarden's detections beside GuardDuty's.
pub struct SecurityHubImporter {
    client: Client,
}

impl SecurityHubImporter {
    pub fn new(client: Client) -> Self {
        SecurityHubImporter { client }
    }

    async fn import(&self, alerts: &[crate::detail::EventDetail]) -> Result<String, super::NotifyError> {
        let now = jiff::Timestamp::now().round(jiff::Unit::Second).unwrap_or(jiff::Timestamp::now()).to_string();
        let findings: Vec<_> = alerts.iter().filter_map(|d| asff_finding(d, &now)).collect();
        let mut imported = 0;
        for chunk in findings.chunks(MAX_FINDINGS_PER_REQUEST) {
            let out =
                self.client.batch_import_findings().set_findings(Some(chunk.to_vec())).send().await.map_err(|e| {
                    super::NotifyError::Channels(format!(
                        "BatchImportFindings: {}",
                        crate::notify::ses::sdk_error_text(&e)
                    ))
                })?;
            if let Some(failed) = out.failed_findings().first() {
                return Err(super::NotifyError::Channels(format!(
                    "BatchImportFindings: {} findings failed, the first {}: {} {}",
                    out.failed_count().unwrap_or(1),
                    crate::text::one_line(failed.id().unwrap_or_default()),
                    crate::text::one_line(failed.error_code().unwrap_or_default()),
                    crate::text::one_line(failed.error_message().unwrap_or_default())
                )));
            }
            imported += chunk.len();
        }
        Ok(format!("imported {imported} findings"))
    }
}

impl super::Notifier for SecurityHubImporter {
    fn name(&self) -> &str {
        "securityhub"
    }

    fn notify<'a>(&'a self, batch: super::Batch<'a>) -> BoxFuture<'a, Result<String, super::NotifyError>> {
        Box::pin(self.import(batch.alerts))
    }
}
