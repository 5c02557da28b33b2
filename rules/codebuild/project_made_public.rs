use crate::prelude::*;

declare_rule! {
    /// ## What it detects
    /// A successful CodeBuild `UpdateProjectVisibility` to `PUBLIC_READ`: the project's build
    /// results, logs and artifacts become readable by anyone with the public URL. Setting it back
    /// to `PRIVATE` stays quiet.
    /// ## Why it matters
    /// Build logs routinely print environment variables, tokens and internal hostnames; a
    /// public project publishes them. Exposing it is a data-leak path that needs no other
    /// permission.
    /// ## How to fix
    /// Make it private again (`aws codebuild update-project-visibility --region <region> --project-arn <codebuild-project> --project-visibility PRIVATE`),
    /// read the builds that were public for secrets, and rotate any you find.
    /// ## References
    /// - https://docs.aws.amazon.com/codebuild/latest/APIReference/API_UpdateProjectVisibility.html
    /// - https://docs.aws.amazon.com/codebuild/latest/userguide/public-builds.html
    /// - https://attack.mitre.org/techniques/T1567/
    PROJECT_MADE_PUBLIC {
        id: "codebuild-project-made-public",
        title: "CodeBuild project made public",
        severity: Severity::High,
        source: "codebuild.amazonaws.com",
        events: &["UpdateProjectVisibility"],
        attack: Some("T1567"),
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    project_arn: Option<String>,
    project_visibility: Option<String>,
}

fn check(ev: &Event, _cx: &Context) -> Result<Vec<Detection>, FieldError> {
    let req: Request = ev.request()?;
    if !req.project_visibility.is_some_and(|v| v.eq_ignore_ascii_case("PUBLIC_READ")) {
        return Ok(Vec::new());
    }
    let arn = req.project_arn.unwrap_or_default();
    let name = arn.rsplit_once(":project/").map_or(arn.as_str(), |(_, n)| n).to_string();
    Ok(vec![
        Detection::new(
            format!("CodeBuild project {name} was made public"),
            Resource::new(ResourceKind::CODEBUILD_PROJECT, &arn),
        )
        .field("Project", &name)
        .field("Visibility", "PUBLIC_READ"),
    ])
}
