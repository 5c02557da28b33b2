use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Every successful `ChangeResourceRecordSets`: a batch of DNS record changes in a Route 53
    /// hosted zone. One alert per batch lists every change in it (`changeBatch.changes`, not
    /// only the first), each as action, type, name and new values (resource records or alias
    /// target, with the routing set identifier when there is one).
    ///
    /// Low by default: record changes are routine, and this is the audit trail. Medium when any
    /// change in the batch deletes (`DELETE`) or re-points (`UPSERT`) an `NS`, `MX`, `A`, `AAAA`
    /// or `CNAME` record: those decide where a name's traffic, mail and delegation go. `CREATE`
    /// of a new name, and any change to other types (`TXT`, `CAA`, `SRV`, ...), stay low.
    /// Failed calls (for example `InvalidChangeBatch`) stay quiet, since Route 53 applies all or
    /// none of a batch.
    /// ## Why it matters
    /// Whoever controls a name's records controls its traffic: re-pointing `A`/`AAAA`/`CNAME`
    /// sends users and API clients to an attacker's server (with a valid certificate, once the
    /// attacker can pass DNS validation), changing `MX` diverts mail including password resets,
    /// and changing or deleting `NS` hands a whole subdomain to other name servers. Deleting a
    /// record that a takeover-prone target still relies on can also leave dangling delegation.
    /// ## How to fix
    /// If a change was not intended, put the previous values back with
    /// `aws route53 change-resource-record-sets --hosted-zone-id <route53-hosted-zone> --change-batch file://revert.json`
    /// (an `UPSERT` with the old values; a `DELETE` change in this alert shows exactly what was
    /// removed, while for an `UPSERT` take the old values from your infrastructure-as-code).
    /// Check the zone with `aws route53 list-resource-record-sets --hosted-zone-id <route53-hosted-zone>` and find
    /// out who holds `route53:ChangeResourceRecordSets`.
    /// ## References
    /// - https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html
    /// - https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/logging-using-cloudtrail.html
    /// - https://attack.mitre.org/techniques/T1584/002/
    RECORDS_CHANGED {
        id: "route53-records-changed",
        title: "Route 53 DNS records changed",
        severity: Severity::Low,
        source: "route53.amazonaws.com",
        events: &["ChangeResourceRecordSets"],
        attack: Some("T1584.002"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    hosted_zone_id: Option<String>,
    #[serde(default)]
    change_batch: ChangeBatch,
}

#[derive(Default, Deserialize)]
struct ChangeBatch {
    changes: Option<List<Change>>,
    comment: Option<String>,
}

/// A list as CloudTrail records it for Route 53: a plain array (or, defensively, `{"items": [...]}`).
#[derive(Deserialize)]
#[serde(untagged, bound = "T: Deserialize<'de>")]
enum List<T> {
    Plain(Vec<T>),
    Items(Items<T>),
}

impl<T> List<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            List::Plain(v) => v,
            List::Items(i) => i.items,
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Change {
    action: Option<String>,
    #[serde(default)]
    resource_record_set: RecordSet,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecordSet {
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "tTL", alias = "ttl", alias = "TTL")]
    ttl: Option<Scalar>,
    set_identifier: Option<String>,
    resource_records: Option<List<Record>>,
    alias_target: Option<AliasTarget>,
}

#[derive(Default, Deserialize)]
struct Record {
    value: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AliasTarget {
    hosted_zone_id: Option<String>,
    #[serde(rename = "dNSName", alias = "dnsName", alias = "DNSName")]
    dns_name: Option<String>,
}

/// Record types whose deletion or re-pointing moves a name's traffic, mail or delegation.
const STEERING: [&str; 5] = ["NS", "MX", "A", "AAAA", "CNAME"];

struct Described {
    /// `UPSERT A www.example.com.`
    head: String,
    /// `UPSERT A www.example.com. -> 203.0.113.10 (TTL 300)`
    full: String,
    risky: bool,
}

fn describe(change: Change) -> Described {
    let action = change.action.unwrap_or_default().trim().to_ascii_uppercase();
    let set = change.resource_record_set;
    let kind = set.kind.unwrap_or_default().trim().to_ascii_uppercase();
    let name = set.name.unwrap_or_default();
    let mut head = format!("{action} {kind} {name}");
    if let Some(id) = set.set_identifier {
        head.push_str(&format!(" [set {id}]"));
    }
    let target = match (set.alias_target, set.resource_records) {
        (Some(alias), _) => {
            let dns = alias.dns_name.unwrap_or_default();
            match alias.hosted_zone_id {
                Some(z) => format!("alias {dns} (zone {z})"),
                None => format!("alias {dns}"),
            }
        }
        (None, Some(records)) => {
            let values: Vec<String> = records.into_vec().into_iter().filter_map(|r| r.value).collect();
            let values = values.join(", ");
            match set.ttl {
                Some(ttl) => format!("{values} (TTL {})", ttl.0),
                None => values,
            }
        }
        (None, None) => String::new(),
    };
    let full = match (target.is_empty(), action.as_str()) {
        (true, _) => head.clone(),
        (false, "DELETE") => format!("{head} (removed: {target})"),
        (false, _) => format!("{head} -> {target}"),
    };
    let risky = matches!(action.as_str(), "DELETE" | "UPSERT") && STEERING.contains(&kind.as_str());
    Described { head, full, risky }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let zone = req.hosted_zone_id.unwrap_or_default().trim_start_matches("/hostedzone/").to_string();
    let changes: Vec<Described> =
        req.change_batch.changes.map(List::into_vec).unwrap_or_default().into_iter().map(describe).collect();
    let n = changes.len();
    let shown: Vec<&str> = changes.iter().take(3).map(|c| c.head.as_str()).collect();
    let mut list = shown.join(", ");
    if n > shown.len() {
        list.push_str(&format!(" and {} more", n - shown.len()));
    }
    let plural = if n == 1 { "" } else { "s" };
    let mut finding = Detection::new(
        format!("Route 53 hosted zone {zone}: {n} record change{plural} ({list})"),
        Resource::new(ResourceKind::ROUTE53_HOSTED_ZONE, &zone)
            .with_arn(format!("arn:aws:route53:::hostedzone/{zone}")),
    )
    .field("Hosted zone", &zone);
    if let Some(comment) = req.change_batch.comment.filter(|c| !c.is_empty()) {
        finding = finding.field("Comment", comment);
    }
    let risky = changes.iter().any(|c| c.risky);
    for (i, c) in changes.into_iter().enumerate() {
        finding = finding.field(format!("Change {}", i + 1), c.full);
    }
    if risky {
        finding = finding.severity(Severity::Medium);
    }
    Ok(vec![finding])
}
