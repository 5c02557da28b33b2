use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// An `AddPermission` call (`AddPermission20150331v2` in CloudTrail) that adds a statement
    /// to a Lambda function's resource policy for principal `*` (or an ARN with a wildcard
    /// account) without `sourceArn`, `sourceAccount` or `principalOrgID` narrowing who may use
    /// it. A permission for a function URL with `functionUrlAuthType` `NONE` is critical: anyone
    /// on the internet can call the function without signing anything. Other public permissions
    /// (`lambda:InvokeFunction`, or a URL with `AWS_IAM` auth) are high: any AWS account can use
    /// them. Permissions for an account, a role or a service principal stay quiet, as do public
    /// ones pinned to a fixed source ARN, source account or organization.
    /// ## Why it matters
    /// A function anyone can invoke runs with its execution role's permissions for whoever calls
    /// it: a ready-made backdoor, and a classic persistence trick (Stratus Red Team's "backdoor
    /// Lambda function"). An open function URL also invites abuse of the function's cost and of
    /// whatever it reaches.
    /// ## How to fix
    /// Remove the statement: `aws lambda remove-permission --region <region> --function-name <lambda-function> --statement-id <statement-id>`
    /// (see `aws lambda get-policy --region <region> --function-name <lambda-function>`). If the function must be reachable by a
    /// service, add the permission again with `--source-arn` / `--source-account`; if a URL must
    /// be public, put authentication in the function or use `AWS_IAM` auth behind CloudFront.
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
    /// - https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
    /// - https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html
    FUNCTION_POLICY_PUBLIC {
        id: "lambda-function-policy-public",
        title: "Lambda function policy grants access to everyone",
        severity: Severity::High,
        source: "lambda.amazonaws.com",
        events: &["AddPermission"],
    }
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: AddPermissionRequest = ev.request()?;
    let principal = req.principal.as_deref().unwrap_or_default();
    if !principal_is_everyone(principal) {
        return Ok(Vec::new());
    }
    let narrowed = [
        ("aws:SourceArn", req.source_arn.as_deref()),
        ("aws:SourceAccount", req.source_account.as_ref().map(|s| s.0.as_str())),
        ("aws:PrincipalOrgID", req.principal_org_id.as_deref()),
    ]
    .into_iter()
    .any(|(key, value)| value.is_some_and(|v| restricts_callers(key, v)));
    if narrowed {
        return Ok(Vec::new());
    }

    let function = req.function_name.unwrap_or_default();
    let name = function_name(&function);
    let action = req.action.unwrap_or_default();
    let open_url = req.function_url_auth_type.as_deref().is_some_and(|t| t.trim().eq_ignore_ascii_case("NONE"));
    let summary = if open_url {
        format!("Lambda function {name} can be invoked by anyone on the internet through its function URL (auth NONE)")
    } else {
        format!("Lambda function {name} policy grants {action} to everyone")
    };
    let mut resource = Resource::new(ResourceKind::LAMBDA_FUNCTION, &name);
    if function.starts_with("arn:") {
        resource = resource.with_arn(&function);
    } else if !name.contains(':') && !ev.aws_region.is_empty() && !ev.account_id.is_empty() {
        resource = resource.with_arn(format!("arn:aws:lambda:{}:{}:function:{name}", ev.aws_region, ev.account_id));
    }
    let mut finding = Detection::new(summary, resource)
        .field("Function", &function)
        .field("Statement", req.statement_id.unwrap_or_default())
        .field("Action", &action)
        .field("Principal", principal);
    if let Some(q) = req.qualifier {
        finding = finding.field("Qualifier", q);
    }
    if let Some(auth) = req.function_url_auth_type {
        finding = finding.field("Function URL auth type", auth);
    }
    if open_url {
        finding = finding.severity(Severity::Critical);
    }
    Ok(vec![finding])
}
