use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// `UpdateFunctionConfiguration` (`UpdateFunctionConfiguration20150331v2` and other
    /// API-version suffixes in CloudTrail) that sets a function's `layers`. A layer published by
    /// another account (not the function's, not in `trusted_accounts`, not an AWS-published
    /// layer account you listed there) is high; layers of the function's own account are medium.
    /// A configuration change without `layers` (memory, timeout, environment, role) and one that
    /// removes every layer (`"layers": []`) stay quiet.
    /// ## Why it matters
    /// A layer's code, and an extension in it, runs inside every invocation of the function with
    /// its role's credentials and sees every event: adding one is a quiet persistence and
    /// credential-theft path that leaves the function's own code untouched (Stratus Red Team's
    /// "add a malicious Lambda extension").
    /// ## How to fix
    /// Compare the layers with what your deployment sets
    /// (`aws lambda get-function-configuration --region <region> --function-name <lambda-function>`),
    /// redeploy the function from source if a layer is unknown, and rotate the function role's
    /// credentials. Allow `lambda:UpdateFunctionConfiguration` only to the deployment pipeline,
    /// and restrict layers with the `lambda:Layer` condition key.
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html
    /// - https://docs.aws.amazon.com/lambda/latest/dg/chapter-layers.html
    /// - https://docs.aws.amazon.com/lambda/latest/dg/lambda-extensions.html
    /// - https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.lambda-layer-extension/
    /// - https://attack.mitre.org/techniques/T1546/
    LAYER_ADDED {
        id: "lambda-layer-added",
        title: "Lambda function layers set or changed",
        severity: Severity::Medium,
        source: "lambda.amazonaws.com",
        events: &["UpdateFunctionConfiguration"],
        attack: Some("T1546"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    function_name: Option<String>,
    layers: Option<Vec<String>>,
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    let layers = req.layers.unwrap_or_default();
    if layers.is_empty() {
        return Ok(Vec::new());
    }
    let function = function_name(req.function_name.as_deref().unwrap_or_default());
    let foreign: Vec<&String> = layers
        .iter()
        .filter(|l| principal_account(l).is_some_and(|a| other_account(a, &ev.account_id, &cx.config.trusted_accounts)))
        .collect();
    let mut detection = Detection::new(
        format!("Lambda function {function} now runs layers {}", layers.join(", ")),
        Resource::new(ResourceKind::LAMBDA_FUNCTION, &function),
    )
    .field("Function", &function)
    .field("Layers", layers.join(", "));
    if !foreign.is_empty() {
        detection = detection
            .severity(Severity::High)
            .field("Layers from other accounts", foreign.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "));
    }
    Ok(vec![detection])
}
