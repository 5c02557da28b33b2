use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// An IAM instance profile attached to a running instance or swapped:
    /// `AssociateIamInstanceProfile` and `ReplaceIamInstanceProfileAssociation`. Low: teams do
    /// it, but it changes which role every process on the instance holds.
    /// ## Why it matters
    /// Whoever can attach a more privileged profile to an instance they can reach (through SSM,
    /// SSH or user data) gets that role's credentials: an escalation path that needs only
    /// `iam:PassRole` and `ec2:AssociateIamInstanceProfile`.
    /// ## How to fix
    /// Check the profile's role against what the instance needs
    /// (`aws ec2 describe-iam-instance-profile-associations --region <region> --filters Name=instance-id,Values=<ec2-instance>`), put
    /// the expected one back, and limit `iam:PassRole` to the roles each team may hand out.
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateIamInstanceProfile.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ReplaceIamInstanceProfileAssociation.html
    /// - https://attack.mitre.org/techniques/T1098/
    INSTANCE_PROFILE_CHANGED {
        id: "ec2-instance-profile-changed",
        title: "Instance profile attached to or replaced on an instance",
        severity: Severity::Low,
        source: "ec2.amazonaws.com",
        events: &["AssociateIamInstanceProfile", "ReplaceIamInstanceProfileAssociation"],
        attack: Some("T1098"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    #[serde(rename = "AssociateIamInstanceProfileRequest", alias = "ReplaceIamInstanceProfileAssociationRequest")]
    wrapped: Option<Body>,
    #[serde(flatten)]
    plain: Body,
}

#[derive(Default, Deserialize)]
struct Body {
    #[serde(rename = "InstanceId", alias = "instanceId")]
    instance_id: Option<String>,
    #[serde(rename = "AssociationId", alias = "associationId")]
    association_id: Option<String>,
    #[serde(rename = "IamInstanceProfile", alias = "iamInstanceProfile")]
    profile: Option<Profile>,
}

#[derive(Default, Deserialize)]
struct Profile {
    #[serde(rename = "Arn", alias = "arn")]
    arn: Option<String>,
    #[serde(rename = "Name", alias = "name")]
    name: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let body = req.wrapped.unwrap_or(req.plain);
    let profile = body.profile.and_then(|p| p.arn.or(p.name)).unwrap_or_default();
    let (resource, target) = match (body.instance_id, body.association_id) {
        (Some(i), _) => (Resource::new(ResourceKind::EC2_INSTANCE, &i), format!("instance {i}")),
        (None, a) => {
            let a = a.unwrap_or_default();
            (Resource::new(ResourceKind::INSTANCE_PROFILE_ASSOCIATION, &a), format!("association {a}"))
        }
    };
    let verb = if ev.event_name == "AssociateIamInstanceProfile" { "attached to" } else { "swapped in on" };
    Ok(vec![
        Detection::new(format!("Instance profile {profile} was {verb} {target}"), resource)
            .field("Instance profile", profile),
    ])
}
