use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A `PutBucketAcl` call whose new ACL grants something to the S3 groups `AllUsers`
    /// (anyone, unsigned) or `AuthenticatedUsers` (anyone with an AWS account, in any account),
    /// given either as a grant in `AccessControlPolicy.AccessControlList.Grant` (one object or a
    /// list), as a canned ACL (`x-amz-acl`: `public-read`, `public-read-write`,
    /// `authenticated-read`), or as an `x-amz-grant-*` header naming one of those group URIs.
    /// Reading the bucket (`READ`: listing its objects) fires at high; `READ_ACP` alone (reading
    /// the ACL) at medium; `WRITE`, `WRITE_ACP` or `FULL_CONTROL` at critical. Grants to
    /// canonical users, e-mail addresses and the `LogDelivery` group, and the canned ACLs
    /// `private`, `bucket-owner-full-control` and `log-delivery-write`, stay quiet.
    /// ## Why it matters
    /// A public bucket ACL lets anyone list every object key; write access lets anyone upload
    /// (malware, illegal content, a huge bill) or overwrite and delete objects, and `WRITE_ACP`
    /// lets them take the bucket's permissions over. Buckets with public ACLs are found by
    /// scanners within hours.
    /// ## How to fix
    /// Put the ACL back to private: `aws s3api put-bucket-acl --bucket <s3-bucket> --acl private`. Better,
    /// disable ACLs altogether (`aws s3api put-bucket-ownership-controls --bucket <s3-bucket>
    /// --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'`) and keep Block
    /// Public Access on for the account. Review the bucket's access logs for what was read or
    /// written while it was open.
    /// ## Response
    /// Planned by default (and applied with `respond = "apply"`, at or above
    /// `respond_min_severity`): `s3-block-public-access`.
    /// ## References
    /// - https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html
    /// - https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
    /// - https://attack.mitre.org/techniques/T1530/
    BUCKET_ACL_PUBLIC {
        id: "s3-bucket-acl-public",
        title: "S3 bucket ACL grants access to everyone",
        severity: Severity::High,
        source: "s3.amazonaws.com",
        events: &["PutBucketAcl"],
        attack: Some("T1530"),
        respond: &[Action::S3BlockPublicAccess],
    }
}

#[derive(Default, Deserialize)]
struct Request {
    #[serde(rename = "bucketName")]
    bucket_name: Option<String>,
    #[serde(rename = "AccessControlPolicy")]
    access_control_policy: Option<AccessControlPolicy>,
    #[serde(rename = "x-amz-acl", default)]
    canned_acl: OneOrMany<String>,
    #[serde(rename = "x-amz-grant-read", default)]
    grant_read: OneOrMany<String>,
    #[serde(rename = "x-amz-grant-read-acp", default)]
    grant_read_acp: OneOrMany<String>,
    #[serde(rename = "x-amz-grant-write", default)]
    grant_write: OneOrMany<String>,
    #[serde(rename = "x-amz-grant-write-acp", default)]
    grant_write_acp: OneOrMany<String>,
    #[serde(rename = "x-amz-grant-full-control", default)]
    grant_full_control: OneOrMany<String>,
}

#[derive(Default, Deserialize)]
struct AccessControlPolicy {
    #[serde(rename = "AccessControlList")]
    access_control_list: Option<AccessControlList>,
}

#[derive(Default, Deserialize)]
struct AccessControlList {
    #[serde(rename = "Grant", default)]
    grant: OneOrMany<Grant>,
}

#[derive(Default, Deserialize)]
struct Grant {
    #[serde(rename = "Grantee")]
    grantee: Option<Grantee>,
    #[serde(rename = "Permission")]
    permission: Option<String>,
}

#[derive(Default, Deserialize)]
struct Grantee {
    #[serde(rename = "URI")]
    uri: Option<String>,
}

/// The public group a grantee URI names: `AllUsers` or `AuthenticatedUsers`.
fn public_group(uri: &str) -> Option<&'static str> {
    let uri = uri.trim().trim_matches('"');
    let path = uri.split_once("://").map_or(uri, |(_, rest)| rest).trim_end_matches('/');
    let group = path.strip_prefix("acs.amazonaws.com/groups/global/")?;
    ["AllUsers", "AuthenticatedUsers"].into_iter().find(|g| g.eq_ignore_ascii_case(group))
}

/// Grantees of an `x-amz-grant-*` header: `uri="http://…/AllUsers", id="…"`.
fn header_groups(header: &OneOrMany<String>) -> Vec<&'static str> {
    header
        .iter()
        .flat_map(|value| value.split(','))
        .filter_map(|part| part.split_once('='))
        .filter(|(kind, _)| kind.trim().eq_ignore_ascii_case("uri"))
        .filter_map(|(_, uri)| public_group(uri))
        .collect()
}

fn severity_of(permission: &str) -> Severity {
    match permission {
        "READ" => Severity::High,
        "READ_ACP" => Severity::Medium,
        _ => Severity::Critical,
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    // (group, permission) pairs, in the order the request gives them.
    let mut grants: Vec<(&'static str, String)> = Vec::new();
    let grant_list = req.access_control_policy.and_then(|p| p.access_control_list).unwrap_or_default();
    for g in &grant_list.grant {
        let group = g.grantee.as_ref().and_then(|e| e.uri.as_deref()).and_then(public_group);
        if let (Some(group), Some(permission)) = (group, g.permission.as_deref()) {
            grants.push((group, permission.trim().to_ascii_uppercase()));
        }
    }
    let mut canned = None;
    for acl in &req.canned_acl {
        let acl = acl.trim().to_ascii_lowercase();
        let added: &[(&str, &str)] = match acl.as_str() {
            "public-read" => &[("AllUsers", "READ")],
            "public-read-write" => &[("AllUsers", "READ"), ("AllUsers", "WRITE")],
            "authenticated-read" => &[("AuthenticatedUsers", "READ")],
            _ => &[],
        };
        if !added.is_empty() {
            canned = Some(acl.clone());
        }
        grants.extend(added.iter().map(|(g, p)| (*g, p.to_string())));
    }
    for (header, permission) in [
        (&req.grant_read, "READ"),
        (&req.grant_read_acp, "READ_ACP"),
        (&req.grant_write, "WRITE"),
        (&req.grant_write_acp, "WRITE_ACP"),
        (&req.grant_full_control, "FULL_CONTROL"),
    ] {
        grants.extend(header_groups(header).into_iter().map(|g| (g, permission.to_string())));
    }
    grants.dedup();
    if grants.is_empty() {
        return Ok(Vec::new());
    }

    let severity = grants.iter().map(|(_, p)| severity_of(p)).max().unwrap_or(Severity::High);
    let mut by_group: Vec<(&str, Vec<&str>)> = Vec::new();
    for (group, permission) in &grants {
        match by_group.iter_mut().find(|(g, _)| g == group) {
            Some((_, perms)) if !perms.contains(&permission.as_str()) => perms.push(permission),
            Some(_) => {}
            None => by_group.push((group, vec![permission])),
        }
    }
    let described = by_group
        .iter()
        .map(|(group, perms)| {
            let who = if *group == "AllUsers" { "everyone" } else { "any AWS account" };
            format!("{} to {who} ({group})", perms.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ");
    let bucket = req.bucket_name.unwrap_or_default();
    let mut finding = Detection::new(
        format!("S3 bucket {bucket} ACL grants {described}"),
        Resource::new(ResourceKind::S3_BUCKET, &bucket).with_arn(format!("arn:aws:s3:::{bucket}")),
    )
    .field("Bucket", &bucket)
    .field("Public grants", described);
    if let Some(acl) = canned {
        finding = finding.field("Canned ACL", acl);
    }
    Ok(vec![finding.severity(severity)])
}
