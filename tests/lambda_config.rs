//! The Lambda's configuration from its environment.
#![cfg(feature = "aws")]

use std::collections::HashMap;

use trailwarden::lambda::{LambdaConfig, valid_address};

fn load(vars: &[(&str, &str)]) -> Result<LambdaConfig, String> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    LambdaConfig::from_env(|k| map.get(k).cloned()).map_err(|e| e.to_string())
}

#[test]
fn a_complete_environment() {
    let cfg = load(&[
        ("ACCOUNTNAME", "prod"),
        ("EMAILIDS", "secops@example.com, oncall@example.org ,"),
        ("SECRETNAME", "trailwarden/sender"),
        ("SECRETREGION", "eu-west-1"),
        ("TRAILWARDEN_INGRESS_ALLOWED_PORTS", "80,443,53"),
        ("TRAILWARDEN_DISABLED_RULES", "ec2-sg-egress-open-to-world"),
    ])
    .unwrap();
    assert_eq!(cfg.account_name, "prod");
    assert_eq!(cfg.recipients, ["secops@example.com", "oncall@example.org"]);
    assert_eq!(cfg.secret_name, "trailwarden/sender");
    assert_eq!(cfg.secret_region.as_deref(), Some("eu-west-1"));
    assert_eq!(cfg.rules.ingress_allowed_ports.to_string(), "80, 443, 53");
    assert!(cfg.rules.disabled_rules.contains("ec2-sg-egress-open-to-world"));
}

#[test]
fn each_problem_names_its_variable() {
    let base = [("EMAILIDS", "secops@example.com"), ("SECRETNAME", "s")];
    assert_eq!(load(&base[1..]).unwrap_err(), "environment variable EMAILIDS: is not set");
    assert_eq!(load(&base[..1]).unwrap_err(), "environment variable SECRETNAME: is not set");
    assert_eq!(
        load(&[("EMAILIDS", "a@example.com,bob"), ("SECRETNAME", "s")]).unwrap_err(),
        "environment variable EMAILIDS: `bob` is not an email address"
    );
    assert_eq!(
        load(&[("EMAILIDS", " , "), ("SECRETNAME", "s")]).unwrap_err(),
        "environment variable EMAILIDS: lists no address"
    );
    let mut bad_ports = base.to_vec();
    bad_ports.push(("TRAILWARDEN_EGRESS_ALLOWED_PORTS", "tcp/smtp"));
    assert!(
        load(&bad_ports).unwrap_err().starts_with("environment variable TRAILWARDEN_EGRESS_ALLOWED_PORTS: `tcp/smtp`")
    );
}

#[test]
fn addresses_are_checked_not_trusted() {
    for ok in ["a@example.com", "first.last+tag@sub.example.co.uk"] {
        assert!(valid_address(ok), "{ok}");
    }
    for bad in [
        "",
        "a",
        "a@b",
        "@example.com",
        "a@example.com>",
        "a b@example.com",
        "a@example.com\r\nBcc: x@y.z",
        "a@-x.com",
        "<a@example.com>",
    ] {
        assert!(!valid_address(bad), "{bad:?}");
    }
}

#[test]
fn suppressions_come_from_the_environment_and_bad_ones_name_the_variable() {
    let base = [("EMAILIDS", "secops@example.com"), ("SECRETNAME", "s")];
    let mut vars = base.to_vec();
    vars.push(("TRAILWARDEN_SUPPRESSIONS", "[[suppress]]\nrule = \"ec2-*\"\nreason = \"lab\"\n"));
    assert_eq!(load(&vars).unwrap().rules.suppressions.0.len(), 1);
    let mut vars = base.to_vec();
    vars.push(("TRAILWARDEN_SUPPRESSIONS", "[[suppress]]\nrule = \"ec2-*\"\n"));
    assert_eq!(
        load(&vars).unwrap_err(),
        "suppressions TRAILWARDEN_SUPPRESSIONS: entry #1 (line 1): `reason` is required: say why this is not an alert"
    );
}
