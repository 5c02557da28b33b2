//! Replays CloudTrail files through every rule, offline: for tuning rules and hunting in old logs.
//!
//! cargo run --release --example replay -- [OPTIONS] PATH...

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use trailwarden::replay::{self, Format, Progress, Totals};
use trailwarden::{Config, Engine};

#[derive(Parser)]
#[command(about = "Replay CloudTrail logs through trailwarden's rules", version)]
struct Cli {
    /// Files or folders (walked recursively): .json, .jsonl, .json.gz; bare records, arrays,
    /// CloudTrail log files, EventBridge envelopes or JSON lines of any of these.
    #[arg(required_unless_present_any = ["list_rules", "print_event_pattern"])]
    paths: Vec<PathBuf>,
    /// Alert output: a table for people, or one JSON object per line for machines.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Run only this rule (repeatable).
    #[arg(long = "rule", value_name = "ID")]
    rules: Vec<String>,
    /// TOML configuration (allowlists, trusted accounts, disabled rules).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Also write each alert email, as it would be sent, into this folder (NNNN-<event id>.html/.txt).
    #[arg(long, value_name = "DIR")]
    html: Option<PathBuf>,
    /// Account name shown in the emails' subject (ACCOUNTNAME in the Lambda).
    #[arg(long, default_value = "")]
    account_name: String,
    /// A suppressions file (TOML `[[suppress]]` entries), instead of the config's.
    #[arg(long, value_name = "FILE")]
    suppressions: Option<PathBuf>,
    /// Also list the alerts suppressions silenced, and which entry silenced each.
    #[arg(long)]
    show_suppressed: bool,
    /// Live-state facts (JSON: subnets, security groups, buckets, instances) for rules that ask;
    /// without it those questions are unknown and each rule does what its docs say.
    #[arg(long, value_name = "FILE")]
    facts: Option<PathBuf>,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Print the rules (id, severity, events, title) and exit.
    #[arg(long)]
    list_rules: bool,
    /// Print the EventBridge event patterns (a JSON array, one pattern per EventBridge rule, each
    /// within EventBridge's 2,048-character quota) that deliver exactly the events the rules want.
    #[arg(long)]
    print_event_pattern: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Table,
    Jsonl,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(1) } else { ExitCode::SUCCESS };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut config = match &cli.config {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    };
    if let Some(path) = &cli.suppressions {
        config.suppressions = trailwarden::suppress::Suppressions::from_file(path)?;
    }
    let mut engine = Engine::with_rules(config, &cli.rules)?;
    if let Some(path) = &cli.facts {
        engine = engine.with_facts(trailwarden::facts::Facts::from_file(path)?);
    }
    for warning in engine.warnings() {
        eprintln!("warning: {warning}");
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if cli.list_rules {
        for rule in engine.rules() {
            writeln!(out, "{}\t{}\t{}\t{}", rule.id, rule.severity, rule.events.join(","), rule.title)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if cli.print_event_pattern {
        let patterns = trailwarden::pattern::event_patterns(engine.rules(), trailwarden::pattern::MAX_PATTERN_CHARS);
        writeln!(out, "{}", serde_json::to_string_pretty(&patterns)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(n) = cli.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    let format = match cli.format {
        OutputFormat::Table => Format::Table,
        OutputFormat::Jsonl => Format::Jsonl,
    };

    let started = Instant::now();
    let (files, walk_errors) = trailwarden::input::collect_files(&cli.paths);
    let mut totals = Totals::default();
    let mut stderr = std::io::stderr();
    for e in &walk_errors {
        writeln!(stderr, "error: {e}")?;
    }
    totals.errors += walk_errors.len() as u64;

    if let Some(dir) = &cli.html {
        std::fs::create_dir_all(dir)?;
    }
    let mut previews = 0u64;
    let progress = Progress::default();
    let mut table_rows = Vec::new();
    let mut suppressed_rows = Vec::new();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| -> anyhow::Result<()> {
        if std::io::stderr().is_terminal() {
            scope.spawn(|| draw_progress(files.len() as u64, &progress, &done, started));
        }
        let result = (|| -> anyhow::Result<()> {
            let mut failure = Ok(());
            replay::scan_files(&engine, &files, &progress, |report| {
                totals.add(&engine, &report);
                if let Some(dir) = &cli.html
                    && let Err(e) = replay::write_previews(dir, &report.details, &cli.account_name, &mut previews)
                {
                    failure = Err(e);
                }
                for e in &report.errors {
                    let _ = writeln!(std::io::stderr(), "error: {e}");
                }
                match format {
                    Format::Jsonl => {
                        for d in &report.details {
                            if let Err(e) = replay::write_jsonl(d, &mut out) {
                                failure = Err(e);
                            }
                        }
                    }
                    Format::Table => table_rows.extend(report.details),
                }
                if cli.show_suppressed {
                    match format {
                        Format::Jsonl => {
                            for s in &report.suppressed {
                                if let Err(e) = replay::write_suppressed_jsonl(s, &mut out) {
                                    failure = Err(e);
                                }
                            }
                        }
                        Format::Table => suppressed_rows.extend(report.suppressed),
                    }
                }
            });
            failure?;
            Ok(())
        })();
        done.store(true, Ordering::Relaxed);
        result
    })?;
    if format == Format::Table {
        replay::write_table(&table_rows, &mut out)?;
        if cli.show_suppressed {
            writeln!(out, "suppressed:")?;
            replay::write_suppressed_table(&suppressed_rows, &mut out)?;
        }
    }
    out.flush()?;
    totals.write_summary(&engine, started.elapsed(), &mut stderr)?;
    Ok(if totals.errors > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// A progress bar on stderr (only when it is a terminal): files, records, records/s and ETA.
fn draw_progress(total: u64, progress: &Progress, done: &std::sync::atomic::AtomicBool, started: Instant) {
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} files, {msg} (ETA {eta})",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    while !done.load(Ordering::Relaxed) {
        let records = progress.records.load(Ordering::Relaxed);
        let secs = started.elapsed().as_secs_f64().max(1e-3);
        bar.set_position(progress.files.load(Ordering::Relaxed));
        bar.set_message(format!("{records} records, {:.0} records/s", records as f64 / secs));
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}
