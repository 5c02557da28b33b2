use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Systems Manager used by a person to run code on instances: `SendCommand` (a document
    /// such as `AWS-RunShellScript` sent to instances or tag targets) and `StartSession` (an
    /// interactive Session Manager shell). The rule is `people_only`: calls made by AWS services
    /// (State Manager associations, maintenance windows, a service acting for a principal) are
    /// skipped, so routine automation stays quiet. Shell-running documents
    /// (`AWS-RunShellScript`, `AWS-RunPowerShellScript`, `AWS-StartInteractiveCommand`) are high,
    /// other documents and plain sessions medium.
    /// ## Why it matters
    /// SSM is remote code execution as root on every managed instance, without SSH keys or open
    /// ports: attackers with stolen credentials use it to read instance-role credentials and
    /// move laterally (Stratus Red Team's "execute commands via SSM SendCommand", "start SSM
    /// session", "steal EC2 instance credentials").
    /// ## How to fix
    /// Read what ran (`aws ssm list-command-invocations --region <region> --command-id <command-id> --details`,
    /// or the session's log in S3 or CloudWatch Logs). If unexpected, isolate the instances,
    /// rotate their role credentials, and limit `ssm:SendCommand`/`ssm:StartSession` to named
    /// documents and tagged instances.
    /// ## References
    /// - https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_SendCommand.html
    /// - https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_StartSession.html
    /// - https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-logging.html
    /// - https://stratus-red-team.cloud/attack-techniques/AWS/aws.execution.ssm-send-command/
    /// - https://attack.mitre.org/techniques/T1651/
    COMMAND_OR_SESSION {
        id: "ssm-command-or-session",
        title: "Command sent or session started on instances with Systems Manager",
        severity: Severity::Medium,
        source: "ssm.amazonaws.com",
        events: &["SendCommand", "StartSession"],
        attack: Some("T1651"),
        people_only: true,
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    document_name: Option<String>,
    #[serde(default)]
    instance_ids: OneOrMany<String>,
    #[serde(default)]
    targets: OneOrMany<Target>,
    target: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Target {
    #[serde(alias = "key")]
    key: Option<String>,
    #[serde(alias = "values", default)]
    values: OneOrMany<String>,
}

#[derive(Default, Deserialize)]
struct Response {
    command: Option<Command>,
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Command {
    command_id: Option<String>,
}

const SHELLS: [&str; 3] = ["AWS-RunShellScript", "AWS-RunPowerShellScript", "AWS-StartInteractiveCommand"];

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let resp = ev.response_or_default::<Response>();
    if ev.event_name == "StartSession" {
        let instance = req.target.unwrap_or_default();
        let mut detection = Detection::new(
            format!("Session Manager session started on {instance} by {}", ev.user_identity.name()),
            Resource::new(ResourceKind::EC2_INSTANCE, &instance),
        )
        .field("Target", &instance);
        if let Some(doc) = &req.document_name {
            detection = detection.field("Document", doc);
            if SHELLS.contains(&doc.as_str()) {
                detection = detection.severity(Severity::High);
            }
        }
        if let Some(id) = resp.session_id {
            detection = detection.field("Session", id);
        }
        return Ok(vec![detection]);
    }
    let doc = req.document_name.unwrap_or_default();
    let instances: Vec<String> = req.instance_ids.iter().cloned().collect();
    let targets: Vec<String> = req
        .targets
        .iter()
        .map(|t| {
            format!(
                "{}={}",
                t.key.as_deref().unwrap_or_default(),
                t.values.iter().cloned().collect::<Vec<_>>().join(",")
            )
        })
        .collect();
    let on = if instances.is_empty() { targets.join("; ") } else { instances.join(", ") };
    let command_id = resp.command.and_then(|c| c.command_id);
    let resource = match (instances.first(), &command_id) {
        (Some(first), _) => Resource::new(ResourceKind::EC2_INSTANCE, first),
        (None, Some(id)) => Resource::new(ResourceKind::SSM_COMMAND, id),
        (None, None) => Resource::new(ResourceKind::SSM_COMMAND, &on),
    };
    let mut detection =
        Detection::new(format!("SSM command {doc} sent to {on} by {}", ev.user_identity.name()), resource)
            .field("Document", &doc)
            .field("Instances", if instances.is_empty() { "(by target)".to_string() } else { instances.join(", ") });
    if !targets.is_empty() {
        detection = detection.field("Targets", targets.join("; "));
    }
    if SHELLS.contains(&doc.as_str()) {
        detection = detection.severity(Severity::High);
    }
    if let Some(id) = command_id {
        detection = detection.field("Command", &id).param("command-id", id);
    }
    Ok(vec![detection])
}
