use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful `ModifyInstanceAttribute` that sets an instance's `userData` (CloudTrail
    /// records the key and hides the script as `<sensitiveDataRemoved>`). Changes of other
    /// attributes stay quiet here (the security-group change has its own rule,
    /// `ec2-instance-exposed-by-group-change`).
    /// ## Why it matters
    /// User data runs as root at the next boot: changing it on a stopped instance and starting
    /// it again is code execution on that instance with its role's credentials, without SSH or
    /// SSM (Stratus Red Team's "execute commands by modifying user data"). It is also a common
    /// place to plant persistence.
    /// ## How to fix
    /// Read the new user data (`aws ec2 describe-instance-attribute --region <region> --instance-id <ec2-instance> --attribute userData`),
    /// restore the expected script, and if it was not an expected change, isolate the instance
    /// and rotate its role's credentials. Restrict `ec2:ModifyInstanceAttribute` to your
    /// provisioning roles.
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html
    /// - https://stratus-red-team.cloud/attack-techniques/AWS/aws.execution.ec2-user-data/
    /// - https://attack.mitre.org/techniques/T1059/009/
    INSTANCE_USER_DATA_MODIFIED {
        id: "ec2-instance-user-data-modified",
        title: "EC2 instance user data modified",
        severity: Severity::High,
        source: "ec2.amazonaws.com",
        events: &["ModifyInstanceAttribute"],
        attack: Some("T1059.009"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    instance_id: Option<String>,
    user_data: Option<serde::de::IgnoredAny>,
    attribute: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    // The attribute comes as its own key (`"userData": …`) or, in the older form, named.
    if req.user_data.is_none() && req.attribute.as_deref() != Some("userData") {
        return Ok(Vec::new());
    }
    let instance = req.instance_id.unwrap_or_default();
    Ok(vec![
        Detection::new(
            format!("User data of instance {instance} was replaced in {}", ev.aws_region),
            Resource::new(ResourceKind::EC2_INSTANCE, &instance),
        )
        .field("Instance", &instance),
    ])
}
