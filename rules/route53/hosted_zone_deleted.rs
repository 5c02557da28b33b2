use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// Every successful `DeleteHostedZone`: a Route 53 hosted zone, public or private, and every
    /// record in it, deleted. The record carries only the zone id (`requestParameters.id`), not
    /// its domain name; look the id up in your infrastructure-as-code or in earlier
    /// `CreateHostedZone` events. Failed calls (for example `HostedZoneNotEmpty`) stay quiet.
    /// ## Why it matters
    /// Every name in the zone stops resolving as soon as resolvers' caches expire: websites, APIs,
    /// mail (MX) and certificate validation records all go at once. Worse, if the parent domain
    /// or registrar still delegates to the deleted zone's name servers, the delegation is left
    /// dangling, and an attacker who gets a zone for the same name on those name servers serves
    /// your domain (subdomain takeover). Route 53 blocks the simplest form of this, not all.
    /// Medium: a deletion is rare, and both outage and takeover follow from it.
    /// ## How to fix
    /// A deleted zone cannot be restored. If the deletion was not intended, recreate it
    /// (`aws route53 create-hosted-zone --name example.com --caller-reference "$(date +%s)"`),
    /// restore its records from your infrastructure-as-code or a zone export
    /// (`aws route53 change-resource-record-sets --hosted-zone-id <new-zone-id> --change-batch file://records.json`),
    /// and update the NS records at the registrar or parent zone to the new zone's four name
    /// servers. If the deletion was intended, remove the delegation (the NS records pointing to
    /// the old name servers) from the parent zone or registrar now.
    /// ## References
    /// - https://docs.aws.amazon.com/Route53/latest/APIReference/API_DeleteHostedZone.html
    /// - https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DeleteHostedZone.html
    /// - https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/protection-from-dangling-dns.html
    HOSTED_ZONE_DELETED {
        id: "route53-hosted-zone-deleted",
        title: "Route 53 hosted zone deleted",
        severity: Severity::Medium,
        source: "route53.amazonaws.com",
        events: &["DeleteHostedZone"],
    }
}

#[derive(Default, Deserialize)]
struct Request {
    id: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    change_info: Option<ChangeInfo>,
}

#[derive(Default, Deserialize)]
struct ChangeInfo {
    id: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let res: Response = ev.response()?;
    let raw = req.id.unwrap_or_default();
    let zone = raw.trim_start_matches("/hostedzone/").to_string();
    let mut finding = Detection::new(
        format!("Route 53 hosted zone {zone} and all its records were deleted"),
        Resource::new(ResourceKind::ROUTE53_HOSTED_ZONE, &zone)
            .with_arn(format!("arn:aws:route53:::hostedzone/{zone}")),
    )
    .field("Hosted zone", &zone);
    if let Some(change) = res.change_info.and_then(|c| c.id) {
        finding = finding.field("Change", change);
    }
    Ok(vec![finding])
}
