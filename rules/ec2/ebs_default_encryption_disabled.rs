use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful `DisableEbsEncryptionByDefault`: new EBS volumes and snapshot copies in the
    /// region are no longer encrypted unless the caller asks for it.
    /// ## Why it matters
    /// Unencrypted volumes can be snapshotted and shared with any account (an encrypted one needs
    /// the KMS key shared too), so turning the default off prepares data for exfiltration; it
    /// also breaks the CIS and FSBP control that requires it.
    /// ## How to fix
    /// Turn it back on (`aws ec2 enable-ebs-encryption-by-default --region <region>`), find volumes created
    /// since without encryption, and deny `ec2:DisableEbsEncryptionByDefault` with an SCP.
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisableEbsEncryptionByDefault.html
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html
    /// - https://attack.mitre.org/techniques/T1562/
    EBS_DEFAULT_ENCRYPTION_DISABLED {
        id: "ec2-ebs-default-encryption-disabled",
        title: "EBS encryption by default turned off",
        severity: Severity::Medium,
        source: "ec2.amazonaws.com",
        events: &["DisableEbsEncryptionByDefault"],
        attack: Some("T1562"),
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let account = ev.account_id.to_string();
    Ok(vec![
        Detection::new(
            format!("EBS encryption by default was turned off in {} for account {account}", ev.aws_region),
            Resource::new(ResourceKind::ACCOUNT, &account),
        )
        .field("Region", ev.aws_region.as_ref()),
    ])
}
