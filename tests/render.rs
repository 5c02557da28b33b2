//! The alert email, rendered from hostile events: every CloudTrail value is attacker-controlled.

use trailwarden::notify::render::{SUBJECT_SUMMARY_CHARS, console_url, history_url, render, subject};
use trailwarden::{Config, Engine, Event, EventDetail};

fn alerts(record: &str) -> Vec<EventDetail> {
    let engine = Engine::new(Config::default()).unwrap();
    engine.evaluate(&Event::from_json(record).unwrap()).details
}

fn hostile_sg() -> String {
    r#"{"eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress",
        "eventID":"e3b0c442-98fc-41c4-9a1b-000000000001","eventTime":"2026-03-14T09:26:53Z",
        "awsRegion":"eu-west-1","recipientAccountId":"111122223333","sourceIPAddress":"198.51.100.23",
        "userAgent":"javascript:alert(document.domain)",
        "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x","userName":"<script>alert(1)</script>"},
        "requestParameters":{"groupId":"sg-1\"><img src=x onerror=alert(1)>","ipPermissions":{"items":[
            {"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0","description":"</td><script>x</script>"}]}}]}}}"#
        .to_string()
}

#[test]
fn hostile_values_are_escaped_in_html_and_never_become_links() {
    let details = alerts(&hostile_sg());
    assert_eq!(details.len(), 1);
    let email = render(&details, "prod").unwrap();
    let html = &email.html;
    assert!(!html.contains("<script"), "raw script tag in:\n{html}");
    assert!(!html.contains("<img"), "raw img tag in:\n{html}");
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{html}");
    assert!(html.contains("sg-1&#34;&#62;&#60;img src=x onerror=alert(1)&#62;"), "{html}");
    assert!(html.contains("javascript:alert(document.domain)"), "shown as text");
    for (i, _) in html.match_indices("href=\"") {
        assert!(html[i + 6..].starts_with("https://"), "a link that is not https: {}", &html[i..i + 60]);
    }
    // The group id is not an AWS id, so no console link is built from it.
    assert!(!html.contains("SecurityGroup:groupId"), "{html}");
    assert!(html.contains("href=\"https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/e3b0c442-98fc-41c4-9a1b-000000000001\""));
    trailwarden::notify::render::check_email(&email).unwrap();
}

/// The whole email for a hostile event, byte for byte (`UPDATE_GOLDEN=1` rewrites it for review).
#[test]
fn hostile_event_renders_exactly_as_reviewed() {
    let email = render(&alerts(&hostile_sg()), "prod\r\nBcc: x@evil.example").unwrap();
    let actual = format!("Subject: {}\n\n{}\n----\n{}", email.subject, email.text, email.html);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/hostile-email.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &actual).unwrap();
    }
    assert_eq!(actual, std::fs::read_to_string(path).unwrap(), "UPDATE_GOLDEN=1 to accept after review");
}

#[test]
fn subject_has_no_line_breaks_and_is_bounded() {
    let record = r#"{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","eventID":"1",
        "eventTime":"2026-03-14T09:26:53Z","awsRegion":"eu-west-1","recipientAccountId":"111122223333",
        "requestParameters":{"name":"audit\r\nBcc: attacker@example.com\r\n\r\n<b>x</b>"}}"#;
    let details = alerts(record);
    let s = subject(&details, "prod\r\nX-Injected: 1");
    assert_eq!(
        s,
        "[CRITICAL] CloudTrail logging was stopped for trail audit Bcc: attacker@example.com <b>x</b> | prod X-Injected: 1 | 111122223333"
    );
    let email = render(&details, "prod").unwrap();
    assert!(!email.subject.contains(['\r', '\n']));
    assert!(!email.text.contains("\nBcc:"), "a value forged a line in the text body:\n{}", email.text);

    let long = record.replace("audit\\r\\nBcc", &"A".repeat(500));
    let s = subject(&alerts(&long), "prod");
    let summary = s.strip_prefix("[CRITICAL] ").unwrap().split(" | ").next().unwrap();
    assert_eq!(summary.chars().count(), SUBJECT_SUMMARY_CHARS);
    assert!(summary.ends_with('…'));
}

#[test]
fn the_email_has_what_a_responder_needs() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/events/ec2-sg-ingress-open-to-world/fires_all_protocols.json"
    ))
    .unwrap();
    let details = alerts(&text);
    let email = render(&details, "prod").unwrap();
    assert_eq!(
        email.subject,
        "[CRITICAL] Security group sg-0a1b2c3d4e5f60718 opened all traffic to 0.0.0.0/0 | prod | 111122223333"
    );
    for needle in [
        "CRITICAL &middot; 1 alert in prod (111122223333)",
        "Security group ingress opened to the internet",
        "prod (111122223333)",
        "arn:aws:iam::111122223333:user/alice",
        "AuthorizeSecurityGroupIngress (ec2.amazonaws.com)",
        "2026-03-14T09:26:53Z",
        "198.51.100.23",
        "all traffic from 0.0.0.0/0",
        "How to fix",
        "href=\"https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#SecurityGroup:groupId=sg-0a1b2c3d4e5f60718\"",
        "href=\"https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html\"",
    ] {
        assert!(email.html.contains(needle), "missing {needle}");
    }
    assert!(email.text.contains("[CRITICAL] Security group ingress opened to the internet"), "{}", email.text);
    assert!(email.text.contains("  Exposed to the internet: all traffic from 0.0.0.0/0"), "{}", email.text);
    assert!(email.html.len() < 20_000);
}

#[test]
fn console_links_only_from_checked_parts() {
    assert_eq!(
        console_url("ebs-snapshot", "snap-041993b54a9b3af6f", "eu-west-1").as_deref(),
        Some(
            "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#SnapshotDetails:snapshotId=snap-041993b54a9b3af6f"
        )
    );
    assert_eq!(console_url("ebs-snapshot", "snap-0419#x", "eu-west-1"), None);
    assert_eq!(console_url("security-group", "sg-0a1b2c3d", "evil.com/x"), None);
    assert_eq!(console_url("iam-user", "bob\"onmouseover", "eu-west-1"), None);
    assert_eq!(history_url("abc-123", "javascript:alert(1)//"), None);
    assert_eq!(history_url("<x>", "eu-west-1"), None);
}

/// The findings email's first screen: what is hit, how badly, what to do, and a console link
/// built from the finding's checked region and ARN; hostile finding text stays text.
#[test]
fn a_findings_email_says_what_is_hit_how_badly_and_what_to_do_first() {
    let engine = Engine::new(Config::default()).unwrap();
    let mut event: serde_json::Value =
        serde_json::from_str(include_str!("../testdata/events/guardduty-ec2-backdoor/fires_cc_activity_dns.json"))
            .unwrap();
    event["detail"]["title"] = serde_json::json!("<script>alert(1)</script>\r\nBcc: x@evil.example");
    event["detail"]["service"]["action"]["dnsRequestAction"]["domain"] =
        serde_json::json!("\u{1b}]8;;https://evil.example\u{7}click\u{1b}]8;;\u{7}");
    let mut details = Vec::new();
    for finding in trailwarden::findings::read::document(&event.to_string()) {
        details.extend(engine.evaluate_finding(&finding.unwrap()).evaluation.details);
    }
    assert_eq!(details.len(), 1);
    let email = render(&details, "prod").unwrap();
    trailwarden::notify::render::check_email(&email).unwrap();
    let (html, text) = (&email.html, &email.text);
    assert!(email.subject.starts_with("[HIGH] GuardDuty: "), "{}", email.subject);
    assert!(!email.subject.contains(['\r', '\n']));
    for row in [
        "Finding: Backdoor:EC2/C&CActivity.B!DNS",
        "Meaning: the resource is likely compromised",
        "Severity: HIGH (8.0 of 10 in GuardDuty)",
        "Resource: ec2-instance i-0a1b2c3d4e5f60718",
        "Do first: Isolate the instance: replace its security groups with one that allows nothing, and snapshot its volumes for forensics before anything else.",
        "Seen: 14 times, first 2026-11-20T09:12:44.000Z, last 2026-11-20T09:38:02.000Z",
        "Open this finding in GuardDuty: https://eu-west-1.console.aws.amazon.com/guardduty/home?region=eu-west-1#/findings?macros=current&fId=4ac6b0c2f0a1e1b7d9c3f3e0a2b1c4d5",
    ] {
        assert!(text.contains(row), "missing `{row}` in:\n{text}");
    }
    // The rows come before the rule's full how-to-fix in the HTML too.
    let (hit, fix) = (html.find(">Do first<").unwrap(), html.find(">How to fix<").unwrap());
    assert!(hit < fix);
    assert!(!html.contains("<script") && html.contains("&#60;script&#62;"), "{html}");
    assert!(!text.contains('\u{1b}') && !html.contains('\u{1b}'));
    assert!(!html.contains("href=\"https://evil.example"), "a finding's text became a link");
}

/// Console links for findings are built only from a checked region and ARN.
#[test]
fn finding_links_are_built_from_checked_parts() {
    use trailwarden::notify::render::finding_url;
    let arn = "arn:aws:guardduty:eu-west-1:111122223333:detector/52c1/finding/4ac6b0c2";
    assert_eq!(
        finding_url("GuardDuty", arn, "eu-west-1").unwrap(),
        "https://eu-west-1.console.aws.amazon.com/guardduty/home?region=eu-west-1#/findings?macros=current&fId=4ac6b0c2"
    );
    assert!(
        finding_url("Inspector", "arn:aws:inspector2:eu-west-1:111122223333:finding/abc", "eu-west-1")
            .unwrap()
            .starts_with(
                "https://eu-west-1.console.aws.amazon.com/securityhub/home?region=eu-west-1#/findings?search=Id%3D"
            )
    );
    for (arn, region) in [
        (arn, "eu-west-1.evil.example/x"),
        ("arn:aws:guardduty:eu-west-1:1:detector/d/finding/x\"onmouseover=", "eu-west-1"),
        ("javascript:alert(1)", "eu-west-1"),
        ("arn:aws:guardduty:eu-west-1:1:detector/d/finding/a b", "eu-west-1"),
    ] {
        assert_eq!(finding_url("GuardDuty", arn, region), None, "{arn} {region}");
    }
}

#[test]
fn a_digest_of_hostile_alerts_is_escaped_and_passes_the_email_oracle() {
    use trailwarden::notify::storm::{Digest, Message, plan};
    let mut details = Vec::new();
    for i in 0..4 {
        let mut record: serde_json::Value = serde_json::from_str(&hostile_sg()).unwrap();
        record["eventID"] = format!("e3b0c442-98fc-41c4-9a1b-00000000010{i}").into();
        record["eventTime"] = format!("2026-03-14T09:2{i}:00Z").into();
        // A web port, so High (SSH open to the world is Critical and never held).
        let item = &mut record["requestParameters"]["ipPermissions"]["items"][0];
        (item["fromPort"], item["toPort"]) = (8080.into(), 8080.into());
        details.extend(alerts(&record.to_string()));
    }
    let messages = plan(&details, 600);
    assert_eq!(messages.len(), 2, "{messages:?}");
    let Message::Digest(digest, held) = &messages[1] else { panic!("{messages:?}") };
    let held: Vec<EventDetail> = held.iter().map(|&i| details[i].clone()).collect();
    let mut digest: Digest = digest.clone();
    digest.actor = "<img src=x onerror=alert(1)>\r\nBcc: x@evil".into();
    digest.more = vec![("<b>rule</b>".into(), 7)];
    let email = trailwarden::notify::render::render_digest(&held, "pr\nod", &digest).unwrap();
    assert!(!email.html.contains("<img") && !email.html.contains("<b>"), "{}", email.html);
    assert!(!email.subject.contains(['\r', '\n']), "{}", email.subject);
    assert!(email.html.contains("And 7 more"), "the alerts past the cap are counted");
    assert_eq!(email.html.matches("e3b0c442").count(), 0, "rows show resources, not event ids");
    assert!(email.text.contains("Rule: ec2-sg-ingress-open-to-world"));
    trailwarden::notify::render::check_email(&email).unwrap();
}
