use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// `UpdateFunctionCode` (`UpdateFunctionCode20150331v2` and other API-version suffixes)
    /// by a person: the rule is `people_only`, so deployments through CloudFormation, CodeDeploy
    /// or SAM (a service acting for the caller, `invokedBy`) and AWS's own calls are skipped.
    /// The alert shows where the code came from (S3 object, image URI, or an uploaded zip) and
    /// whether a version was published.
    /// ## Why it matters
    /// Replacing a function's code by hand is how attackers backdoor a function that already has
    /// a trusted role, triggers and callers (Stratus Red Team's "overwrite Lambda function
    /// code"); code that did not come from the pipeline is unreviewed code running with
    /// production permissions.
    /// ## How to fix
    /// Compare the deployed code hash with your pipeline's build
    /// (`aws lambda get-function --region <region> --function-name <lambda-function>`); redeploy from
    /// source if it differs and rotate the role's credentials. Allow `lambda:UpdateFunctionCode`
    /// only to the deployment pipeline and enable code signing.
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionCode.html
    /// - https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html
    /// - https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.lambda-overwrite-code/
    /// - https://attack.mitre.org/techniques/T1525/
    CODE_UPDATED {
        id: "lambda-code-updated",
        title: "Lambda function code replaced by hand",
        severity: Severity::Medium,
        source: "lambda.amazonaws.com",
        events: &["UpdateFunctionCode"],
        attack: Some("T1525"),
        people_only: true,
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    function_name: Option<String>,
    s3_bucket: Option<String>,
    s3_key: Option<String>,
    image_uri: Option<String>,
    publish: Option<bool>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    code_sha256: Option<String>,
    version: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let resp = ev.response_or_default::<Response>();
    let function = function_name(req.function_name.as_deref().unwrap_or_default());
    let from = match (req.s3_bucket, req.s3_key, req.image_uri) {
        (Some(b), Some(k), _) => format!("s3://{b}/{k}"),
        (_, _, Some(image)) => image,
        _ => "an uploaded zip".to_string(),
    };
    let mut detection = Detection::new(
        format!("Code of Lambda function {function} was replaced by {}", ev.user_identity.name()),
        Resource::new(ResourceKind::LAMBDA_FUNCTION, &function),
    )
    .field("Function", &function)
    .field("Code from", from)
    .field("Published", if req.publish == Some(true) { "yes" } else { "no" });
    if let Some(sha) = resp.code_sha256 {
        detection = detection.field("Code SHA-256", sha);
    }
    if let Some(v) = resp.version {
        detection = detection.field("Version", v);
    }
    Ok(vec![detection])
}
