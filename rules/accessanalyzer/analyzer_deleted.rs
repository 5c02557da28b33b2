use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful IAM Access Analyzer `DeleteAnalyzer`: an external-access or unused-access
    /// analyzer removed, with its findings. Archive rules are not watched: they only hide
    /// findings the analyzer keeps.
    /// ## Why it matters
    /// The analyzer is what reports buckets, keys, roles and queues shared outside the account or
    /// organization; deleting it before opening resources to another account removes the one
    /// control that would have flagged the share.
    /// ## How to fix
    /// Recreate it (`aws accessanalyzer create-analyzer --region <region> --analyzer-name <access-analyzer> --type ORGANIZATION`),
    /// review the findings it raises on the first scan, and deny `access-analyzer:DeleteAnalyzer`
    /// with an SCP.
    /// ## References
    /// - https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_DeleteAnalyzer.html
    /// - https://docs.aws.amazon.com/IAM/latest/UserGuide/what-is-access-analyzer.html
    /// - https://attack.mitre.org/techniques/T1562/001/
    ANALYZER_DELETED {
        id: "accessanalyzer-analyzer-deleted",
        title: "IAM Access Analyzer deleted",
        severity: Severity::Medium,
        source: "access-analyzer.amazonaws.com",
        events: &["DeleteAnalyzer"],
        attack: Some("T1562.001"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    analyzer_name: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let name = ev.request::<Request>()?.analyzer_name.unwrap_or_default();
    Ok(vec![
        Detection::new(
            format!("IAM Access Analyzer {name} was deleted in {}", ev.aws_region),
            Resource::new(ResourceKind::ACCESS_ANALYZER, &name),
        )
        .field("Analyzer", &name)
        .field("Region", ev.aws_region.as_ref()),
    ])
}
