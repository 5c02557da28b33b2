use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A SageMaker notebook instance lifecycle configuration created or updated
    /// (`CreateNotebookInstanceLifecycleConfig`, `UpdateNotebookInstanceLifecycleConfig`): a
    /// shell script run as root when a notebook instance is created (`OnCreate`) or every time it
    /// starts (`OnStart`). CloudTrail hides the script; the alert names the configuration and
    /// which hooks it sets.
    /// ## Why it matters
    /// Lifecycle scripts run with the notebook's execution role on every start: an attacker who
    /// can write one gets code execution and persistence on the notebooks that use it, and their
    /// role's credentials.
    /// ## How to fix
    /// Read the script (`aws sagemaker describe-notebook-instance-lifecycle-config --region <region> --notebook-instance-lifecycle-config-name <lifecycle-config>`),
    /// restore your own, and restrict `sagemaker:CreateNotebookInstanceLifecycleConfig` and
    /// `UpdateNotebookInstanceLifecycleConfig` to the platform team.
    /// ## References
    /// - https://docs.aws.amazon.com/sagemaker/latest/dg/notebook-lifecycle-config.html
    /// - https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateNotebookInstanceLifecycleConfig.html
    /// - https://attack.mitre.org/techniques/T1546/
    LIFECYCLE_CONFIG_CHANGED {
        id: "sagemaker-lifecycle-config-changed",
        title: "SageMaker notebook lifecycle script created or changed",
        severity: Severity::Medium,
        source: "sagemaker.amazonaws.com",
        events: &["CreateNotebookInstanceLifecycleConfig", "UpdateNotebookInstanceLifecycleConfig"],
        attack: Some("T1546"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    notebook_instance_lifecycle_config_name: Option<String>,
    on_create: Option<serde::de::IgnoredAny>,
    on_start: Option<serde::de::IgnoredAny>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let name = req.notebook_instance_lifecycle_config_name.unwrap_or_default();
    let hooks: Vec<&str> = [(req.on_create.is_some(), "OnCreate"), (req.on_start.is_some(), "OnStart")]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, h)| h)
        .collect();
    let verb = if ev.event_name.starts_with("Create") { "created" } else { "updated" };
    Ok(vec![
        Detection::new(
            format!("SageMaker lifecycle configuration {name} was {verb}"),
            Resource::new(ResourceKind::SAGEMAKER_LIFECYCLE_CONFIG, &name),
        )
        .field("Configuration", &name)
        .field("Scripts", if hooks.is_empty() { "none".to_string() } else { hooks.join(", ") }),
    ])
}
