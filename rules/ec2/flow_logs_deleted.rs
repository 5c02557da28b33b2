use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful `DeleteFlowLogs` call, with one flow log id or several. EC2 writes the ids
    /// under `requestParameters.DeleteFlowLogsRequest.FlowLogId`, as one `{"content", "tag"}`
    /// object for a single id and as a list of them for several; a plain string or list of
    /// strings (as other pipelines reshape it) is read too. A denied call changed nothing and
    /// stays quiet, as for every rule that does not opt in to failed calls.
    /// ## Why it matters
    /// VPC flow logs are the network record of who talked to what: deleting them before data
    /// theft or lateral movement hides the traffic (Stratus Red Team's "remove VPC flow logs").
    /// Flow logs are rarely deleted in normal operation outside infrastructure teardown.
    /// ## How to fix
    /// Recreate the flow logs on the VPCs, subnets or interfaces they covered
    /// (`aws ec2 create-flow-logs --region <region> --resource-type VPC --resource-ids <vpc-id> --traffic-type ALL --log-destination-type s3 --log-destination <bucket-arn>`),
    /// find out who deleted them, and deny `ec2:DeleteFlowLogs` with an SCP outside your network
    /// tooling.
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteFlowLogs.html
    /// - https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html
    /// - https://stratus-red-team.cloud/attack-techniques/AWS/aws.defense-evasion.vpc-remove-flow-logs/
    /// - https://attack.mitre.org/techniques/T1562/008/
    FLOW_LOGS_DELETED {
        id: "ec2-flow-logs-deleted",
        title: "VPC flow logs deleted",
        severity: Severity::High,
        source: "ec2.amazonaws.com",
        events: &["DeleteFlowLogs"],
        attack: Some("T1562.008"),
    }
}

#[derive(Default, Deserialize)]
struct Request {
    #[serde(rename = "DeleteFlowLogsRequest", default)]
    wrapped: Wrapped,
    #[serde(rename = "flowLogIds", alias = "FlowLogIds", default)]
    plain: OneOrMany<FlowLogId>,
}

#[derive(Default, Deserialize)]
struct Wrapped {
    #[serde(rename = "FlowLogId", default)]
    ids: OneOrMany<FlowLogId>,
}

/// `{"content": "fl-…", "tag": 1}` as EC2 writes it, or the bare id.
#[derive(Deserialize)]
#[serde(untagged)]
enum FlowLogId {
    Tagged { content: String },
    Plain(String),
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let ids: Vec<&str> = req
        .wrapped
        .ids
        .iter()
        .chain(req.plain.iter())
        .map(|id| match id {
            FlowLogId::Tagged { content } => content.as_str(),
            FlowLogId::Plain(s) => s.as_str(),
        })
        .collect();
    let list = ids.join(", ");
    let first = ids.first().copied().unwrap_or_default();
    let what = if ids.len() > 1 { format!("{} VPC flow logs were", ids.len()) } else { "VPC flow log was".into() };
    Ok(vec![
        Detection::new(format!("{what} deleted: {list}"), Resource::new(ResourceKind::FLOW_LOG, first))
            .field("Flow logs", list),
    ])
}
