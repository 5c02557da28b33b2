use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// EC2 serial console use: `EnableSerialConsoleAccess` (the account-wide switch, off by
    /// default, turned on for the region) and EC2 Instance Connect's
    /// `SendSerialConsoleSSHPublicKey` (a key pushed to reach one instance's serial port).
    /// ## Why it matters
    /// The serial console is a shell on the instance that bypasses its network, security groups
    /// and SSH configuration: a lateral-movement path that leaves no network trace (Stratus Red
    /// Team's "usage of EC2 Serial Console to push SSH public key"). Few accounts need it
    /// outside break-glass recovery.
    /// ## How to fix
    /// If it was not a recovery you know of: turn it off again
    /// (`aws ec2 disable-serial-console-access --region <region>`), check the instance's console
    /// sessions, and deny `ec2:EnableSerialConsoleAccess` with an SCP.
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableSerialConsoleAccess.html
    /// - https://docs.aws.amazon.com/ec2-instance-connect/latest/APIReference/API_SendSerialConsoleSSHPublicKey.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-serial-console.html
    /// - https://stratus-red-team.cloud/attack-techniques/AWS/aws.lateral-movement.ec2-serial-console-send-ssh-public-key/
    /// - https://attack.mitre.org/techniques/T1021/
    SERIAL_CONSOLE_ACCESS {
        id: "ec2-serial-console-access",
        title: "EC2 serial console access enabled",
        severity: Severity::High,
        source: "ec2.amazonaws.com",
        events: &["EnableSerialConsoleAccess"],
        attack: Some("T1021"),
    }
}

declare_rule! {
    /// ## What it detects
    /// A successful `SendSerialConsoleSSHPublicKey`: an SSH key pushed through EC2 Instance
    /// Connect to reach one instance's serial console, with the instance and port.
    /// ## Why it matters
    /// A serial-console session is a shell on the instance outside its network controls and
    /// logs; pushing a key is the step right before one (Stratus Red Team's "usage of EC2 Serial
    /// Console to push SSH public key").
    /// ## How to fix
    /// Check the instance for the session and what it ran; if unexpected, isolate the instance
    /// and turn serial console access off (`aws ec2 disable-serial-console-access --region <region>`).
    /// Allow `ec2-instance-connect:SendSerialConsoleSSHPublicKey` only to a break-glass role.
    /// ## References
    /// - https://docs.aws.amazon.com/ec2-instance-connect/latest/APIReference/API_SendSerialConsoleSSHPublicKey.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/connect-to-serial-console.html
    /// - https://attack.mitre.org/techniques/T1021/
    SERIAL_CONSOLE_KEY_SENT {
        id: "ec2-serial-console-key-sent",
        title: "SSH key pushed to an instance's serial console",
        severity: Severity::High,
        source: "ec2-instance-connect.amazonaws.com",
        events: &["SendSerialConsoleSSHPublicKey"],
        attack: Some("T1021"),
        check: check_key,
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let account = ev.account_id.to_string();
    Ok(vec![
        Detection::new(
            format!("EC2 serial console access was enabled for account {account} in {}", ev.aws_region),
            Resource::new(ResourceKind::ACCOUNT, &account),
        )
        .field("Region", ev.aws_region.as_ref()),
    ])
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyRequest {
    instance_id: Option<String>,
    serial_port: Option<Scalar>,
}

fn check_key(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: KeyRequest = ev.request()?;
    let instance = req.instance_id.unwrap_or_default();
    let mut detection = Detection::new(
        format!("SSH key pushed to the serial console of instance {instance}"),
        Resource::new(ResourceKind::EC2_INSTANCE, &instance),
    )
    .field("Instance", &instance);
    if let Some(port) = req.serial_port {
        detection = detection.field("Serial port", port.0);
    }
    Ok(vec![detection])
}
