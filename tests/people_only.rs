//! A rule that watches people only (its own test binary: a rule declared here is registered for
//! every engine in the binary).

mod actors;

use actors::{SG, fixture, with_identity};
use trailwarden::Engine;

#[test]
fn a_people_only_rule_skips_pipelines_but_not_the_console() {
    use trailwarden::prelude::*;
    trailwarden::declare_rule! {
        /// ## What it detects
        /// Security group ingress changed by hand.
        /// ## Why it matters
        /// Changes outside the pipeline drift from the code.
        /// ## How to fix
        /// Make the change in the pipeline.
        /// ## References
        /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html
        BY_HAND {
            id: "test-sg-ingress-by-hand",
            title: "Security group ingress changed by hand",
            severity: Severity::Low,
            source: "ec2.amazonaws.com",
            events: &["AuthorizeSecurityGroupIngress"],
            people_only: true,
        }
    }
    fn check(_ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
        Ok(vec![Detection::new("changed by hand", Resource::new(ResourceKind::SECURITY_GROUP, "sg-1"))])
    }
    let engine = Engine::with_rules(Config::default(), &["test-sg-ingress-by-hand".to_string()]).unwrap();
    let run = |identity: &str| engine.evaluate(&Event::from_json(&with_identity(&fixture(SG), identity)).unwrap());
    let via_cfn = r#"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/deployer/s","invokedBy":"cloudformation.amazonaws.com"}"#;
    assert!(run(via_cfn).matched.is_empty());
    let console =
        r#"{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","invokedBy":"signin.amazonaws.com"}"#;
    assert_eq!(run(console).details.len(), 1);
    assert_eq!(run(r#"{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"}"#).details.len(), 1);
}
