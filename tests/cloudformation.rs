//! The stack template: cfn-lint clean, and its EventBridge patterns are the registry's.
#![cfg(feature = "aws")]

mod support;

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;
use support::venv_bin;

const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/cloudformation/template.yaml");
const FORWARDER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/cloudformation/forwarder.yaml");
const ORG_TRAIL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/cloudformation/org-trail.yaml");
const FACTS_ROLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/cloudformation/facts-role.yaml");
const BACKFILL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/cloudformation/backfill.yaml");

/// The stack template as JSON.
fn template() -> Value {
    load(TEMPLATE)
}

/// A template as JSON, read by cfn-lint's own loader (it understands `!Ref`, `!GetAtt`, ...).
fn load(path: &str) -> Value {
    let out = Command::new(venv_bin().join("python"))
        .args([
            "-c",
            "import json,sys; from cfnlint.decode import cfn_yaml; print(json.dumps(cfn_yaml.load(sys.argv[1])))",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A pattern with its lists sorted, so order does not matter.
fn normalized(v: &Value) -> Value {
    match v {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(normalized).collect();
            items.sort_by_key(|i| i.to_string());
            Value::Array(items)
        }
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), normalized(v))).collect()),
        other => other.clone(),
    }
}

#[test]
fn cfn_lint_reports_nothing() {
    for path in [TEMPLATE, FORWARDER, ORG_TRAIL, FACTS_ROLE, BACKFILL] {
        let out = Command::new(venv_bin().join("cfn-lint")).arg(path).output().unwrap();
        let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && report.trim().is_empty(), "cfn-lint {path}:\n{report}");
    }
}

#[test]
fn the_templates_route_exactly_the_events_the_registry_wants() {
    let wanted: BTreeSet<String> = trailwarden::cloudtrail::pattern::event_patterns(
        trailwarden::registry(),
        trailwarden::cloudtrail::pattern::MAX_PATTERN_CHARS,
    )
    .iter()
    .map(|p| normalized(p).to_string())
    .collect();
    if std::env::var_os("UPDATE_TEMPLATE").is_some() {
        regenerate_patterns();
    }
    for path in [TEMPLATE, FORWARDER] {
        let in_template: BTreeSet<String> = load(path)["Resources"]
            .as_object()
            .unwrap()
            .values()
            // The CloudTrail rules (the findings rules are checked below).
            .filter(|r| {
                r["Type"] == "AWS::Events::Rule"
                    && r["Properties"]["EventPattern"]["detail-type"].to_string().contains("via CloudTrail")
            })
            .map(|r| normalized(&r["Properties"]["EventPattern"]).to_string())
            .collect();
        assert_eq!(
            in_template, wanted,
            "{path}'s event patterns differ from the rules': regenerate them from \
             `cargo run --example replay -- --print-event-pattern` (one AWS::Events::Rule per pattern), \
             or UPDATE_TEMPLATE=1 cargo test --test cloudformation"
        );
    }
}

#[test]
fn the_function_runs_the_binary_cargo_lambda_packages() {
    let t = template();
    let f = &t["Resources"]["Function"]["Properties"];
    // cargo lambda packages the `trailwarden-lambda` binary as `bootstrap` for provided.* runtimes.
    assert_eq!(f["Runtime"], "provided.al2023");
    assert_eq!(f["Handler"], "bootstrap");
    assert_eq!(f["MemorySize"], 128);
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"trailwarden-lambda\""));
    let env = f["Environment"]["Variables"].as_object().unwrap();
    for var in [
        "ACCOUNTNAME",
        "EMAILIDS",
        "SECRETNAME",
        "SECRETREGION",
        "TRAILWARDEN_DEDUPE_TABLE",
        "TRAILWARDEN_SNS_TOPIC_ARN",
        "TRAILWARDEN_FINDINGS_MIN_SEVERITY",
        "TRAILWARDEN_FINDINGS_UPDATE_WORKFLOW",
        "TRAILWARDEN_SECURITYHUB_IMPORT",
    ] {
        assert!(env.contains_key(var), "{var} is not set for the function");
    }
}

#[test]
fn checkov_finds_nothing_unjustified() {
    // Each skipped check carries its justification in the resource's Metadata.
    for path in [TEMPLATE, FORWARDER, ORG_TRAIL, FACTS_ROLE, BACKFILL] {
        // checkov files the template's path under the function's environment (`__file__`) and
        // CKV_AWS_45 then scans that path for secrets: some absolute paths (a clone under
        // `/check/...`) look like one to it. Scanning by a relative name from the template's folder
        // keeps the result independent of where the clone lives.
        let path = std::path::Path::new(path);
        let out = Command::new(venv_bin().join("checkov"))
            .current_dir(path.parent().unwrap())
            .args(["--compact", "--quiet", "--framework", "cloudformation", "-f"])
            .arg(path.file_name().unwrap())
            .output()
            .unwrap();
        let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "checkov {}:\n{report}", path.display());
    }
}

/// A template value with `Fn::FindInMap [FindingsFloor, {Ref: FindingsMinSeverity}, key]`
/// resolved for `level`, at any depth.
fn resolve(v: &Value, maps: &Value, level: &str) -> Value {
    match v {
        Value::Object(m) if m.contains_key("Fn::FindInMap") => {
            let args = m["Fn::FindInMap"].as_array().unwrap();
            assert_eq!(args[1]["Ref"], "FindingsMinSeverity");
            maps[args[0].as_str().unwrap()][level][args[2].as_str().unwrap()].clone()
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), resolve(x, maps, level))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(|x| resolve(x, maps, level)).collect()),
        other => other.clone(),
    }
}

/// The findings rules route exactly what `findings::pattern` says, at every FindingsMinSeverity.
#[test]
fn the_findings_rules_route_the_findings_at_or_above_the_threshold() {
    use trailwarden::Severity;
    use trailwarden::findings::pattern::{custom_action_pattern, guardduty_pattern, securityhub_imported_pattern};
    let t = template();
    let levels = t["Parameters"]["FindingsMinSeverity"]["AllowedValues"].as_array().unwrap().clone();
    assert_eq!(t["Parameters"]["FindingsMinSeverity"]["Default"], "medium");
    for level in levels {
        let level = level.as_str().unwrap();
        let min: Severity = level.parse().unwrap();
        let pattern = |rule: &str| resolve(&t["Resources"][rule]["Properties"]["EventPattern"], &t["Mappings"], level);
        // Numbers compare as numbers (the mapping's 4 is GuardDuty's 4.0).
        let floor = pattern("GuardDutyFindingsRule")["detail"]["severity"][0]["numeric"][1].as_f64().unwrap();
        let want = guardduty_pattern(min);
        assert_eq!(floor, want["detail"]["severity"][0]["numeric"][1].as_f64().unwrap(), "{level}");
        let mut got = pattern("GuardDutyFindingsRule");
        got["detail"] = want["detail"].clone();
        assert_eq!(normalized(&got), normalized(&want), "{level}");
        assert_eq!(
            normalized(&pattern("SecurityHubFindingsRule")),
            normalized(&securityhub_imported_pattern(min)),
            "{level}"
        );
    }
    let mut action = t["Resources"]["EscalateToSocRule"]["Properties"]["EventPattern"].clone();
    assert_eq!(action["resources"][0]["Fn::GetAtt"], serde_json::json!(["EscalateToSoc", "ActionTargetArn"]));
    action["resources"][0] = Value::String("arn".into());
    assert_eq!(normalized(&action), normalized(&custom_action_pattern("arn")));
    assert_eq!(t["Resources"]["EscalateToSoc"]["Properties"]["Name"], "Escalate to SOC");
    // Every findings rule targets the function, may invoke it, and may dead-letter to the queue.
    let dlq = t["Resources"]["DeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]["Condition"]
        ["ArnEquals"]["aws:SourceArn"]
        .to_string();
    for rule in ["GuardDutyFindingsRule", "SecurityHubFindingsRule", "EscalateToSocRule"] {
        assert_eq!(t["Resources"][rule]["Properties"]["Targets"][0]["Arn"]["Fn::GetAtt"][0], "Function");
        assert_eq!(t["Resources"][format!("Invoke{rule}")]["Properties"]["SourceArn"]["Fn::GetAtt"][0], rule);
        assert!(dlq.contains(rule), "{rule} may not dead-letter: {dlq}");
    }
}

/// The role may write the ledger table alone, publish to the stack's topic alone, and update
/// findings only when asked to; the table expires entries.
#[test]
fn the_role_grants_the_ledger_topic_and_workflow_narrowly() {
    let t = template();
    let statements = t["Resources"]["FunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .clone();
    let find = |sid: &str| -> Value {
        statements
            .iter()
            .find_map(|s| match s.get("Fn::If") {
                Some(branches) if branches[1]["Sid"] == sid => {
                    Some(serde_json::json!({"if": branches[0], "then": branches[1]}))
                }
                _ if s["Sid"] == sid => Some(serde_json::json!({"then": s})),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no statement {sid}"))
    };
    let ledger = find("SentAlertsLedger");
    assert_eq!(
        ledger["then"]["Action"],
        serde_json::json!(["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"])
    );
    assert_eq!(ledger["then"]["Resource"]["Fn::GetAtt"], serde_json::json!(["SentAlertsTable", "Arn"]));
    let sns = find("PublishAlerts");
    assert_eq!(sns["if"], "CreateTheTopic");
    assert_eq!(sns["then"]["Action"], "sns:Publish");
    assert_eq!(sns["then"]["Resource"]["Ref"], "AlertsTopic");
    let workflow = find("FindingsWorkflow");
    assert_eq!(workflow["if"], "UpdatesWorkflow");
    assert_eq!(workflow["then"]["Action"], "securityhub:BatchUpdateFindings");
    let table = &t["Resources"]["SentAlertsTable"]["Properties"];
    assert_eq!(table["TimeToLiveSpecification"]["AttributeName"], "expires");
    assert_eq!(table["KeySchema"][0]["AttributeName"], "pk");
    assert_eq!(
        t["Resources"]["AlertsMetricFilter"]["Properties"]["FilterPattern"],
        "{ $.fields.message = \"alert sent\" }"
    );
    assert_eq!(t["Resources"]["Dashboard"]["Type"], "AWS::CloudWatch::Dashboard");
}

#[test]
fn the_response_policy_grants_exactly_what_the_actions_need() {
    use std::collections::BTreeSet;
    let t = template();
    let policy = &t["Resources"]["ResponsePolicy"];
    assert_eq!(policy["Condition"], "Responds");
    let mut granted = BTreeSet::new();
    for statement in policy["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap() {
        // A conditional statement is `Fn::If: [condition, statement, AWS::NoValue]`.
        let statement = statement.get("Fn::If").map(|f| &f[1]).unwrap_or(statement);
        if statement["Effect"] != "Allow" {
            continue;
        }
        match &statement["Action"] {
            Value::String(a) => {
                granted.insert(a.clone());
            }
            Value::Array(list) => granted.extend(list.iter().map(|a| a.as_str().unwrap().to_string())),
            other => panic!("{other}"),
        }
    }
    let needed: BTreeSet<String> = trailwarden::respond::Action::ALL
        .iter()
        .flat_map(|a| a.iam().iter().map(|p| p.to_string()))
        // The evidence bucket's PutObject and the table's UpdateItem are granted on their own.
        .collect();
    assert_eq!(
        granted,
        needed,
        "granted but unused: {:?}; needed but not granted: {:?}",
        granted.difference(&needed).collect::<Vec<_>>(),
        needed.difference(&granted).collect::<Vec<_>>()
    );
    let env = &t["Resources"]["Function"]["Properties"]["Environment"]["Variables"];
    for var in [
        "TRAILWARDEN_RESPOND",
        "TRAILWARDEN_RESPOND_ACTIONS",
        "TRAILWARDEN_RESPOND_MIN_SEVERITY",
        "TRAILWARDEN_ALLOW_TERMINATE",
        "TRAILWARDEN_EVIDENCE_BUCKET",
    ] {
        assert!(!env[var].is_null(), "{var} is not passed to the function");
    }
    let bucket = &t["Resources"]["EvidenceBucket"]["Properties"];
    assert_eq!(bucket["VersioningConfiguration"]["Status"], "Enabled");
    assert_eq!(bucket["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"], true);
}

/// One pattern as the templates write it: the detail-types, then sources and names one a line.
fn pattern_yaml(p: &Value) -> String {
    let list = |v: &Value, indent: &str| -> String {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| match x.as_str() {
                Some(s) => format!("{indent}- \"{s}\"\n"),
                None => format!("{indent}- prefix: \"{}\"\n", x["prefix"].as_str().unwrap()),
            })
            .collect()
    };
    format!(
        "      EventPattern:\n        detail-type:\n{}        detail:\n          eventSource:\n{}          eventName:\n{}",
        list(&p["detail-type"], "          "),
        list(&p["detail"]["eventSource"], "            "),
        list(&p["detail"]["eventName"], "            "),
    )
}

/// Rewrites the CloudTrail rules of both templates from the registry (`UPDATE_TEMPLATE=1`): in the
/// stack one `CloudTrailRuleN` and its `InvokePermissionN` per pattern, in the forwarder one
/// `ForwardRuleN`.
fn regenerate_patterns() {
    let patterns = trailwarden::cloudtrail::pattern::event_patterns(
        trailwarden::registry(),
        trailwarden::cloudtrail::pattern::MAX_PATTERN_CHARS,
    );
    let n = patterns.len();
    let mut stack = String::new();
    let mut forwarder = String::new();
    for (i, p) in patterns.iter().enumerate() {
        let i = i + 1;
        stack.push_str(&format!(
            "  CloudTrailRule{i}:\n    Type: AWS::Events::Rule\n    Properties:\n      Description: \"trailwarden: CloudTrail events its rules look at (pattern {i} of {n}, generated by replay --print-event-pattern)\"\n      EventBusName: default\n      State: ENABLED\n{}      Targets:\n        - Id: trailwarden\n          Arn: !GetAtt Function.Arn\n          RetryPolicy:\n            MaximumRetryAttempts: 185\n            MaximumEventAgeInSeconds: 86400\n          DeadLetterConfig:\n            Arn: !GetAtt DeadLetterQueue.Arn\n\n  InvokePermission{i}:\n    Type: AWS::Lambda::Permission\n    Properties:\n      FunctionName: !Ref Function\n      Action: lambda:InvokeFunction\n      Principal: events.amazonaws.com\n      SourceArn: !GetAtt CloudTrailRule{i}.Arn\n      SourceAccount: !Ref AWS::AccountId\n\n",
            pattern_yaml(p)
        ));
        forwarder.push_str(&format!(
            "  ForwardRule{i}:\n    Type: AWS::Events::Rule\n    Condition: NotTheAlertingRegion\n    Properties:\n      Description: \"trailwarden forwarder: the CloudTrail events its rules look at (pattern {i} of {n}, generated by replay --print-event-pattern)\"\n      EventBusName: default\n      State: ENABLED\n{}      Targets:\n        - Id: alerting-region\n          Arn: !Sub arn:${{AWS::Partition}}:events:${{AlertingRegion}}:${{AWS::AccountId}}:event-bus/default\n          RoleArn: !GetAtt ForwardRole.Arn\n\n",
            pattern_yaml(p)
        ));
    }
    for (path, first, next, text) in [
        (TEMPLATE, "  CloudTrailRule1:\n", "  GuardDutyFindingsRule:\n", stack),
        (FORWARDER, "  ForwardRule1:\n", "  ForwardFindings:\n", forwarder),
    ] {
        let old = std::fs::read_to_string(path).unwrap();
        let (start, end) = (old.find(first).unwrap(), old.find(next).unwrap());
        std::fs::write(path, format!("{}{text}{}", &old[..start], &old[end..])).unwrap();
    }
}

#[test]
fn the_org_trail_stack_reads_the_bucket_through_a_queue_with_batch_item_failures() {
    let t = load(ORG_TRAIL);
    let r = &t["Resources"];
    // New log files under the trail's prefix, from S3's EventBridge events, to the queue.
    let rule = &r["TrailObjectsRule"]["Properties"];
    assert_eq!(rule["EventPattern"]["source"], serde_json::json!(["aws.s3"]));
    assert_eq!(rule["EventPattern"]["detail-type"], serde_json::json!(["Object Created"]));
    assert_eq!(rule["Targets"][0]["Arn"], serde_json::json!({"Fn::GetAtt": ["ObjectsQueue", "Arn"]}));
    // The queue feeds the function, which reports failed messages alone; a poison message ends
    // in the dead-letter queue.
    let mapping = &r["ObjectsToFunction"]["Properties"];
    assert_eq!(mapping["FunctionResponseTypes"], serde_json::json!(["ReportBatchItemFailures"]));
    assert_eq!(mapping["EventSourceArn"], serde_json::json!({"Fn::GetAtt": ["ObjectsQueue", "Arn"]}));
    let redrive = &r["ObjectsQueue"]["Properties"]["RedrivePolicy"];
    assert_eq!(redrive["deadLetterTargetArn"], serde_json::json!({"Fn::GetAtt": ["ObjectsDeadLetterQueue", "Arn"]}));
    // The function's settings are the ones `LambdaConfig::from_env` reads.
    let f = &r["Function"]["Properties"];
    assert_eq!(f["Handler"], "bootstrap");
    let env = f["Environment"]["Variables"].as_object().unwrap();
    for var in [
        "EMAILIDS",
        "SECRETNAME",
        "TRAILWARDEN_DEDUPE_TABLE",
        "TRAILWARDEN_TRAIL_PREFIX",
        "TRAILWARDEN_TRAIL_ACCOUNTS",
        "TRAILWARDEN_ACCOUNT_NAMES",
        "TRAILWARDEN_ACCOUNT_NAMES_FROM_ORGANIZATIONS",
    ] {
        assert!(env.contains_key(var), "{var} is not set for the function");
    }
    // Organizations is listed only when the names are asked for.
    let statements = &r["FunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
    let org =
        statements.as_array().unwrap().iter().find(|s| s.to_string().contains("organizations:ListAccounts")).unwrap();
    assert_eq!(org["Fn::If"][0], "NamesFromOrganizations");
    // It may read the trail's log files and nothing else of the bucket.
    let statements = r["FunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].to_string();
    assert!(statements.contains("${TrailBucket}/${TrailPrefix}AWSLogs/*"), "{statements}");
    assert!(!statements.contains("s3:PutObject") && !statements.contains("s3:*"));
}

/// A value with every `${Name}` of the definition's substitutions replaced by a sample, and
/// every JSONPath (`"key.$": "$.a.b"`) read from `input`, as Step Functions would pass it.
fn resolve_paths(v: &Value, input: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| match (k.strip_suffix(".$"), v.as_str()) {
                    (Some(key), Some(path)) if path.starts_with("$.") => {
                        let mut at = input;
                        for part in path[2..].split('.') {
                            at = &at[part];
                        }
                        assert!(!at.is_null(), "{path} is not in the state's input {input}");
                        (key.to_string(), at.clone())
                    }
                    (Some(key), Some("$")) => (key.to_string(), input.clone()),
                    _ => (k.clone(), resolve_paths(v, input)),
                })
                .collect(),
        ),
        Value::String(s) if s.starts_with("${") => Value::String(format!("sample-{}", &s[2..s.len() - 1])),
        other => other.clone(),
    }
}

#[test]
fn the_backfill_state_machine_is_a_distributed_map_whose_steps_the_function_takes() {
    use trailwarden::lambda::backfill::{Call, backfill_call};
    let t = load(BACKFILL);
    let machine = &t["Resources"]["StateMachine"]["Properties"];
    let def = &machine["Definition"];
    let states = def["States"].as_object().unwrap();
    // Every transition lands on a state, and the run ends after the summary.
    let mut at = def["StartAt"].as_str().unwrap().to_string();
    let mut path = vec![at.clone()];
    while let Some(next) = states[&at]["Next"].as_str() {
        assert!(states.contains_key(next), "{at} goes to {next}, which is not a state");
        at = next.to_string();
        path.push(at.clone());
    }
    assert_eq!(path, ["Defaults", "Run", "Plan", "Read", "Summary"]);
    assert_eq!(states["Summary"]["End"], true);
    // Each DefinitionSubstitution is used, and each ${...} has one.
    let text = def.to_string();
    let subs = machine["DefinitionSubstitutions"].as_object().unwrap();
    for name in subs.keys() {
        assert!(text.contains(&format!("${{{name}}}")), "{name} is never used");
    }
    for used in text.split("${").skip(1).map(|s| s.split('}').next().unwrap()) {
        assert!(subs.contains_key(used), "${{{used}}} has no substitution");
    }

    // The Map: distributed, express children, the plan's manifest read as JSON, batched by
    // the stack's parameters, results written as JSON lines of each child's array.
    let map = &states["Read"];
    assert_eq!(map["Type"], "Map");
    assert_eq!(
        map["ItemProcessor"]["ProcessorConfig"],
        serde_json::json!({"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"})
    );
    assert_eq!(map["ItemReader"]["Resource"], "arn:aws:states:::s3:getObject");
    assert_eq!(map["ItemReader"]["ReaderConfig"]["InputType"], "JSON");
    assert_eq!(map["MaxConcurrencyPath"], "$.limits.concurrency");
    assert_eq!(map["ItemBatcher"]["MaxItemsPerBatchPath"], "$.limits.daysPerChild");
    assert_eq!(map["ToleratedFailurePercentagePath"], "$.limits.toleratedFailure");
    assert_eq!(
        map["ResultWriter"]["WriterConfig"],
        serde_json::json!({"OutputType": "JSONL", "Transformation": "FLATTEN"})
    );
    let run = &states["Run"]["Parameters"]["limits"];
    for (key, param) in [
        ("concurrency.$", "MaxConcurrency"),
        ("daysPerChild.$", "DaysPerChild"),
        ("toleratedFailure.$", "ToleratedFailurePercentage"),
    ] {
        assert_eq!(run[key], format!("States.StringToJson('${{{param}}}')"));
        assert_eq!(subs[param], serde_json::json!({"Ref": param}));
        assert!(t["Parameters"][param]["Type"] == "Number", "{param}");
    }
    // The Map's child is one function call with the batch as its payload, retried.
    let child = &map["ItemProcessor"]["States"]["ReadDays"];
    assert_eq!(child["Parameters"]["Payload.$"], "$");
    // Two tries of the function's timeout fit in an express child's 5 minutes.
    let timeout = t["Resources"]["Function"]["Properties"]["Timeout"].as_u64().unwrap();
    assert!(child["TimeoutSeconds"].as_u64().unwrap() >= timeout);
    let tries = 1 + child["Retry"].as_array().unwrap().last().unwrap()["MaxAttempts"].as_u64().unwrap();
    assert!(tries * child["TimeoutSeconds"].as_u64().unwrap() + 10 <= 300, "{tries} tries");

    // The state after Run, as the Pass states make it from an execution's input.
    let state = serde_json::json!({
        "run": {"Since": "2025-01-01", "Until": "2025-12-31", "Accounts": [], "Regions": [], "Digest": false},
        "report": "reports/exec-1/",
        "limits": {"concurrency": 100, "daysPerChild": 1, "toleratedFailure": 5},
        "plan": {"Bucket": "reports-bucket", "Key": "reports/exec-1/days.json", "Days": 10},
        "map": {"ResultWriterDetails": {"Bucket": "reports-bucket", "Key": "reports/exec-1/results/x/manifest.json"}}
    });
    // What the plan and summary steps send is what the function reads as those calls.
    let plan = resolve_paths(&states["Plan"]["Parameters"]["Payload"], &state);
    assert!(matches!(backfill_call(&plan.to_string()), Some(Ok(Call::Plan(_)))), "{plan}");
    let summary = resolve_paths(&states["Summary"]["Parameters"]["Payload"], &state);
    assert!(matches!(backfill_call(&summary.to_string()), Some(Ok(Call::Summary(_)))), "{summary}");
    // A child gets the batcher's BatchInput and items of the plan's manifest.
    let batch_input = resolve_paths(&map["ItemBatcher"]["BatchInput"], &state);
    let child_input = serde_json::json!({"Items": [{"Prefix": "AWSLogs/111122223333/CloudTrail/eu-west-1/2025/01/01/"}], "BatchInput": batch_input});
    assert!(matches!(backfill_call(&child_input.to_string()), Some(Ok(Call::Child(_)))), "{child_input}");
    // The ItemReader and ResultWriter read the state too.
    resolve_paths(&map["ItemReader"]["Parameters"], &state);

    // cfn-lint checks the definition against the Amazon States Language schema (E3601): a
    // broken copy of it fails.
    let broken =
        std::fs::read_to_string(BACKFILL).unwrap().replace("            Type: Map\n", "            Type: Mapp\n");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("backfill.yaml");
    std::fs::write(&copy, broken).unwrap();
    let out = Command::new(venv_bin().join("cfn-lint")).arg(&copy).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("E3601"), "{}", String::from_utf8_lossy(&out.stdout));

    // The state machine may start its own children and use the report bucket; the function
    // reads the trail's log files and writes only reports.
    let sm_policy = t["Resources"]["StateMachineRole"]["Properties"]["Policies"][0]["PolicyDocument"].to_string();
    assert!(
        sm_policy.contains("states:StartExecution") && sm_policy.contains("stateMachine:${AWS::StackName}-backfill")
    );
    assert_eq!(machine["StateMachineName"], serde_json::json!({"Fn::Sub": "${AWS::StackName}-backfill"}));
    let f_policy = t["Resources"]["FunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"].to_string();
    assert!(f_policy.contains("${TrailBucket}/${TrailPrefix}AWSLogs/*"));
    assert!(f_policy.contains("${ReportBucket.Arn}/reports/*"));
    assert!(!f_policy.contains("s3:*") && !f_policy.contains("s3:DeleteObject"));
}

/// A claim must outlast any live send (the function's timeout) and lapse before the retry that
/// follows a delivery that died mid-send, in both stacks that send alerts.
#[test]
fn the_claim_lease_outlasts_the_function_and_lapses_before_its_retries() {
    for path in [TEMPLATE, concat!(env!("CARGO_MANIFEST_DIR"), "/cloudformation/org-trail.yaml")] {
        let t = load(path);
        let f = &t["Resources"]["Function"]["Properties"];
        let timeout = f["Timeout"].as_i64().unwrap();
        let lease: i64 =
            f["Environment"]["Variables"]["TRAILWARDEN_CLAIM_LEASE_SECONDS"].as_str().unwrap().parse().unwrap();
        assert!(lease > timeout, "{path}: lease {lease} s, timeout {timeout} s");
        // Lambda's second asynchronous retry comes about 3 minutes after the first try (the org
        // trail's queue redelivers after its visibility timeout, later still).
        assert!(lease <= 180, "{path}: lease {lease} s");
    }
}

/// Both stacks that send alerts group storms: the function may schedule its own flush and pass
/// the schedule's role, which may invoke exactly that function; flushes that fail every try end
/// in a dead-letter queue.
#[test]
fn both_stacks_let_scheduler_flush_digests_into_their_own_function() {
    for path in [TEMPLATE, ORG_TRAIL] {
        let t = load(path);
        let r = &t["Resources"];
        let f = &r["Function"]["Properties"];
        let env = &f["Environment"]["Variables"];
        assert_eq!(
            env["TRAILWARDEN_DIGEST_SCHEDULE_ROLE_ARN"],
            serde_json::json!({"Fn::GetAtt": ["DigestScheduleRole", "Arn"]})
        );
        assert!(env["TRAILWARDEN_DIGEST_DEAD_LETTER_ARN"].is_object(), "{path}");
        assert!(env["TRAILWARDEN_STORM_WINDOW_MINUTES"].is_object(), "{path}");
        // The role invokes the function by its name, with or without a qualifier.
        let name = f["FunctionName"]["Fn::Sub"].as_str().unwrap();
        let role = r["DigestScheduleRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].to_string();
        assert!(
            role.contains(&format!(":function:{name}\"")) && role.contains(&format!(":function:{name}:*")),
            "{path}: {role}"
        );
        assert!(r["DigestScheduleRole"].to_string().contains("scheduler.amazonaws.com"));
        let statements = r["FunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].to_string();
        assert!(
            statements.contains("scheduler:CreateSchedule") && statements.contains("schedule/default/tw-*"),
            "{path}"
        );
        assert!(
            statements.contains("iam:PassedToService") && statements.contains("\"scheduler.amazonaws.com\""),
            "{path}"
        );
        assert!(f["DeadLetterConfig"]["TargetArn"].is_object(), "{path}: asynchronous invocations keep a DLQ");
    }
}
