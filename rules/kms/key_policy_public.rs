use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful `PutKeyPolicy` whose new policy has an `Allow` statement for everyone
    /// (`"Principal": "*"`, `{"AWS": "*"}`, an ARN with a wildcard account, or any
    /// `NotPrincipal`) that no condition narrows. The analysis is the one every resource-policy
    /// rule uses (`src/analysis/policy.rs`), with KMS's `kms:CallerAccount` counted as an
    /// account key beside `aws:PrincipalOrgID`, `aws:PrincipalAccount`, `aws:SourceAccount`,
    /// `aws:SourceVpce` and the others. A condition narrows only under a requiring operator
    /// (`StringEquals`, `StringLike`, `ArnEquals`, `ArnLike`, `IpAddress`, optionally
    /// `ForAnyValue:`) with every value fixed: `…IfExists`, negated operators and
    /// `ForAllValues:` (true when the key is absent, as it is for an anonymous or cross-account
    /// caller) never narrow, and neither does an `aws:SourceIp` range wider than /8 (IPv4) or
    /// /32 (IPv6). `kms:ViaService` alone narrows nothing: it lets any account's principals in
    /// through the named service. A peer rule that counts `ForAllValues:` or a `/1` source range
    /// as narrowing is looser than the risk; this one alerts on them. `Deny` statements are
    /// ignored. A normal key policy trusting the account root, or the AWS-managed pattern (`"*"`
    /// narrowed by `kms:CallerAccount` and `kms:ViaService`), stays quiet. The policy may come as
    /// a JSON string (as CloudTrail writes it) or as an object. Failed calls stay quiet.
    /// ## Why it matters
    /// A key policy is the only gate in front of a KMS key. Opening it to `*` lets any AWS
    /// account decrypt what the key protects (a shared snapshot, an exported S3 object, a
    /// secret) or, with `kms:*`, schedule the key's deletion. Critical: it exposes every piece
    /// of data encrypted under the key.
    /// ## How to fix
    /// Put back the previous policy (`aws kms get-key-policy --region <region> --key-id <kms-key> --policy-name default`
    /// shows the current one; restore yours with `aws kms put-key-policy --region <region> --key-id <kms-key>
    /// --policy-name default --policy file://policy.json`), or add a condition such as
    /// `kms:CallerAccount` or `aws:PrincipalOrgID` to the public statement. Then review the
    /// key's `Decrypt` and `CreateGrant` calls from other accounts since the change.
    /// ## References
    /// - https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
    /// - https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
    /// - https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html
    KEY_POLICY_PUBLIC {
        id: "kms-key-policy-public",
        title: "KMS key policy opens the key to everyone",
        severity: Severity::Critical,
        source: "kms.amazonaws.com",
        events: &["PutKeyPolicy"],
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    key_id: Option<String>,
    policy: Option<PolicyText>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let Some(text) = req.policy.filter(|p| !p.as_str().trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let policy = parse_policy(text.as_str(), "requestParameters.policy")?;
    // (label, statement): the Sid, or the statement's position when it has none.
    let open: Vec<(String, &Statement)> = policy
        .statement
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_allow() && s.grants_everyone() && s.narrowed_by_with(KMS_NARROWING_KEYS).is_none())
        .map(|(i, s)| (s.sid.clone().filter(|sid| !sid.trim().is_empty()).unwrap_or_else(|| format!("#{}", i + 1)), s))
        .collect();
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let key = req.key_id.unwrap_or_default();
    let shown = if key.is_empty() { "(unknown id)" } else { key.as_str() };
    let statements = open.iter().map(|(label, _)| label.as_str()).collect::<Vec<_>>().join(", ");
    let actions = open.iter().map(|(_, s)| s.actions_text()).collect::<Vec<_>>().join("; ");
    let mut resource = Resource::new(ResourceKind::KMS_KEY, &key);
    if key.starts_with("arn:") {
        resource = resource.with_arn(&key);
    }
    Ok(vec![
        Detection::new(format!("KMS key {shown} policy lets everyone use the key ({actions})"), resource)
            .field("Key", shown)
            .field("Public statements", statements)
            .field("Actions granted to everyone", actions),
    ])
}
