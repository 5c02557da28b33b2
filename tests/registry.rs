//! Holds every registered rule to the project's rules (ARCHITECTURE.md, Where to add: a rule), and runs every fixture.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use trailwarden::cloudtrail::input::Item;
use trailwarden::cloudtrail::input::{for_each_item, read_file};
use trailwarden::facts::Facts;
use trailwarden::findings::{Format, read::document};
use trailwarden::rule::{InputKind, Rule, registry, sorted_unique};
use trailwarden::{Config, Engine, Event};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/events");

/// Adding or removing a rule is a visible change: this list must be edited with it.
#[test]
fn registered_rule_ids() {
    let ids: Vec<&str> = registry().iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [
            "accessanalyzer-analyzer-deleted",
            "backup-recovery-deleted",
            "bedrock-logging-or-guardrail-removed",
            "bedrock-model-access-enabled",
            "cloudtrail-logging-stopped",
            "cloudtrail-management-events-disabled",
            "cloudtrail-trail-deleted",
            "cloudtrail-trail-logs-to-other-account",
            "cloudtrail-trail-weakened",
            "cloudwatch-alarms-silenced",
            "codebuild-project-made-public",
            "config-recording-stopped",
            "config-rule-removed",
            "ebs-snapshot-read-directly",
            "ec2-accelerated-instances-launched",
            "ec2-ami-made-public",
            "ec2-ami-shared",
            "ec2-ebs-default-encryption-disabled",
            "ec2-flow-logs-deleted",
            "ec2-instance-connect-key-sent",
            "ec2-instance-exported",
            "ec2-instance-exposed-by-group-change",
            "ec2-instance-launched-public",
            "ec2-instance-profile-changed",
            "ec2-instance-user-data-modified",
            "ec2-serial-console-access",
            "ec2-serial-console-key-sent",
            "ec2-sg-created-open-to-world",
            "ec2-sg-egress-open-to-world",
            "ec2-sg-ingress-open-to-world",
            "ec2-snapshot-made-public",
            "ec2-snapshot-shared",
            "ec2-traffic-mirroring-set-up",
            "ecr-repository-policy-other-account",
            "ecr-repository-policy-public",
            "efs-file-system-policy-other-account",
            "elb-internet-facing-load-balancer",
            "events-rule-disabled",
            "finding-unclassified",
            "glacier-vault-policy-other-account",
            "guardduty-attack-sequence",
            "guardduty-credential-access",
            "guardduty-detector-disabled",
            "guardduty-ec2-backdoor",
            "guardduty-ec2-cryptocurrency",
            "guardduty-ec2-impact",
            "guardduty-ec2-malware-execution",
            "guardduty-ec2-trojan",
            "guardduty-ec2-unauthorized-access",
            "guardduty-ecs-runtime-threat",
            "guardduty-eks-threat",
            "guardduty-findings-auto-archived",
            "guardduty-iam-unauthorized-access",
            "guardduty-instance-credential-exfiltration",
            "guardduty-lambda-threat",
            "guardduty-persistence",
            "guardduty-privilege-escalation",
            "guardduty-rds-threat",
            "guardduty-runtime-threat",
            "guardduty-s3-exfiltration",
            "guardduty-s3-impact",
            "guardduty-s3-policy",
            "guardduty-stealth",
            "guardduty-trusted-ip-list-changed",
            "iam-access-key-created-for-other-user",
            "iam-access-key-deleted",
            "iam-boundary-or-mfa-removed",
            "iam-identity-provider-changed",
            "iam-inline-policy-privilege-escalation",
            "iam-login-profile-set-for-other-user",
            "iam-password-policy-weakened",
            "iam-policy-version-escalation",
            "iam-privileged-managed-policy-attached",
            "iam-role-trusts-external-principal",
            "iam-root-access-key-created",
            "iam-user-created",
            "iam-user-deleted",
            "inspector-vulnerability",
            "kms-key-disabled-or-deleted",
            "kms-key-policy-other-account",
            "kms-key-policy-public",
            "lambda-code-updated",
            "lambda-function-policy-other-account",
            "lambda-function-policy-public",
            "lambda-function-url-public",
            "lambda-layer-added",
            "logs-log-group-deleted",
            "macie-disabled",
            "macie-sensitive-data",
            "opensearch-domain-policy-other-account",
            "organizations-account-left",
            "organizations-scp-removed",
            "rds-activity-stream-stopped",
            "rds-master-password-reset-or-deletion-protection-off",
            "rds-publicly-accessible",
            "rds-snapshot-copied-to-other-account",
            "rds-snapshot-exported",
            "rds-snapshot-made-public",
            "rds-snapshot-shared",
            "rolesanywhere-trust-changed",
            "route53-hosted-zone-deleted",
            "route53-records-changed",
            "route53resolver-query-logging-removed",
            "s3-account-public-access-block-disabled",
            "s3-bucket-acl-public",
            "s3-bucket-lifecycle-expires-data",
            "s3-bucket-logging-or-encryption-removed",
            "s3-bucket-policy-other-account",
            "s3-bucket-policy-public",
            "s3-bucket-public-access-block-disabled",
            "s3-bucket-versioning-weakened",
            "sagemaker-lifecycle-config-changed",
            "secretsmanager-secret-deleted",
            "secretsmanager-secret-policy-other-account",
            "securityhub-control-failed",
            "securityhub-custom-action",
            "securityhub-disabled",
            "securityhub-findings-suppressed",
            "signin-console-login-without-mfa",
            "signin-root-console-login",
            "signin-root-console-login-failed",
            "signin-root-password-changed",
            "sns-topic-policy-other-account",
            "sns-topic-policy-public",
            "sqs-queue-policy-other-account",
            "sqs-queue-policy-public",
            "ssm-command-or-session",
            "sts-federation-token",
            "vpc-internet-gateway-attached",
            "vpc-nacl-entry-open-to-world",
            "vpc-network-changed",
            "vpc-peering-connection-created",
            "vpc-route-to-internet-gateway",
            "wafv2-web-acl-disassociated",
        ]
    );
}

#[test]
fn metadata_is_complete() {
    for rule in registry() {
        let id = rule.id;
        assert!(
            !id.is_empty()
                && id
                    .split('-')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
            "{id}: ids are kebab-case"
        );
        assert!(!rule.title.is_empty(), "{id}: no title");
        match rule.input {
            InputKind::CloudTrail => {
                assert!(rule.source.ends_with(".amazonaws.com"), "{id}: eventSource {:?}", rule.source);
                assert!(!rule.events.is_empty(), "{id}: no event names");
                assert!(rule.finding_check.is_none(), "{id}: a CloudTrail rule with a finding check");
            }
            InputKind::Finding => {
                let products = ["", "GuardDuty", "Security Hub", "Inspector", "Macie", "Other"];
                assert!(products.contains(&rule.source), "{id}: product {:?}", rule.source);
                assert!(
                    !rule.events.is_empty() || rule.fallback || rule.custom_action || rule.source != "GuardDuty",
                    "{id}: a GuardDuty rule names the types it takes"
                );
            }
            other => panic!("{id}: input {other:?} is not covered here"),
        }
        // A rule that calls for response actions says which in its doc, as the README promises.
        if !rule.respond.is_empty() {
            let text =
                rule.section("Response").unwrap_or_else(|| panic!("{id}: declares actions but has no `## Response`"));
            for a in rule.respond {
                assert!(text.contains(&format!("`{a}`")), "{id}: `## Response` does not name {a}");
            }
        }
        for section in ["What it detects", "Why it matters", "How to fix", "References"] {
            assert!(rule.section(section).is_some(), "{id} ({}): doc comment lacks `## {section}`", rule.file);
        }
        assert!(!rule.references().is_empty(), "{id}: References list no URL");
        assert!(rule.source_file().starts_with("rules/"), "{id}: declared outside rules/: {}", rule.file);
        if let Some(t) = rule.attack {
            assert!(t.starts_with('T') && t[1..].split('.').all(|p| p.parse::<u32>().is_ok()), "{id}: ATT&CK id {t}");
        }
    }
}

#[test]
fn duplicate_ids_are_rejected_naming_both_files() {
    static A: Rule = Rule { id: "dup", file: "rules/a/one.rs", ..Rule::DEFAULTS };
    static B: Rule = Rule { id: "dup", file: "rules/b/two.rs", ..Rule::DEFAULTS };
    let err = sorted_unique(vec![&B, &A]).unwrap_err();
    assert_eq!(
        err,
        "duplicate rule id `dup`: declared in rules/a/one.rs and in rules/b/two.rs; rule ids must be unique"
    );
}

fn fixtures(rule: &Rule) -> Vec<PathBuf> {
    let dir = Path::new(FIXTURES).join(rule.id);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: no fixture folder {}: {e}", rule.id, dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x != "facts"))
        .collect();
    files.sort();
    files
}

/// Runs one rule over every record of a fixture: (eventName, alerts) per record. A fixture's
/// live-state facts, when the rule needs some, are in `<fixture>.facts` beside it.
fn run(rule: &Rule, path: &Path) -> Vec<(String, usize)> {
    let mut engine = Engine::with_rules(Config::default(), &[rule.id.to_string()]).unwrap();
    let facts = path.with_extension("facts");
    if facts.exists() {
        engine = engine.with_facts(Facts::from_file(&facts).unwrap_or_else(|e| panic!("{e}")));
    }
    let buf = read_file(path).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    let errors = for_each_item(&buf, |item| {
        if let Item::Findings(text) = item {
            for read in document(text) {
                let finding = read.unwrap_or_else(|(i, e)| panic!("{}: finding {i}: {e}", path.display()));
                let eval = engine.evaluate_finding(&finding);
                let details = &eval.evaluation.details;
                assert!(eval.evaluation.errors.is_empty(), "{}: {:?}", path.display(), eval.evaluation.errors);
                for d in details {
                    assert_eq!(d.rule_id, rule.id);
                    assert_eq!(d.event_id, finding.id, "an alert's event_id is the finding's ARN");
                    assert!(!d.summary.is_empty() && !d.resource.id.is_empty(), "{d:?}");
                }
                let format = if finding.format == Format::Asff { "asff" } else { "guardduty" };
                out.push((format!("{format} {}", finding.finding_type), details.len()));
            }
            return;
        }
        let raw = item.scan().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let ev = Event::from_raw(&raw).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let eval = engine.evaluate(&ev);
        assert!(eval.errors.is_empty(), "{}: {:?}", path.display(), eval.errors);
        for d in &eval.details {
            assert_eq!(d.rule_id, rule.id);
            assert!(!d.summary.is_empty() && !d.event_id.is_empty() && !d.resource.id.is_empty(), "{d:?}");
        }
        out.push((ev.event_name.to_string(), eval.details.len()));
    });
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    assert!(!out.is_empty(), "{}: no records", path.display());
    out
}

#[test]
fn every_rule_fires_on_its_fires_fixtures_and_stays_quiet_on_the_others() {
    for rule in registry() {
        let files = fixtures(rule);
        let name = |p: &PathBuf| p.file_name().unwrap().to_string_lossy().into_owned();
        let fires: Vec<&PathBuf> = files.iter().filter(|p| name(p).starts_with("fires_")).collect();
        let quiet: Vec<&PathBuf> = files.iter().filter(|p| name(p).starts_with("quiet_")).collect();
        assert!(!fires.is_empty(), "{}: no fires_ fixture", rule.id);
        assert!(!quiet.is_empty(), "{}: no quiet_ fixture", rule.id);
        assert_eq!(fires.len() + quiet.len(), files.len(), "{}: fixtures are named fires_* or quiet_*", rule.id);
        if rule.input == InputKind::Finding {
            findings_fixtures(rule, &files);
            continue;
        }
        let mut seen: BTreeSet<(bool, String)> = BTreeSet::new();
        for path in files.iter() {
            let should_fire = name(path).starts_with("fires_");
            for (event_name, alerts) in run(rule, path) {
                // Versioned names (`AddPermission20150331v2`) count as their operation's.
                let event_name = trailwarden::cloudtrail::event::operation(&event_name).to_string();
                seen.insert((should_fire, event_name.clone()));
                assert!(
                    rule.events.contains(&event_name.as_str()),
                    "{}: eventName {event_name} is not one the rule looks at",
                    path.display()
                );
                assert_eq!(alerts > 0, should_fire, "{}: {} alerts", path.display(), alerts);
            }
        }
        // Every event name the rule looks at fires on some fixture and stays quiet on another.
        for event in rule.events {
            for fires in [true, false] {
                let kind = if fires { "fires_" } else { "quiet_" };
                assert!(seen.contains(&(fires, event.to_string())), "{}: no {kind} fixture for {event}", rule.id);
            }
        }
    }
}

/// A finding rule's fixtures: each fires or stays quiet as named, and every type glob of a
/// GuardDuty rule fires on a finding in GuardDuty's own format and on one in ASFF (Security Hub
/// forwards GuardDuty's findings).
fn findings_fixtures(rule: &Rule, files: &[PathBuf]) {
    let mut fired: BTreeSet<(String, &str)> = BTreeSet::new();
    for path in files {
        let should_fire = path.file_name().unwrap().to_string_lossy().starts_with("fires_");
        for (key, alerts) in run(rule, path) {
            assert_eq!(alerts > 0, should_fire, "{}: {key}: {alerts} alerts", path.display());
            let (format, kind) = key.split_once(' ').unwrap();
            if should_fire {
                for glob in rule.events.iter().filter(|g| trailwarden::findings::glob_match(g, kind)) {
                    fired.insert((format.to_string(), glob));
                }
            }
        }
    }
    // With every rule on, the finding gets one alert, and from this rule: specificity picks it.
    let all = Engine::new(Config::default()).unwrap();
    for path in files.iter().filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("fires_")) {
        let buf = read_file(path).unwrap();
        for_each_item(&buf, |item| {
            if let Item::Findings(text) = item {
                for finding in document(text).into_iter().flatten() {
                    let ids: Vec<String> = all
                        .evaluate_finding(&finding)
                        .evaluation
                        .details
                        .into_iter()
                        .map(|d| d.rule_id.into_owned())
                        .collect();
                    assert_eq!(ids, [rule.id], "{}: {}", path.display(), finding.finding_type);
                }
            }
        });
    }
    if rule.source == "GuardDuty" {
        for glob in rule.events {
            for format in ["guardduty", "asff"] {
                assert!(
                    fired.contains(&(format.to_string(), *glob)),
                    "{}: no fires_ fixture in {format} for {glob}",
                    rule.id
                );
            }
        }
    }
}

#[test]
fn no_fixture_folder_without_a_rule() {
    let ids: BTreeSet<&str> = registry().iter().map(|r| r.id).collect();
    for entry in std::fs::read_dir(FIXTURES).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(ids.contains(name.as_str()), "testdata/events/{name} belongs to no rule");
    }
}
