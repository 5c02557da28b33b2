//! The Lambda function: wiring only. The logic is `trailwarden::lambda::handle`.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::value::RawValue;
use trailwarden::Engine;
use trailwarden::facts::aws::AwsFacts;
use trailwarden::lambda::{LambdaConfig, handle};
use trailwarden::notify::ses::SesMailer;

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
    let mailer = SesMailer::new(&sdk, secrets, &cfg.secret_name, cfg.recipients.clone());
    let facts = AwsFacts::new(&sdk, cfg.rules.facts_role_name.as_deref());
    for warning in engine.warnings() {
        tracing::warn!(%warning, "configuration");
    }
    tracing::info!(rules = engine.rules().len(), "trailwarden ready");

    lambda_runtime::run(service_fn(|event: LambdaEvent<Box<RawValue>>| {
        let (engine, mailer, facts, account) = (&engine, &mailer, &facts, cfg.account_name.as_str());
        async move {
            handle(engine, mailer, facts, account, event.payload.get()).await.map_err(|e| {
                // Failing the invocation makes EventBridge retry it; the DLQ keeps it after that.
                tracing::error!(error = %e, "invocation failed");
                lambda_runtime::Error::from(e)
            })
        }
    }))
    .await
}
