//! Noise controls: AWS service calls, suppressions, severity overrides.

mod actors;

use actors::{SG, fixture, with_identity};
use trailwarden::config::Config;
use trailwarden::config::suppress::Suppressions;
use trailwarden::{Engine, Event, Severity};

#[test]
fn aws_acting_on_its_own_is_skipped_unless_a_rule_is_told_otherwise_but_people_and_pipelines_are_not() {
    let engine = Engine::new(Config::default()).unwrap();
    let eval = |engine: &Engine, identity: &str| {
        engine.evaluate(&Event::from_json(&with_identity(&fixture(SG), identity)).unwrap())
    };
    // A pipeline: CloudFormation calling with the deployer's rights. Evaluated, and the alert
    // names the service.
    let via_cfn = r#"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/deployer/s","invokedBy":"cloudformation.amazonaws.com"}"#;
    let alerts = eval(&engine, via_cfn).details;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].actor.invoked_by.as_deref(), Some("cloudformation.amazonaws.com"));
    // A person in the console: the console is an intermediary, never a reason to skip.
    for console in [
        r#"{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","userName":"alice","invokedBy":"signin.amazonaws.com"}"#,
        r#"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice","invokedBy":"AWS Internal"}"#,
    ] {
        let alerts = eval(&engine, console).details;
        assert_eq!(alerts.len(), 1, "{console}");
        assert_eq!(alerts[0].actor.invoked_by, None, "the person acted, not a service: {console}");
    }
    // AWS on its own: an AWS service identity, or a service-linked role with or without invokedBy.
    let aws = [
        r#"{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}"#,
        r#"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForAutoScaling/AutoScaling","invokedBy":"autoscaling.amazonaws.com"}"#,
        r#"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForConfig/s","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"}}}"#,
    ];
    for identity in aws {
        let e = eval(&engine, identity);
        assert!(e.details.is_empty() && e.matched.is_empty(), "{identity}");
    }
    // A console session with no invokedBy at all is a person too.
    let mut console: serde_json::Value = serde_json::from_str(&with_identity(
        &fixture(SG),
        r#"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice"}"#,
    ))
    .unwrap();
    console["sessionCredentialFromConsole"] = "true".into();
    assert_eq!(engine.evaluate(&Event::from_json(&console.to_string()).unwrap()).details.len(), 1);
    let cfg = Config::from_toml("include_service_calls = [\"ec2-sg-ingress-open-to-world\"]", "t.toml").unwrap();
    let engine = Engine::new(cfg).unwrap();
    for identity in aws {
        assert_eq!(eval(&engine, identity).details.len(), 1, "{identity}");
    }
}

#[test]
fn suppressions_can_name_the_service_that_acted() {
    let toml = "[[suppress]]\ninvoked_by = \"cloudformation.amazonaws.com\"\nreason = \"reviewed stacks\"\n";
    let cfg = Config { suppressions: Suppressions::parse(toml, "s.toml").unwrap(), ..Config::default() };
    let engine = Engine::new(cfg).unwrap();
    let run = |identity: &str| engine.evaluate(&Event::from_json(&with_identity(&fixture(SG), identity)).unwrap());
    let via_cfn = run(
        r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/d/s","invokedBy":"cloudformation.amazonaws.com"}"#,
    );
    assert!(via_cfn.details.is_empty());
    assert_eq!(via_cfn.suppressed.len(), 1);
    // A direct call has no service: the entry does not match it, even as a glob for anything.
    let direct = run(r#"{"type":"IAMUser","arn":"arn:aws:iam::1:user/alice"}"#);
    assert_eq!(direct.details.len(), 1);
    let any = "[[suppress]]\ninvoked_by = \"*\"\nreason = \"r\"\n";
    let cfg = Config { suppressions: Suppressions::parse(any, "s.toml").unwrap(), ..Config::default() };
    let engine = Engine::new(cfg).unwrap();
    let direct = engine.evaluate(
        &Event::from_json(&with_identity(&fixture(SG), r#"{"type":"IAMUser","arn":"arn:aws:iam::1:user/alice"}"#))
            .unwrap(),
    );
    assert_eq!(direct.details.len(), 1);
}

#[test]
fn severity_can_be_overridden_per_rule() {
    let cfg =
        Config::from_toml("severity_overrides = { \"ec2-sg-ingress-open-to-world\" = \"low\" }", "t.toml").unwrap();
    let engine = Engine::new(cfg).unwrap();
    let details = engine.evaluate(&Event::from_json(&fixture(SG)).unwrap()).details;
    assert_eq!(details[0].severity, Severity::Low);

    let e = Config::from_toml("severity_overrides = { \"ec2-sg-ingress-open-to-world\" = \"urgent\" }", "t.toml")
        .unwrap_err();
    assert!(e.to_string().contains("unknown severity `urgent`"), "{e}");
    let mut cfg = Config::default();
    let e =
        cfg.apply_env(|v| (v == "TRAILWARDEN_SEVERITY_OVERRIDES").then(|| "ec2-sg-ingress-open-to-world:low".into()));
    assert_eq!(
        e.unwrap_err().to_string(),
        "environment variable TRAILWARDEN_SEVERITY_OVERRIDES: `ec2-sg-ingress-open-to-world:low` is not rule-id=severity"
    );
    let cfg = Config::from_toml("severity_overrides = { \"no-such-rule\" = \"low\" }", "t.toml").unwrap();
    assert!(Engine::new(cfg).is_err(), "an unknown rule id is a configuration error");
}

const FILE: &str = r#"
# Reviewed exceptions
[[suppress]]
rule = "ec2-sg-*"
resource = "sg-0a1b2c3d4e5f60718"
actor = "arn:aws:iam::111122223333:user/*"
reason = "Public bastion, SEC-123"

[[suppress]]
rule = "cloudtrail-logging-stopped"
account = "143434273843"
reason = "Old sandbox, closed"
expires = 2001-01-01
"#;

#[test]
fn suppressions_silence_matching_alerts_and_say_which_entry() {
    let cfg = Config { suppressions: Suppressions::parse(FILE, "suppressions.toml").unwrap(), ..Config::default() };
    let engine = Engine::new(cfg).unwrap();
    let eval = engine.evaluate(&Event::from_json(&fixture(SG)).unwrap());
    assert!(eval.details.is_empty());
    assert_eq!(eval.suppressed.len(), 1);
    assert_eq!(
        eval.suppressed[0].by,
        "suppression #1 (line 3) rule=ec2-sg-* actor=arn:aws:iam::111122223333:user/* resource=sg-0a1b2c3d4e5f60718: Public bastion, SEC-123"
    );
    // Another group is not suppressed.
    let other = fixture(SG).replace("sg-0a1b2c3d4e5f60718", "sg-0fffffffffffffff0");
    assert_eq!(engine.evaluate(&Event::from_json(&other).unwrap()).details.len(), 1);
    // An expired entry warns and suppresses nothing.
    assert_eq!(
        engine.warnings(),
        [
            "suppression #2 (line 9) rule=cloudtrail-logging-stopped account=143434273843: Old sandbox, closed expired on 2001-01-01; it no longer suppresses"
        ]
    );
    let stop = engine.evaluate(&Event::from_json(&fixture("cloudtrail-logging-stopped/fires_stratus.json")).unwrap());
    assert_eq!((stop.details.len(), stop.suppressed.len()), (1, 0));
}

#[test]
fn malformed_suppressions_name_the_line() {
    let err = |text: &str| Suppressions::parse(text, "s.toml").unwrap_err().to_string();
    assert_eq!(
        err("\n[[suppress]]\nrule = \"x\"\n"),
        "suppressions s.toml: entry #1 (line 2): `reason` is required: say why this is not an alert"
    );
    assert_eq!(
        err("[[suppress]]\nreason = \"everything\"\n"),
        "suppressions s.toml: entry #1 (line 1): set at least one of rule, account, region, actor, invoked_by, resource, event"
    );
    assert!(
        err("[[suppress]]\nrule = \"[\"\nreason = \"r\"\n")
            .starts_with("suppressions s.toml: entry #1 (line 1): `rule`:")
    );
    assert!(
        err("[[suppress]]\nrule = \"x\"\nreason = \"r\"\nexpires = 2026-01-01T10:00:00Z\n")
            .contains("`expires` must be a date")
    );
    let e = err("[[suppress]]\nrule = \"x\"\nreasn = \"typo\"\n");
    assert!(e.contains("line 3") && e.contains("reasn"), "{e}");
}
