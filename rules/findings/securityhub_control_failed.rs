use crate::prelude::*;

declare_finding_rule! {
    /// ## What it detects
    /// A Security Hub security control (`EC2.19`, `S3.8`, `IAM.6`, ...) checked a resource and
    /// failed it, at or above the findings threshold (a failed CRITICAL or HIGH control by default
    /// in practice; MEDIUM too at the default threshold). Passed controls stay quiet.
    /// ## Why it matters
    /// A failed control is a known misconfiguration of a known resource: the kind attackers scan
    /// for first.
    /// ## How to fix
    /// Open the control's remediation page (Security Hub's control reference, linked from the
    /// finding) and fix the resource, or suppress the finding in Security Hub with a reason if the
    /// exception is accepted.
    /// ## References
    /// - https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-controls-reference.html
    /// - https://docs.aws.amazon.com/securityhub/latest/userguide/finding-workflow-status.html
    CONTROL_FAILED {
        id: "securityhub-control-failed",
        title: "Security control failed (Security Hub)",
        severity: Severity::Medium,
        source: "Security Hub",
        types: &[],
        finding_check: Some(check),
    }
}

fn check(f: &Finding, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    if !f.compliance_status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("FAILED")) {
        return Ok(Vec::new());
    }
    let mut out = detect_finding(f, cx)?;
    let control = f.control_id.as_deref().unwrap_or("(unknown control)");
    for d in &mut out {
        d.summary = format!(
            "Security Hub control {control} failed: {}",
            if f.title.is_empty() { &f.finding_type } else { &f.title }
        );
    }
    Ok(out)
}
