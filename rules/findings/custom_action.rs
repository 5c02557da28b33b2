use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// A finding someone sent from the Security Hub console with the stack's custom action
    /// ("Escalate to SOC"), whatever its product, type, severity or workflow state. A person
    /// asked for this alert, so triage's severity threshold does not apply (sample findings
    /// still stay quiet).
    /// ## Why it matters
    /// This is how an analyst looking at Security Hub hands a finding to the people on call: the
    /// finding may look low to the product and still be the one that matters (a known host, a
    /// pattern across findings, a tip from outside).
    /// ## How to fix
    /// Triage it now: read the finding's description and what was seen, contain the resource if
    /// it is compromised (isolate an instance, deactivate a key, block public access on a
    /// bucket), and record the outcome in the finding's workflow (NOTIFIED, then RESOLVED or
    /// SUPPRESSED with a note) so the analyst who escalated it sees the answer.
    /// ## References
    /// - https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-custom-actions.html
    /// - https://docs.aws.amazon.com/securityhub/latest/userguide/finding-workflow-status.html
    CUSTOM_ACTION {
        id: "securityhub-custom-action",
        title: "Finding escalated from Security Hub",
        severity: Severity::High,
        source: "",
        types: &[],
        custom_action: true,
        finding_check: Some(check),
    }
}

fn check(f: &Finding, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let mut out = detect_finding(f, cx)?;
    let action = f.custom_action.clone().unwrap_or_default();
    for d in &mut out {
        d.summary = format!("{action}: {}", d.summary);
        d.fields.insert(0, ("Escalated with".to_string(), action.clone()));
    }
    Ok(out)
}
