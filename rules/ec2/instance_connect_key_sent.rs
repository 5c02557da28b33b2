use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful EC2 Instance Connect `SendSSHPublicKey`: an SSH public key pushed to an
    /// instance's metadata for 60 seconds, for a named OS user. The alert names the instance,
    /// the OS user and the key's type (the key itself is not repeated).
    /// ## Why it matters
    /// Instance Connect lets anyone with `ec2-instance-connect:SendSSHPublicKey` log in to an
    /// instance without its key pair: a lateral-movement path from stolen AWS credentials to a
    /// shell on the host and its instance role (Stratus Red Team's "open ingress port 22 ...
    /// instance connect"). Pushes for `root` or from outside your bastions are rarer still.
    /// ## How to fix
    /// If nobody expected this session: check the instance's SSH logs for the login, isolate the
    /// instance, and restrict `ec2-instance-connect:SendSSHPublicKey` to named instances and OS
    /// users (the `ec2:osuser` condition key).
    /// ## References
    /// - https://docs.aws.amazon.com/ec2-instance-connect/latest/APIReference/API_SendSSHPublicKey.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-connect-set-up.html
    /// - https://stratus-red-team.cloud/attack-techniques/AWS/aws.lateral-movement.ec2-instance-connect/
    /// - https://attack.mitre.org/techniques/T1021/004/
    INSTANCE_CONNECT_KEY_SENT {
        id: "ec2-instance-connect-key-sent",
        title: "SSH key pushed to an instance with EC2 Instance Connect",
        severity: Severity::Medium,
        source: "ec2-instance-connect.amazonaws.com",
        events: &["SendSSHPublicKey"],
        attack: Some("T1021.004"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    instance_id: Option<String>,
    #[serde(rename = "instanceOSUser")]
    instance_os_user: Option<String>,
    #[serde(rename = "sSHPublicKey")]
    ssh_public_key: Lenient<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let instance = req.instance_id.unwrap_or_default();
    let user = req.instance_os_user.unwrap_or_default();
    let key_type = req.ssh_public_key.into_inner().and_then(|k| k.split_whitespace().next().map(str::to_string));
    let mut detection = Detection::new(
        format!("SSH key pushed for OS user {user} on instance {instance}"),
        Resource::new(ResourceKind::EC2_INSTANCE, &instance),
    )
    .field("Instance", &instance)
    .field("OS user", &user);
    if user == "root" {
        detection = detection.severity(Severity::High);
    }
    if let Some(t) = key_type {
        detection = detection.field("Key type", t);
    }
    Ok(vec![detection])
}
