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

/// The findings settings, the ledger table, its TTL and the SNS topic; a bad value names its
/// variable.
#[test]
fn findings_ledger_and_topic_settings() {
    let base = [("EMAILIDS", "secops@example.com"), ("SECRETNAME", "s")];
    let cfg = load(&base).unwrap();
    assert_eq!(cfg.rules.findings_min_severity, trailwarden::Severity::Medium);
    assert!(!cfg.rules.findings_update_workflow);
    assert_eq!((cfg.dedupe_table, cfg.dedupe_ttl_days, cfg.sns_topic_arn), (None, 30, None));
    let mut vars = base.to_vec();
    vars.extend([
        ("TRAILWARDEN_FINDINGS_MIN_SEVERITY", "high"),
        ("TRAILWARDEN_FINDINGS_UPDATE_WORKFLOW", "true"),
        ("TRAILWARDEN_DEDUPE_TABLE", "stack-SentAlertsTable-1A2B"),
        ("TRAILWARDEN_DEDUPE_TTL_DAYS", "7"),
        ("TRAILWARDEN_SNS_TOPIC_ARN", "arn:aws:sns:eu-west-1:111122223333:alerts"),
    ]);
    let cfg = load(&vars).unwrap();
    assert_eq!(cfg.rules.findings_min_severity, trailwarden::Severity::High);
    assert!(cfg.rules.findings_update_workflow);
    assert_eq!(cfg.dedupe_table.as_deref(), Some("stack-SentAlertsTable-1A2B"));
    assert_eq!(cfg.dedupe_ttl_days, 7);
    assert_eq!(cfg.sns_topic_arn.as_deref(), Some("arn:aws:sns:eu-west-1:111122223333:alerts"));
    // The stack passes an empty topic when it creates none.
    let mut empty = base.to_vec();
    empty.push(("TRAILWARDEN_SNS_TOPIC_ARN", ""));
    assert_eq!(load(&empty).unwrap().sns_topic_arn, None);
    for (var, value, message) in [
        (
            "TRAILWARDEN_FINDINGS_MIN_SEVERITY",
            "severe",
            "environment variable TRAILWARDEN_FINDINGS_MIN_SEVERITY: unknown severity `severe`",
        ),
        (
            "TRAILWARDEN_FINDINGS_UPDATE_WORKFLOW",
            "maybe",
            "environment variable TRAILWARDEN_FINDINGS_UPDATE_WORKFLOW: `maybe` is not true or false",
        ),
        (
            "TRAILWARDEN_DEDUPE_TTL_DAYS",
            "0",
            "environment variable TRAILWARDEN_DEDUPE_TTL_DAYS: `0` is not a number of days from 1 to 365",
        ),
        (
            "TRAILWARDEN_SNS_TOPIC_ARN",
            "alerts",
            "environment variable TRAILWARDEN_SNS_TOPIC_ARN: `alerts` is not an SNS topic ARN",
        ),
    ] {
        let mut bad = base.to_vec();
        bad.push((var, value));
        let err = load(&bad).unwrap_err();
        assert!(err.starts_with(message), "{err}");
    }
}

/// The organisation trail's settings: prefix, accounts, their names and the object limit; a bad
/// value names its variable.
#[test]
fn org_trail_settings() {
    let base = [("EMAILIDS", "secops@example.com"), ("SECRETNAME", "s")];
    let cfg = load(&base).unwrap();
    assert_eq!((cfg.objects.prefix, cfg.objects.accounts.len(), cfg.max_object_bytes), (None, 0, 64 << 20));
    let mut vars = base.to_vec();
    vars.extend([
        ("TRAILWARDEN_TRAIL_PREFIX", "trails/"),
        ("TRAILWARDEN_TRAIL_ACCOUNTS", "111122223333, 444455556666"),
        ("TRAILWARDEN_ACCOUNT_NAMES", "111122223333=prod,444455556666 = dev"),
        ("TRAILWARDEN_MAX_OBJECT_MIB", "16"),
    ]);
    let cfg = load(&vars).unwrap();
    assert_eq!(cfg.objects.prefix.as_deref(), Some("trails/"));
    assert_eq!(cfg.objects.accounts, ["111122223333", "444455556666"]);
    assert_eq!(cfg.objects.account_names["444455556666"], "dev");
    assert_eq!(cfg.max_object_bytes, 16 << 20);
    assert!(!cfg.account_names_from_organizations, "off unless asked for");
    let mut named = vars.clone();
    named.push(("TRAILWARDEN_ACCOUNT_NAMES_FROM_ORGANIZATIONS", "true"));
    assert!(load(&named).unwrap().account_names_from_organizations);
    assert!(!cfg.securityhub_import, "off unless asked for");
    named.push(("TRAILWARDEN_SECURITYHUB_IMPORT", "true"));
    assert!(load(&named).unwrap().securityhub_import);
    // Half the function's memory for an object inflated whole.
    assert_eq!(cfg.objects.whole_object_bytes, 64 << 20);
    vars.push(("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1769"));
    assert_eq!(load(&vars).unwrap().objects.whole_object_bytes, 884 << 20);
    for (var, value, message) in [
        (
            "TRAILWARDEN_TRAIL_ACCOUNTS",
            "1111",
            "environment variable TRAILWARDEN_TRAIL_ACCOUNTS: `1111` is not a 12-digit account id",
        ),
        (
            "TRAILWARDEN_ACCOUNT_NAMES",
            "prod",
            "environment variable TRAILWARDEN_ACCOUNT_NAMES: `prod` is not ACCOUNT_ID=name",
        ),
        (
            "TRAILWARDEN_ACCOUNT_NAMES",
            "111122223333=",
            "environment variable TRAILWARDEN_ACCOUNT_NAMES: `111122223333=` is not",
        ),
        (
            "TRAILWARDEN_ACCOUNT_NAMES_FROM_ORGANIZATIONS",
            "yes",
            "environment variable TRAILWARDEN_ACCOUNT_NAMES_FROM_ORGANIZATIONS: `yes` is not true or false",
        ),
        (
            "TRAILWARDEN_MAX_OBJECT_MIB",
            "0",
            "environment variable TRAILWARDEN_MAX_OBJECT_MIB: `0` is not a number of MiB",
        ),
    ] {
        let mut bad = base.to_vec();
        bad.push((var, value));
        let err = load(&bad).unwrap_err();
        assert!(err.starts_with(message), "{err}");
    }
}

#[test]
fn delivery_settings_and_their_problems() {
    let base = [("EMAILIDS", "secops@example.com"), ("SECRETNAME", "s")];
    let with = |extra: &[(&str, &str)]| {
        let mut vars = base.to_vec();
        vars.extend_from_slice(extra);
        load(&vars)
    };
    let cfg = with(&[
        ("TRAILWARDEN_WEBHOOK_SECRET", "trailwarden/chat"),
        ("TRAILWARDEN_WEBHOOK_FORMAT", "Teams"),
        ("TRAILWARDEN_AMAZON_Q_TOPIC_ARN", "arn:aws:sns:eu-west-1:111122223333:q"),
        ("TRAILWARDEN_ROUTES", "critical=webhook,email;medium+=email;low=amazon-q@daily"),
        ("TRAILWARDEN_STORM_WINDOW_MINUTES", "10"),
        ("TRAILWARDEN_DIGEST_SCHEDULE_ROLE_ARN", "arn:aws:iam::111122223333:role/flush"),
        ("TRAILWARDEN_CLAIM_LEASE_SECONDS", "180"),
    ])
    .unwrap();
    assert_eq!(cfg.claim_lease_secs, 180);
    assert_eq!(with(&[]).unwrap().claim_lease_secs, trailwarden::dedupe::DEFAULT_LEASE_SECS);
    assert_eq!(
        with(&[("TRAILWARDEN_CLAIM_LEASE_SECONDS", "30")]).unwrap_err(),
        "environment variable TRAILWARDEN_CLAIM_LEASE_SECONDS: `30` is not a number of seconds from 60 to 3600"
    );
    assert_eq!(cfg.channel_names(), ["email", "webhook", "amazon-q"]);
    assert_eq!(
        cfg.webhook.as_ref().map(|(s, spec)| (s.as_str(), spec.kind.as_str())),
        Some(("trailwarden/chat", "teams"))
    );
    assert_eq!(cfg.rules.storm_window_secs, 600);
    assert_eq!(cfg.rules.routes.routes.len(), 3);
    assert_eq!(cfg.digest_schedule_group, "default");
    assert_eq!(
        with(&[("TRAILWARDEN_ROUTES", "critical=webhook")]).unwrap_err(),
        "a route names channel `webhook`, which is not configured (channels: email)"
    );
    assert_eq!(
        with(&[("TRAILWARDEN_WEBHOOK_SECRET", "s"), ("TRAILWARDEN_WEBHOOK_FORMAT", "discord")]).unwrap_err(),
        "environment variable TRAILWARDEN_WEBHOOK_FORMAT: `discord` is not slack or teams"
    );
    assert!(with(&[("TRAILWARDEN_AMAZON_Q_TOPIC_ARN", "q")]).unwrap_err().contains("TRAILWARDEN_AMAZON_Q_TOPIC_ARN"));
    assert!(with(&[("TRAILWARDEN_STORM_WINDOW_MINUTES", "2000")]).unwrap_err().contains("more than a day"));
    assert!(with(&[("TRAILWARDEN_ROUTES", "severe=email")]).unwrap_err().contains("TRAILWARDEN_ROUTES"));
    assert!(with(&[("TRAILWARDEN_DIGEST_SCHEDULE_ROLE_ARN", "flush")]).unwrap_err().contains("is not an IAM role ARN"));
}
