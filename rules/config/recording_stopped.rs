use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Successful AWS Config calls that stop the configuration history of a Region:
    /// `StopConfigurationRecorder` (recording paused), `DeleteConfigurationRecorder` (recorder
    /// gone) and `DeleteDeliveryChannel` (nothing is delivered to S3 or SNS any more). Every
    /// successful call fires; failed calls stay quiet. Config rules being deleted or switched
    /// off are `config-rule-removed`.
    /// ## Why it matters
    /// AWS Config is the record of what every resource looked like and when it changed, and the
    /// input of every Config rule and Security Hub control. Stopping it blinds compliance
    /// checks and leaves no configuration history for what an intruder changes next.
    /// ## How to fix
    /// Restart recording: `aws configservice start-configuration-recorder
    /// --configuration-recorder-name default`. If the recorder or delivery channel was deleted,
    /// recreate them first (`aws configservice put-configuration-recorder --region <region> --configuration-recorder name=<config-recorder>,roleARN=<role-arn>`, `aws
    /// configservice put-delivery-channel --delivery-channel file://channel.json`), then start recording, and find out who stopped it.
    /// Deny these actions with an SCP outside your security tooling.
    /// ## References
    /// - https://docs.aws.amazon.com/config/latest/APIReference/API_StopConfigurationRecorder.html
    /// - https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html
    /// - https://docs.aws.amazon.com/config/latest/developerguide/manage-delivery-channel.html
    /// - https://attack.mitre.org/techniques/T1562/001/
    RECORDING_STOPPED {
        id: "config-recording-stopped",
        title: "AWS Config recording stopped",
        severity: Severity::High,
        source: "config.amazonaws.com",
        events: &["StopConfigurationRecorder", "DeleteConfigurationRecorder", "DeleteDeliveryChannel"],
        attack: Some("T1562.001"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    configuration_recorder_name: Option<String>,
    delivery_channel_name: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let region = ev.aws_region.as_ref();
    let finding = match ev.event_name.as_ref() {
        "DeleteDeliveryChannel" => {
            let channel = req.delivery_channel_name.unwrap_or_default();
            Detection::new(
                format!("AWS Config delivery channel {channel} was deleted in {region}"),
                Resource::new(ResourceKind::CONFIG_DELIVERY_CHANNEL, &channel),
            )
            .field("Delivery channel", &channel)
        }
        name => {
            let recorder = req.configuration_recorder_name.unwrap_or_default();
            let what = if name == "StopConfigurationRecorder" { "stopped" } else { "deleted" };
            Detection::new(
                format!("AWS Config configuration recorder {recorder} was {what} in {region}"),
                Resource::new(ResourceKind::CONFIG_RECORDER, &recorder),
            )
            .field("Configuration recorder", &recorder)
        }
    };
    Ok(vec![finding.field("Region", region)])
}
