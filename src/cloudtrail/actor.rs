//! Who acted, decided once for every record (see the README's "Who acted").
//!
//! - **A person**: credentials from a console sign-in. The console makes the call for the
//!   person (`invokedBy` is `signin.amazonaws.com`, `console.amazonaws.com` or `AWS Internal`,
//!   or the record says `"sessionCredentialFromConsole": "true"`), but it is the person acting:
//!   never skipped.
//! - **On someone's behalf**: a service made the call with a principal's rights because that
//!   principal asked (`invokedBy` `cloudformation.amazonaws.com`, Service Catalog, …, on a user
//!   or role that is not a service-linked role). Evaluated by default; the alert names the service.
//!   A rule about changes made by hand declares `people_only` and skips these.
//! - **AWS on its own**: `userIdentity.type` `AWSService`, or a service-linked role
//!   (`role/aws-service-role/…`, `AWSServiceRoleFor…`). Skipped by default; a rule's
//!   `include_service_calls`, or the configuration's, turns them on.
//! - Everything else is a principal calling directly (CLI, SDK, a pipeline's own role).

use crate::cloudtrail::event::{Event, UserIdentity};

/// The `invokedBy` values that mean a person working in the AWS console.
pub const CONSOLE_INTERMEDIARIES: [&str; 3] = ["signin.amazonaws.com", "console.amazonaws.com", "AWS Internal"];

/// Who acted in one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acting<'a> {
    /// A principal calling with its own credentials.
    Direct,
    /// A person, through the console.
    Console,
    /// A service calling because the principal asked: the service's name (`invokedBy`).
    OnBehalf(&'a str),
    /// AWS acting on its own; `invokedBy` when the record names the service.
    Aws(Option<&'a str>),
}

impl<'a> Acting<'a> {
    /// Classifies a record by its `userIdentity` and `sessionCredentialFromConsole`.
    pub fn of(ev: &'a Event<'_>) -> Self {
        let who = &ev.user_identity;
        let invoked_by = who.invoked_by.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if who.kind() == "AWSService" || is_service_linked(who) {
            return Acting::Aws(invoked_by);
        }
        let from_console = ev.console_session;
        match invoked_by {
            Some(service) if CONSOLE_INTERMEDIARIES.iter().any(|c| c.eq_ignore_ascii_case(service)) => Acting::Console,
            // A service named by the record wins over the console flag: the person asked
            // CloudFormation (say), and the alert should say so.
            Some(service) => Acting::OnBehalf(service),
            None if from_console => Acting::Console,
            None => Acting::Direct,
        }
    }

    /// The service to name in the alert ("through CloudFormation"), if one made the call.
    pub fn via(self) -> Option<&'a str> {
        match self {
            Acting::OnBehalf(s) => Some(s),
            Acting::Aws(s) => s,
            Acting::Direct | Acting::Console => None,
        }
    }
}

/// A service-linked role: AWS's own role in the account, used by the service on its own.
fn is_service_linked(who: &UserIdentity<'_>) -> bool {
    let linked = |arn: &str| arn.contains(":role/aws-service-role/") || arn.contains("AWSServiceRoleFor");
    who.arn.as_deref().is_some_and(linked)
        || who
            .session_context
            .as_ref()
            .and_then(|s| s.session_issuer.as_ref())
            .and_then(|i| i.arn.as_deref())
            .is_some_and(linked)
}

/// A readable name for a service principal: `cloudformation.amazonaws.com` → `CloudFormation`.
pub fn service_name(invoked_by: &str) -> String {
    const KNOWN: &[(&str, &str)] = &[
        ("cloudformation", "CloudFormation"),
        ("servicecatalog", "Service Catalog"),
        ("autoscaling", "Auto Scaling"),
        ("elasticbeanstalk", "Elastic Beanstalk"),
        ("ssm", "Systems Manager"),
        ("lambda", "Lambda"),
        ("ec2", "EC2"),
        ("backup", "AWS Backup"),
        ("config", "AWS Config"),
        ("codepipeline", "CodePipeline"),
        ("codebuild", "CodeBuild"),
        ("states", "Step Functions"),
        ("sso", "IAM Identity Center"),
        ("controltower", "Control Tower"),
        ("organizations", "Organizations"),
    ];
    let short = invoked_by.strip_suffix(".amazonaws.com").unwrap_or(invoked_by);
    KNOWN.iter().find(|(k, _)| *k == short).map_or_else(|| invoked_by.to_string(), |(_, v)| v.to_string())
}
