use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// `PutEventSelectors` / `PutAdvancedEventSelectors` calls after which the trail no longer
    /// records management write events: every basic selector has `includeManagementEvents:
    /// false` or `readWriteType: ReadOnly`, or no advanced selector selects
    /// `eventCategory = Management` for write events, or the selector list is empty. Selectors
    /// that still record management events but exclude some event sources fire at medium.
    /// ## Why it matters
    /// Management events are the audit record of every configuration change: IAM, security
    /// groups, keys. Turning them off blinds the trail while it keeps "logging" (data events
    /// only), which is subtler than stopping it.
    /// ## How to fix
    /// Put back a selector recording all management events
    /// (`aws cloudtrail put-event-selectors --region <region> --trail-name <trail> --event-selectors
    /// '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'`) and find out who changed it.
    /// Deny `cloudtrail:PutEventSelectors` with an SCP outside your logging pipeline.
    /// ## References
    /// - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html
    /// - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PutEventSelectors.html
    /// - https://attack.mitre.org/techniques/T1562/008/
    MANAGEMENT_EVENTS_DISABLED {
        id: "cloudtrail-management-events-disabled",
        title: "CloudTrail stopped recording management events",
        severity: Severity::High,
        source: "cloudtrail.amazonaws.com",
        events: &["PutEventSelectors", "PutAdvancedEventSelectors"],
        attack: Some("T1562.008"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    trail_name: Option<String>,
    event_selectors: Option<Vec<Selector>>,
    advanced_event_selectors: Option<Vec<AdvancedSelector>>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Selector {
    read_write_type: Option<String>,
    include_management_events: Option<bool>,
    #[serde(default)]
    exclude_management_event_sources: Vec<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdvancedSelector {
    #[serde(default)]
    field_selectors: Vec<FieldSelector>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FieldSelector {
    field: String,
    #[serde(default)]
    equals: Vec<String>,
    #[serde(default)]
    not_equals: Vec<String>,
}

/// What the new selectors record of management events.
enum Coverage {
    /// Reads and writes (possibly minus some event sources, listed).
    Recorded(Vec<String>),
    /// Not management write events.
    NoWrites(&'static str),
}

fn basic(selectors: &[Selector]) -> Coverage {
    let writes = |s: &&Selector| {
        s.include_management_events != Some(false)
            && !s.read_write_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("ReadOnly"))
    };
    match selectors.iter().find(writes) {
        Some(s) => Coverage::Recorded(s.exclude_management_event_sources.clone()),
        None if selectors.is_empty() => Coverage::NoWrites("the event selector list is empty"),
        None => Coverage::NoWrites("no event selector includes management write events"),
    }
}

fn advanced(selectors: &[AdvancedSelector]) -> Coverage {
    let field = |s: &AdvancedSelector, name: &str| {
        s.field_selectors
            .iter()
            .find(|f| f.field.eq_ignore_ascii_case(name))
            .map(|f| (f.equals.clone(), f.not_equals.clone()))
    };
    for s in selectors {
        let management = field(s, "eventCategory").is_some_and(|(eq, _)| eq.iter().any(|v| v == "Management"));
        let reads_only = field(s, "readOnly").is_some_and(|(eq, _)| eq.iter().all(|v| v == "true") && !eq.is_empty());
        if management && !reads_only {
            let excluded = field(s, "eventSource").map(|(eq, ne)| {
                if eq.is_empty() { ne } else { vec![format!("every source except {}", eq.join(", "))] }
            });
            return Coverage::Recorded(excluded.unwrap_or_default());
        }
    }
    Coverage::NoWrites("no advanced event selector records management write events")
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let coverage = match (&req.advanced_event_selectors, &req.event_selectors) {
        (Some(adv), _) if !adv.is_empty() => advanced(adv),
        (_, Some(basic_selectors)) => basic(basic_selectors),
        (Some(_), None) => Coverage::NoWrites("the advanced event selector list is empty"),
        // Neither list: the call cannot have succeeded with this request; nothing to judge.
        (None, None) => return Ok(Vec::new()),
    };
    let trail = req.trail_name.unwrap_or_default();
    let resource = Resource::new(ResourceKind::TRAIL, &trail);
    Ok(match coverage {
        Coverage::NoWrites(why) => vec![
            Detection::new(format!("CloudTrail trail {trail} stopped recording management events"), resource)
                .field("Trail", &trail)
                .field("New selectors", why),
        ],
        Coverage::Recorded(excluded) if !excluded.is_empty() => vec![
            Detection::new(
                format!("CloudTrail trail {trail} excluded {} from its management events", excluded.join(", ")),
                resource,
            )
            .field("Trail", &trail)
            .field("Excluded event sources", excluded.join(", "))
            .severity(Severity::Medium),
        ],
        Coverage::Recorded(_) => Vec::new(),
    })
}
