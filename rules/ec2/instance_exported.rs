use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful `CreateInstanceExportTask`: an instance exported as a VM image (VMDK, VHD,
    /// RAW) to an S3 bucket. The alert names the instance, bucket and format.
    /// ## Why it matters
    /// An exported image is the instance's whole disk (secrets, keys, data) as a file that can
    /// be downloaded and mounted anywhere: exfiltration that skips every network control.
    /// ## How to fix
    /// If unexpected: cancel it (`aws ec2 cancel-export-task --region <region> --export-task-id <export-task>`),
    /// delete the image from the bucket, check the bucket's owner, and restrict
    /// `ec2:CreateInstanceExportTask` with an SCP.
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateInstanceExportTask.html
    /// - https://docs.aws.amazon.com/vm-import/latest/userguide/vmexport.html
    /// - https://attack.mitre.org/techniques/T1537/
    INSTANCE_EXPORTED {
        id: "ec2-instance-exported",
        title: "EC2 instance exported to S3",
        severity: Severity::High,
        source: "ec2.amazonaws.com",
        events: &["CreateInstanceExportTask"],
        attack: Some("T1537"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    instance_id: Option<String>,
    export_to_s3: Option<ExportTo>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExportTo {
    s3_bucket: Option<String>,
    disk_image_format: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    export_task: Option<Task>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Task {
    export_task_id: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let to = req.export_to_s3.unwrap_or_default();
    let instance = req.instance_id.unwrap_or_default();
    let bucket = to.s3_bucket.unwrap_or_default();
    let mut detection = Detection::new(
        format!("Instance {instance} is being exported to S3 bucket {bucket}"),
        Resource::new(ResourceKind::EC2_INSTANCE, &instance),
    )
    .field("Instance", &instance)
    .field("Bucket", &bucket);
    if let Some(f) = to.disk_image_format {
        detection = detection.field("Format", f);
    }
    let resp = ev.response_or_default::<Response>();
    if let Some(id) = resp.export_task.and_then(|t| t.export_task_id) {
        detection = detection.field("Export task", &id).param("export-task", id);
    }
    Ok(vec![detection])
}
