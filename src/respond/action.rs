//! The response actions: their ids (a contract: `replay --plan`, the email and the
//! configuration use them), what each does, whether it is on by default, what it spends of the
//! destructive budget, and the IAM permissions it needs. Data only.

use std::fmt;

/// One response action. The order is the order they run in for one resource (the tag that
/// records the instance's groups comes before the isolation that replaces them; evidence is
/// taken before anything is cut; termination is last).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Ec2Tag,
    Ec2Protect,
    Ec2Snapshot,
    Ec2CaptureMetadata,
    Ec2CaptureScreenshot,
    Ec2CollectForensics,
    Ec2RemoveInstanceProfile,
    Ec2DetachAsg,
    Ec2DeregisterTargets,
    Ec2Isolate,
    Ec2Terminate,
    S3BlockPublicAccess,
    IamDeactivateAccessKey,
    IamRevokeSessions,
    CloudtrailStartLogging,
    Ec2RevokeIngress,
    Ec2UnshareSnapshot,
    Ec2UnshareImage,
    RdsUnshareSnapshot,
}

/// What an action spends of the destructive budget (per hour, kept in the stack's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BudgetKind {
    /// Instances isolated or terminated.
    Instances,
    /// Access keys deactivated.
    Keys,
}

impl BudgetKind {
    pub fn name(self) -> &'static str {
        match self {
            BudgetKind::Instances => "instances",
            BudgetKind::Keys => "keys",
        }
    }
}

use Action::*;

/// What an instance compromise gets: the evidence-keeping and containment actions (those off by
/// default run only when `respond_actions` names them; termination also needs `allow_terminate`).
pub const INSTANCE_COMPROMISE: &[Action] = &[
    Ec2Tag,
    Ec2Protect,
    Ec2Snapshot,
    Ec2CaptureMetadata,
    Ec2CaptureScreenshot,
    Ec2CollectForensics,
    Ec2RemoveInstanceProfile,
    Ec2DetachAsg,
    Ec2DeregisterTargets,
    Ec2Isolate,
    Ec2Terminate,
];

/// What misused credentials get: a user's long-term key deactivated, a role's (or user's)
/// sessions revoked; the planner picks by the credential's kind.
pub const CREDENTIALS: &[Action] = &[IamDeactivateAccessKey, IamRevokeSessions];

impl Action {
    pub const ALL: [Action; 19] = [
        Ec2Tag,
        Ec2Protect,
        Ec2Snapshot,
        Ec2CaptureMetadata,
        Ec2CaptureScreenshot,
        Ec2CollectForensics,
        Ec2RemoveInstanceProfile,
        Ec2DetachAsg,
        Ec2DeregisterTargets,
        Ec2Isolate,
        Ec2Terminate,
        S3BlockPublicAccess,
        IamDeactivateAccessKey,
        IamRevokeSessions,
        CloudtrailStartLogging,
        Ec2RevokeIngress,
        Ec2UnshareSnapshot,
        Ec2UnshareImage,
        RdsUnshareSnapshot,
    ];

    /// The action's id: `ec2-isolate`.
    pub const fn id(self) -> &'static str {
        match self {
            Ec2Tag => "ec2-tag",
            Ec2Protect => "ec2-protect",
            Ec2Snapshot => "ec2-snapshot",
            Ec2CaptureMetadata => "ec2-capture-metadata",
            Ec2CaptureScreenshot => "ec2-capture-screenshot",
            Ec2CollectForensics => "ec2-collect-forensics",
            Ec2RemoveInstanceProfile => "ec2-remove-instance-profile",
            Ec2DetachAsg => "ec2-detach-asg",
            Ec2DeregisterTargets => "ec2-deregister-targets",
            Ec2Isolate => "ec2-isolate",
            Ec2Terminate => "ec2-terminate",
            S3BlockPublicAccess => "s3-block-public-access",
            IamDeactivateAccessKey => "iam-deactivate-access-key",
            IamRevokeSessions => "iam-revoke-sessions",
            CloudtrailStartLogging => "cloudtrail-start-logging",
            Ec2RevokeIngress => "ec2-revoke-ingress",
            Ec2UnshareSnapshot => "ec2-unshare-snapshot",
            Ec2UnshareImage => "ec2-unshare-image",
            RdsUnshareSnapshot => "rds-unshare-snapshot",
        }
    }

    /// The action with this id.
    pub fn parse(id: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.id() == id.trim())
    }

    /// In `respond_actions` unless the configuration says otherwise. Off by default: terminating
    /// (also needs `allow_terminate`), the console screenshot and the forensics command (they
    /// need the team's choices), and removing the instance profile (it breaks what the instance
    /// runs; the role's sessions are revoked by `iam-revoke-sessions` when the credentials were
    /// used elsewhere).
    pub const fn on_by_default(self) -> bool {
        !matches!(self, Ec2Terminate | Ec2CaptureScreenshot | Ec2CollectForensics | Ec2RemoveInstanceProfile)
    }

    /// Acts on an instance (its resource is the instance id).
    pub const fn on_instance(self) -> bool {
        matches!(
            self,
            Ec2Tag
                | Ec2Protect
                | Ec2Snapshot
                | Ec2CaptureMetadata
                | Ec2CaptureScreenshot
                | Ec2CollectForensics
                | Ec2RemoveInstanceProfile
                | Ec2DetachAsg
                | Ec2DeregisterTargets
                | Ec2Isolate
                | Ec2Terminate
        )
    }

    /// What it spends of the destructive budget, if anything.
    pub const fn budget(self) -> Option<BudgetKind> {
        match self {
            Ec2Isolate | Ec2Terminate => Some(BudgetKind::Instances),
            IamDeactivateAccessKey => Some(BudgetKind::Keys),
            _ => None,
        }
    }

    /// What it does, in a line (README and `--plan` output).
    pub const fn what(self) -> &'static str {
        match self {
            Ec2Tag => {
                "tag the instance with the finding id, the time and each ENI's previous security groups (the undo record and the idempotency guard)"
            }
            Ec2Protect => {
                "termination protection on (unless termination is allowed), shutdown behaviour stop, DeleteOnTermination off on every volume"
            }
            Ec2Snapshot => "snapshot every attached EBS volume, tagged with the finding id",
            Ec2CaptureMetadata => {
                "write the instance's DescribeInstances record, its ENIs and volumes to the evidence bucket"
            }
            Ec2CaptureScreenshot => "write the console screenshot (GetConsoleScreenshot) to the evidence bucket",
            Ec2CollectForensics => "run the team's SSM document on the instance, output to the evidence bucket",
            Ec2RemoveInstanceProfile => "disassociate the instance profile and revoke its role's sessions",
            Ec2DetachAsg => "detach the instance from its Auto Scaling group without decrementing capacity",
            Ec2DeregisterTargets => "deregister the instance from every ELBv2 target group it is in",
            Ec2Isolate => {
                "put every ENI in an isolation security group with no rules (through an all-open group first, so tracked connections become untracked and are cut)"
            }
            Ec2Terminate => "terminate the instance (only with allow_terminate = true)",
            S3BlockPublicAccess => {
                "turn on all four Block Public Access settings of the bucket (with ExpectedBucketOwner)"
            }
            IamDeactivateAccessKey => "deactivate the IAM user's long-term (AKIA) access key",
            IamRevokeSessions => "an inline deny of everything for sessions issued before now (aws:TokenIssueTime)",
            CloudtrailStartLogging => "start the trail's logging again",
            Ec2RevokeIngress => "revoke exactly the world-open permission the call added",
            Ec2UnshareSnapshot => "remove `all` from the snapshot's create-volume permission",
            Ec2UnshareImage => "remove `all` from the image's launch permission",
            RdsUnshareSnapshot => "remove `all` from the DB (cluster) snapshot's restore attribute",
        }
    }

    /// The IAM actions it needs (the stack's response policy grants exactly these).
    pub const fn iam(self) -> &'static [&'static str] {
        match self {
            Ec2Tag => &["ec2:DescribeInstances", "ec2:CreateTags"],
            Ec2Protect => &["ec2:DescribeInstances", "ec2:DescribeInstanceAttribute", "ec2:ModifyInstanceAttribute"],
            Ec2Snapshot => &["ec2:DescribeInstances", "ec2:DescribeSnapshots", "ec2:CreateSnapshot", "ec2:CreateTags"],
            Ec2CaptureMetadata => {
                &["ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces", "ec2:DescribeVolumes", "s3:PutObject"]
            }
            Ec2CaptureScreenshot => &["ec2:GetConsoleScreenshot", "s3:PutObject"],
            Ec2CollectForensics => &["ssm:DescribeInstanceInformation", "ssm:SendCommand", "s3:PutObject"],
            Ec2RemoveInstanceProfile => &[
                "ec2:DescribeIamInstanceProfileAssociations",
                "ec2:DisassociateIamInstanceProfile",
                "iam:GetInstanceProfile",
                "iam:PutRolePolicy",
            ],
            Ec2DetachAsg => &["autoscaling:DescribeAutoScalingInstances", "autoscaling:DetachInstances"],
            Ec2DeregisterTargets => &[
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
                "elasticloadbalancing:DeregisterTargets",
            ],
            Ec2Isolate => &[
                "ec2:DescribeInstances",
                "ec2:DescribeSecurityGroups",
                "ec2:CreateSecurityGroup",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:ModifyNetworkInterfaceAttribute",
            ],
            Ec2Terminate => &["ec2:DescribeInstances", "ec2:ModifyInstanceAttribute", "ec2:TerminateInstances"],
            S3BlockPublicAccess => {
                &["s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock", "s3:GetBucketTagging"]
            }
            IamDeactivateAccessKey => &["iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:ListUserTags"],
            IamRevokeSessions => &[
                "iam:GetRole",
                "iam:GetUser",
                "iam:PutRolePolicy",
                "iam:PutUserPolicy",
                "iam:ListRoleTags",
                "iam:ListUserTags",
            ],
            CloudtrailStartLogging => &["cloudtrail:GetTrailStatus", "cloudtrail:StartLogging"],
            Ec2RevokeIngress => &["ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupIngress"],
            Ec2UnshareSnapshot => &["ec2:DescribeSnapshotAttribute", "ec2:ModifySnapshotAttribute"],
            Ec2UnshareImage => &["ec2:DescribeImageAttribute", "ec2:ModifyImageAttribute"],
            RdsUnshareSnapshot => &[
                "rds:DescribeDBSnapshotAttributes",
                "rds:ModifyDBSnapshotAttribute",
                "rds:DescribeDBClusterSnapshotAttributes",
                "rds:ModifyDBClusterSnapshotAttribute",
            ],
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.id())
    }
}
