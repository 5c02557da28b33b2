use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// `RunInstances` of accelerated or outsized instance types, the ones crypto-mining and
    /// model-training abuse reaches for: GPU and accelerator families (`p*`, `g*`, `dl*`,
    /// `inf*`, `trn*`, `f1`, `f2`, `vt1`), high-memory `u-*` and `x1*`/`x2*`, bare metal
    /// (`*.metal`) and sizes of 24xlarge and up. Everyday types (`t3.micro`, `m7g.large`, ...)
    /// stay quiet. This rule opts in to failed calls (`include_failed`): a refused launch of
    /// ten GPU instances is a stolen credential testing what it can do, so a refusal is
    /// reported too, at the same level, with its error (Stratus Red Team's "launch unusual EC2
    /// instances" is such a refusal).
    /// ## Why it matters
    /// Compromised keys are most often turned into cryptocurrency mining on the largest
    /// instances the account can launch: tens of thousands of dollars a day, and a sign the
    /// credential is in hostile hands.
    /// ## How to fix
    /// If nobody expected these instances: terminate them
    /// (`aws ec2 terminate-instances --region <region> --instance-ids <ec2-instance>` for each), deactivate the
    /// caller's keys, and check every region for more. Limit instance types with an SCP or IAM
    /// condition (`ec2:InstanceType`) and lower the account's vCPU quotas for GPU families you
    /// do not use.
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html
    /// - https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html
    /// - https://stratus-red-team.cloud/attack-techniques/AWS/aws.execution.ec2-launch-unusual-instances/
    /// - https://attack.mitre.org/techniques/T1496/
    ACCELERATED_INSTANCES_LAUNCHED {
        id: "ec2-accelerated-instances-launched",
        title: "GPU, accelerated or outsized EC2 instances launched",
        severity: Severity::Medium,
        source: "ec2.amazonaws.com",
        events: &["RunInstances"],
        attack: Some("T1496"),
        include_failed: true,
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    instance_type: Option<String>,
    #[serde(default)]
    instances_set: Items<Requested>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Requested {
    max_count: Option<Scalar>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    #[serde(default)]
    instances_set: Items<Launched>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Launched {
    instance_id: Option<String>,
}

/// Why an instance type is unusual, or `None` for an everyday type (case-insensitive, without
/// copying the text: this runs on every `RunInstances`).
fn unusual(instance_type: &str) -> Option<&'static str> {
    let is = |text: &str, any: &[&str]| any.iter().any(|x| text.eq_ignore_ascii_case(x));
    let starts = |text: &str, prefix: &str| text.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix));
    let t = instance_type.trim();
    let (family, size) = t.split_once('.').unwrap_or((t, ""));
    let letters = &family[..family.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(family.len())];
    if is(letters, &["p", "g", "dl", "inf", "trn", "vt"]) || is(family, &["f1", "f2"]) {
        return Some("GPU or accelerator");
    }
    if is(letters, &["u"]) || starts(family, "x1") || starts(family, "x2") {
        return Some("high memory");
    }
    if starts(size, "metal") {
        return Some("bare metal");
    }
    let count = size.len().checked_sub(6).filter(|&n| size.get(n..).is_some_and(|x| x.eq_ignore_ascii_case("xlarge")));
    let xlarge = count.and_then(|n| size.get(..n)?.parse::<u32>().ok());
    xlarge.filter(|&n| n >= 24).map(|_| "24xlarge or larger")
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let Some(instance_type) = req.instance_type else {
        return Ok(Vec::new());
    };
    let Some(why) = unusual(&instance_type) else {
        return Ok(Vec::new());
    };
    let count: String =
        req.instances_set.items.first().and_then(|i| i.max_count.clone()).map(|c| c.0).unwrap_or_default();
    let launched: Vec<String> =
        ev.response_or_default::<Response>().instances_set.items.into_iter().filter_map(|i| i.instance_id).collect();
    let ids = launched.join(", ");
    let first = launched.first().cloned().unwrap_or_default();
    let mut detection = match &ev.error_code {
        None => Detection::new(
            format!("{} {instance_type} instance(s) launched ({why}) in {}", launched.len().max(1), ev.aws_region),
            Resource::new(ResourceKind::EC2_INSTANCE, &first),
        )
        .field("Instances", if ids.is_empty() { "(not in the record)".to_string() } else { ids.clone() }),
        Some(code) => Detection::new(
            format!("Refused launch of {instance_type} instances ({why}) in {}: {code}", ev.aws_region),
            Resource::new(ResourceKind::ACCOUNT, ev.account_id.as_ref()),
        )
        .field("Error", code.as_ref()),
    }
    .field("Instance type", &instance_type)
    .field("Why unusual", why);
    if !count.is_empty() {
        detection = detection.field("Requested up to", count);
    }
    Ok(vec![detection])
}

#[cfg(test)]
mod tests {
    use super::unusual;

    #[test]
    fn families() {
        for t in [
            "p2.xlarge",
            "p5.48xlarge",
            "g4dn.xlarge",
            "g6e.2xlarge",
            "inf2.xlarge",
            "trn1.32xlarge",
            "dl1.24xlarge",
            "f1.2xlarge",
            "u-6tb1.metal",
            "x2iedn.xlarge",
            "m5.metal",
            "c5.24xlarge",
            "r7i.48xlarge",
        ] {
            assert!(unusual(t).is_some(), "{t}");
        }
        for t in ["t3.micro", "m7g.large", "c6i.4xlarge", "r5.12xlarge", "gp3", "", "m5.é24xlarge", "é"] {
            assert!(unusual(t).is_none(), "{t}");
        }
    }
}
