use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful `DeleteTrail` call.
    /// ## Why it matters
    /// Deleting the trail ends the audit record of everything that follows, and it is one of the
    /// first things an intruder does. This detector itself reads CloudTrail: a deleted trail can
    /// blind it too (EventBridge still sees management events, but the S3 record is gone).
    /// ## How to fix
    /// Recreate the trail (multi-region, with log file validation) and find out who deleted it
    /// and what they did before and after. Protect trails with an SCP denying
    /// `cloudtrail:DeleteTrail`/`StopLogging`/`UpdateTrail`/`PutEventSelectors`, or use an
    /// organization trail that member accounts cannot touch.
    /// ## References
    /// - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DeleteTrail.html
    /// - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html
    /// - https://attack.mitre.org/techniques/T1562/008/
    TRAIL_DELETED {
        id: "cloudtrail-trail-deleted",
        title: "CloudTrail trail deleted",
        severity: Severity::Critical,
        source: "cloudtrail.amazonaws.com",
        events: &["DeleteTrail"],
        attack: Some("T1562.008"),
    }
}

#[derive(Default, Deserialize)]
struct Request {
    name: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let trail = ev.request::<Request>()?.name.unwrap_or_default();
    Ok(vec![
        Detection::new(format!("CloudTrail trail {trail} was deleted"), Resource::new(ResourceKind::TRAIL, &trail))
            .field("Trail", &trail),
    ])
}
