use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A Lambda function URL created or updated with `authType: NONE`: `CreateFunctionUrlConfig`
    /// or `UpdateFunctionUrlConfig` (API-version suffixes included). The URL is then callable by
    /// anyone on the internet without signing; whether it is reachable also depends on the
    /// function's resource policy (`lambda-function-policy-public` watches the permission).
    /// `AWS_IAM` auth stays quiet.
    /// ## Why it matters
    /// An unauthenticated URL on a function with a privileged role is a public backdoor into the
    /// account, and a cost-abuse target; attackers add one for persistence.
    /// ## How to fix
    /// Switch it to IAM auth (`aws lambda update-function-url-config --region <region> --function-name <lambda-function> --auth-type AWS_IAM`)
    /// or delete it (`aws lambda delete-function-url-config --region <region> --function-name <lambda-function>`), and review the
    /// function's invocations since.
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
    /// - https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunctionUrlConfig.html
    /// - https://attack.mitre.org/techniques/T1133/
    FUNCTION_URL_PUBLIC {
        id: "lambda-function-url-public",
        title: "Lambda function URL without authentication",
        severity: Severity::High,
        source: "lambda.amazonaws.com",
        events: &["CreateFunctionUrlConfig", "UpdateFunctionUrlConfig"],
        attack: Some("T1133"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    function_name: Option<String>,
    auth_type: Option<String>,
    qualifier: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    function_url: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    if !req.auth_type.as_deref().is_some_and(|a| a.trim().eq_ignore_ascii_case("NONE")) {
        return Ok(Vec::new());
    }
    let function = function_name(req.function_name.as_deref().unwrap_or_default());
    let mut detection = Detection::new(
        format!("Lambda function {function} has a function URL anyone can call (auth NONE)"),
        Resource::new(ResourceKind::LAMBDA_FUNCTION, &function),
    )
    .field("Function", &function)
    .field("Auth type", "NONE");
    if let Some(url) = ev.response_or_default::<Response>().function_url {
        detection = detection.field("URL", url);
    }
    if let Some(q) = req.qualifier {
        detection = detection.field("Qualifier", q);
    }
    Ok(vec![detection])
}
