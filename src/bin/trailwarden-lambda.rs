//! The Lambda function: wiring only. The logic is `trailwarden::lambda::handle`.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::value::RawValue;
use trailwarden::Engine;
use trailwarden::dedupe::{InMemory, Ledger};
use trailwarden::facts::aws::AwsFacts;
use trailwarden::lambda::accounts::{AccountDirectory, OrganizationsDirectory};
use trailwarden::lambda::backfill::{self, Call, backfill_call};
use trailwarden::lambda::objects::{handle_sqs, sqs_event};
use trailwarden::lambda::{LambdaConfig, Options, flush, handle_with};
use trailwarden::notify::hold::{DynamoHolds, Schedules, flush_call};
use trailwarden::notify::securityhub::{SecurityHubImporter, SecurityHubWorkflow};
use trailwarden::notify::ses::SesMailer;
use trailwarden::notify::sns::SnsNotifier;
use trailwarden::notify::storm::Holds;
use trailwarden::notify::webhook::{Flavor, WebhookNotifier};
use trailwarden::notify::{Fanout, FindingsWorkflow, Notifier};
use trailwarden::objects::s3::S3Objects;
use trailwarden::respond::aws::{AwsResponder, DynamoBudget};
use trailwarden::respond::settings::Mode;
use trailwarden::respond::{Budget, InMemoryBudget, Responder};

use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let setting = std::env::var("TRAILWARDEN_LOG").ok();
    let (logs, parsed) = trailwarden::lambda::log_layer(setting.as_deref(), std::io::stdout);
    tracing_subscriber::registry().with(logs).init();
    if let Err(e) = parsed {
        tracing::warn!(error = %e, "TRAILWARDEN_LOG is not a log filter; logging at info");
    }

    // A bad configuration stops the function at start, with a message naming the variable.
    let (cfg, engine) = match LambdaConfig::from_env(|var| std::env::var(var).ok())
        .and_then(|cfg| Engine::new(cfg.rules.clone()).map(|engine| (cfg, engine)))
    {
        Ok(ready) => ready,
        Err(e) => {
            tracing::error!(error = %e, "bad configuration");
            eprintln!("trailwarden: bad configuration: {e}");
            std::process::exit(1);
        }
    };
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let mut secrets = aws_sdk_secretsmanager::config::Builder::from(&sdk);
    if let Some(region) = &cfg.secret_region {
        secrets = secrets.region(aws_sdk_secretsmanager::config::Region::new(region.clone()));
    }
    let secrets = aws_sdk_secretsmanager::Client::from_conf(secrets.build());
    let mailer = SesMailer::new(&sdk, secrets.clone(), &cfg.secret_name, cfg.recipients.clone());
    // Email always; then each channel the environment and the config file set up, in the order
    // of `LambdaConfig::channel_names` (routes name them).
    let sns = aws_sdk_sns::Client::new(&sdk);
    let mut channels: Vec<Box<dyn Notifier>> = vec![Box::new(mailer)];
    if let Some(topic) = &cfg.sns_topic_arn {
        channels.push(Box::new(SnsNotifier::new(sns.clone(), topic.clone())));
    }
    if let Some((secret, spec)) = &cfg.webhook {
        let flavor = spec.kind.parse().unwrap_or(Flavor::Slack);
        channels.push(Box::new(WebhookNotifier::new("webhook", flavor, secrets.clone(), secret.clone())));
    }
    if let Some(topic) = &cfg.amazon_q_topic_arn {
        channels.push(Box::new(SnsNotifier::amazon_q(sns.clone(), topic.clone())));
    }
    if cfg.securityhub_import {
        channels.push(Box::new(SecurityHubImporter::new(aws_sdk_securityhub::Client::new(&sdk))));
    }
    for spec in &cfg.rules.channels {
        let topic = spec.topic_arn.clone().unwrap_or_default();
        let secret = spec.secret.clone().unwrap_or_default();
        channels.push(match spec.kind.as_str() {
            "slack" => Box::new(WebhookNotifier::new(&spec.name, Flavor::Slack, secrets.clone(), secret)),
            "teams" => Box::new(WebhookNotifier::new(&spec.name, Flavor::Teams, secrets.clone(), secret)),
            "amazon-q" => Box::new(SnsNotifier::amazon_q(sns.clone(), topic).named(&spec.name)),
            _ => Box::new(SnsNotifier::new(sns.clone(), topic).named(&spec.name)),
        });
    }
    let notifier: Box<dyn Notifier> = match channels.len() {
        1 => channels.remove(0),
        _ => Box::new(Fanout(channels)),
    };
    let ledger: Box<dyn Ledger> = match &cfg.dedupe_table {
        Some(table) => Box::new(
            trailwarden::dedupe::dynamodb::DynamoLedger::new(aws_sdk_dynamodb::Client::new(&sdk), table.clone())
                .with_ttl_days(cfg.dedupe_ttl_days)
                .with_lease_secs(cfg.claim_lease_secs),
        ),
        None => Box::new(InMemory::new()),
    };
    // Storm groups and daily digests: in the dedupe table, flushed by Scheduler.
    let holds: Option<DynamoHolds> = match (&cfg.dedupe_table, &cfg.digest_schedule_role_arn) {
        (Some(table), Some(role)) => {
            let schedules = Schedules::new(aws_sdk_scheduler::Client::new(&sdk), &cfg.digest_schedule_group, role)
                .with_dead_letter(cfg.digest_dead_letter_arn.clone());
            Some(DynamoHolds::new(aws_sdk_dynamodb::Client::new(&sdk), table.clone(), schedules))
        }
        _ => None,
    };
    let workflow: Option<Box<dyn FindingsWorkflow>> = cfg.rules.findings_update_workflow.then(|| {
        Box::new(SecurityHubWorkflow::new(aws_sdk_securityhub::Client::new(&sdk))) as Box<dyn FindingsWorkflow>
    });
    let facts = AwsFacts::new(&sdk, cfg.rules.facts_role_name.as_deref());
    // The responder acts only in apply mode; in plan mode the email shows the plan.
    let responder: Option<Box<dyn Responder>> = match cfg.rules.respond.mode {
        Mode::Apply => {
            let budget: Arc<dyn Budget> = match &cfg.dedupe_table {
                Some(table) => Arc::new(DynamoBudget::new(aws_sdk_dynamodb::Client::new(&sdk), table.clone())),
                None => Arc::new(InMemoryBudget::default()),
            };
            match facts.own_account().await {
                Ok(account) => Some(Box::new(AwsResponder::new(&sdk, account, cfg.rules.respond.clone(), budget))),
                Err(e) => {
                    tracing::error!(error = %e, "respond = apply, but the function's own account is unknown: plans only");
                    None
                }
            }
        }
        _ => None,
    };
    for warning in engine.warnings() {
        tracing::warn!(%warning, "configuration");
    }
    tracing::info!(
        rules = engine.rules().len(),
        ledger = ledger.name(),
        channels = ?cfg.channel_names(),
        storms = holds.is_some(),
        respond = cfg.rules.respond.mode.name(),
        "trailwarden ready"
    );

    // Log objects of an organisation trail's bucket, when the function is fed by its queue.
    // Path-style addressing where the endpoint is overridden (a local S3 such as moto's).
    let s3 = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(sdk.endpoint_url().is_some()).build();
    let s3 = aws_sdk_s3::Client::from_conf(s3);
    let store = S3Objects::new(s3.clone(), cfg.max_object_bytes);

    // Names for the organisation's accounts, where the function may list them.
    let directory = cfg
        .account_names_from_organizations
        .then(|| OrganizationsDirectory::new(aws_sdk_organizations::Client::new(&sdk)));

    lambda_runtime::run(service_fn(|event: LambdaEvent<Box<RawValue>>| {
        let (engine, notifier, facts, account) = (&engine, notifier.as_ref(), &facts, cfg.account_name.as_str());
        let options = Options {
            ledger: Some(ledger.as_ref()),
            workflow: workflow.as_deref(),
            responder: responder.as_deref(),
            accounts: directory.as_ref().map(|d| d as &dyn AccountDirectory),
            holds: holds.as_ref().map(|h| h as &dyn Holds),
            now: None,
        };
        // The flush schedules invoke this function: its own ARN is their target.
        if let Some(h) = &holds {
            h.schedules().set_target(&event.context.invoked_function_arn);
        }
        let (store, objects, s3) = (&store, &cfg.objects, &s3);
        async move {
            let payload = event.payload.get();
            // A digest's flush, at the end of its window (an EventBridge Scheduler schedule).
            if let Some(id) = flush_call(payload) {
                return match flush(notifier, account, &id, options).await {
                    Ok(done) => Ok(serde_json::to_value(done)?),
                    Err(e) => {
                        tracing::error!(error = %e, "digest flush failed");
                        Err(lambda_runtime::Error::from(e))
                    }
                };
            }
            // A step of a backfill (cloudformation/backfill.yaml): it fails the task on error, so
            // the state machine retries it.
            if let Some(call) = backfill_call(payload) {
                let done = match call? {
                    Call::Plan(input) => serde_json::to_value(backfill::plan(s3, &input).await?),
                    Call::Child(input) => serde_json::to_value(backfill::child(engine, s3, store, &input).await?),
                    Call::Summary(input) => {
                        // The totals only: the whole summary is in summary.json.
                        let summary = backfill::summarize(s3, Some(notifier), &input).await?;
                        serde_json::to_value(backfill::SummaryOutput::from(&summary))
                    }
                };
                return Ok(done?);
            }
            if let Some(batch) = sqs_event(payload) {
                // Each failed message is redelivered alone; its DLQ keeps it after the last try.
                let response = handle_sqs(engine, notifier, facts, store, objects, &batch, options).await;
                return Ok(serde_json::to_value(response)?);
            }
            match handle_with(engine, notifier, facts, account, payload, options).await {
                Ok(summary) => Ok(serde_json::to_value(summary)?),
                Err(e) => {
                    // Failing the invocation makes EventBridge retry it; the DLQ keeps it after that.
                    tracing::error!(error = %e, "invocation failed");
                    Err(lambda_runtime::Error::from(e))
                }
            }
        }
    }))
    .await
}
