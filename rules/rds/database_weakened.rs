use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// `ModifyDBInstance` or `ModifyDBCluster` that resets the master user's password
    /// (`masterUserPassword` present; CloudTrail hides its value) or turns deletion protection
    /// off (`deletionProtection: false`). Other changes stay quiet here (public access has its
    /// own rule, `rds-publicly-accessible`); turning deletion protection on, or handing the
    /// password to Secrets Manager (`manageMasterUserPassword`), is quiet.
    /// ## Why it matters
    /// Resetting the master password is the fastest way for someone with `rds:Modify*` but no
    /// database credentials to log in to the database as its owner and read everything; turning
    /// deletion protection off is the step before deleting the database.
    /// ## How to fix
    /// If nobody expected it: rotate the master password yourself (or let Secrets Manager manage
    /// it), check the database's logins since the change, and turn deletion protection back on
    /// (`aws rds modify-db-instance --region <region> --db-instance-identifier <rds-instance> --deletion-protection --apply-immediately`).
    /// Restrict `rds:ModifyDBInstance`/`ModifyDBCluster` to the database owners.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBCluster.html
    /// - https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html#USER_DeletionProtection
    /// - https://attack.mitre.org/techniques/T1098/
    DATABASE_WEAKENED {
        id: "rds-master-password-reset-or-deletion-protection-off",
        title: "RDS master password reset or deletion protection turned off",
        severity: Severity::High,
        source: "rds.amazonaws.com",
        events: &["ModifyDBInstance", "ModifyDBCluster"],
        attack: Some("T1098"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    #[serde(rename = "dBInstanceIdentifier")]
    instance: Option<String>,
    #[serde(rename = "dBClusterIdentifier")]
    cluster: Option<String>,
    master_user_password: Option<serde::de::IgnoredAny>,
    deletion_protection: Option<Scalar>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let mut changes = Vec::new();
    if req.master_user_password.is_some() {
        changes.push("master password reset");
    }
    if req.deletion_protection.as_ref().is_some_and(|d| d.0.eq_ignore_ascii_case("false")) {
        changes.push("deletion protection turned off");
    }
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let (kind, label, id) = match (req.cluster, req.instance) {
        (Some(c), _) if ev.event_name == "ModifyDBCluster" => (ResourceKind::RDS_CLUSTER, "cluster", c),
        (_, i) => (ResourceKind::RDS_INSTANCE, "instance", i.unwrap_or_default()),
    };
    Ok(vec![
        Detection::new(format!("RDS {label} {id}: {}", changes.join(", ")), Resource::new(kind, &id))
            .field("Database", &id)
            .field("Changes", changes.join(", ")),
    ])
}
