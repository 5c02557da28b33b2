use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Security Hub findings bulk-suppressed by hand: `BatchUpdateFindings` that sets
    /// `Workflow.Status` to `SUPPRESSED` on at least `bulk_suppression_findings` findings at
    /// once (default 5; the request names findings by id, not by severity, so the rule counts
    /// them). Calls by AWS services (automation rules) are skipped; setting `NOTIFIED`,
    /// `RESOLVED` or `NEW`, or suppressing fewer findings (a reviewed false positive), stays
    /// quiet.
    /// ## Why it matters
    /// Suppressed findings leave every dashboard and notification; mass suppression is how an
    /// intruder with Security Hub access hides the findings their own activity raised.
    /// ## How to fix
    /// List what was suppressed (`aws securityhub get-findings --region <region> --filters '{"WorkflowStatus":[{"Value":"SUPPRESSED","Comparison":"EQUALS"}]}'`),
    /// set back to `NEW` any finding that was not a reviewed false positive, and allow
    /// `securityhub:BatchUpdateFindings` only to the security team.
    /// ## References
    /// - https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindings.html
    /// - https://docs.aws.amazon.com/securityhub/latest/userguide/finding-workflow-status.html
    /// - https://attack.mitre.org/techniques/T1562/001/
    FINDINGS_SUPPRESSED {
        id: "securityhub-findings-suppressed",
        title: "Security Hub findings bulk-suppressed",
        severity: Severity::Medium,
        source: "securityhub.amazonaws.com",
        events: &["BatchUpdateFindings"],
        attack: Some("T1562.001"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    #[serde(alias = "findingIdentifiers", default)]
    finding_identifiers: OneOrMany<Identifier>,
    #[serde(alias = "workflow")]
    workflow: Option<Workflow>,
    #[serde(alias = "note")]
    note: Option<Note>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Identifier {
    #[serde(alias = "id")]
    id: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Workflow {
    #[serde(alias = "status")]
    status: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Note {
    #[serde(alias = "text")]
    text: Lenient<String>,
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    if !req.workflow.and_then(|w| w.status).is_some_and(|s| s.eq_ignore_ascii_case("SUPPRESSED")) {
        return Ok(Vec::new());
    }
    let count = req.finding_identifiers.iter().count();
    if count < cx.config.bulk_suppression_findings {
        return Ok(Vec::new());
    }
    let first = req.finding_identifiers.iter().find_map(|f| f.id.clone()).unwrap_or_default();
    let mut detection = Detection::new(
        format!("{count} Security Hub findings were suppressed at once by {}", ev.user_identity.name()),
        Resource::new(ResourceKind::SECURITYHUB_FINDING, &first),
    )
    .field("Findings suppressed", count.to_string())
    .field("First finding", &first);
    if let Some(text) = req.note.and_then(|n| n.text.into_inner()) {
        detection = detection.field("Note", text);
    }
    Ok(vec![detection])
}
