use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// An `AddPermission` (`AddPermission20150331v2`) that lets an AWS principal of another
    /// account use a Lambda function: `principal` is an account id or a principal ARN of an
    /// account other than the event's and not in `trusted_accounts`, and neither `sourceAccount`
    /// nor `sourceArn` pins it to your own account, nor `principalOrgID` to an organisation.
    /// Service principals (`s3.amazonaws.com`, ...) and grants to everyone
    /// (`lambda-function-policy-public`'s case) are not this rule's.
    /// ## Why it matters
    /// Another account that can invoke the function runs it with its execution role's
    /// permissions whenever it likes: a cross-account backdoor (Stratus Red Team's "backdoor
    /// Lambda function" with an account principal).
    /// ## How to fix
    /// Remove the statement: `aws lambda remove-permission --region <region> --function-name <lambda-function> --statement-id <statement-id>`,
    /// and find out who added it. Add accounts you do share with to `trusted_accounts`.
    /// ## References
    /// - https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-cross-account.html
    /// - https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html
    /// - https://attack.mitre.org/techniques/T1546/
    FUNCTION_POLICY_OTHER_ACCOUNT {
        id: "lambda-function-policy-other-account",
        title: "Lambda function policy grants another account",
        severity: Severity::Medium,
        source: "lambda.amazonaws.com",
        events: &["AddPermission"],
        attack: Some("T1546"),
    }
}

fn check(ev: &Event, cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: AddPermissionRequest = ev.request()?;
    let mine = |a: &str| !other_account(a, &ev.account_id, &cx.config.trusted_accounts);
    let Some(account) = req.principal.as_deref().and_then(principal_account).filter(|a| !mine(a)) else {
        return Ok(Vec::new());
    };
    let pinned = [
        ("aws:PrincipalOrgID", req.principal_org_id.as_deref()),
        ("aws:SourceAccount", req.source_account.as_ref().map(|s| s.0.as_str())),
        ("aws:SourceArn", req.source_arn.as_deref()),
    ]
    .into_iter()
    .any(|(key, value)| value.is_some_and(|v| limits_to_us(key, v, &mine)));
    if pinned {
        return Ok(Vec::new());
    }
    let function = function_name(req.function_name.as_deref().unwrap_or_default());
    let statement = req.statement_id.unwrap_or_default();
    Ok(vec![
        Detection::new(
            format!(
                "Lambda function {function} policy lets account {account} call {}",
                req.action.as_deref().unwrap_or("it")
            ),
            Resource::new(ResourceKind::LAMBDA_FUNCTION, &function),
        )
        .field("Other account", account)
        .field("Statement", &statement)
        .param("statement-id", statement),
    ])
}
