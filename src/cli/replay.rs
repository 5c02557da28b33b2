//! `trailwarden replay`: CloudTrail logs and findings through every rule, offline or straight
//! from S3: files, folders, standard input and `s3://` prefixes, with progress, a table or JSON
//! lines, email previews and response plans.

use std::io::{self, IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};

use super::{EngineArgs, Stdout, say, write_patterns, write_rules};
use crate::replay::{self, Format, Progress, Totals};

/// `trailwarden replay`'s arguments (and the replay example's).
#[derive(Args)]
pub struct ReplayArgs {
    /// Files or folders (walked recursively): .json, .jsonl, .json.gz; bare records, arrays,
    /// CloudTrail log files, EventBridge envelopes or JSON lines of any of these. `-` reads
    /// standard input (plain or gzip, documents one after another: `zcat ... | replay -`).
    /// `s3://bucket/prefix` reads a trail bucket straight from S3 (AWS credentials as the AWS CLI
    /// finds them), listing only the folders `--since`, `--until`, `--account` and `--region`
    /// leave in.
    #[arg(required_unless_present_any = ["list_rules", "print_event_pattern"])]
    paths: Vec<PathBuf>,
    /// Only log files of this account (repeatable), by their S3 key (`AWSLogs/.../ACCOUNT/CloudTrail/...`).
    #[arg(long = "account", value_name = "ID")]
    accounts: Vec<String>,
    /// Only log files of this region (repeatable), by their S3 key.
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// Only events at or after this time: RFC 3339 (2025-03-01T12:00:00Z) or a date (UTC).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only events before this time; a date includes that whole day (UTC).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Largest decompressed file (or document on standard input) read, in MiB; a gzip bomb stops here.
    #[arg(long, value_name = "MIB", default_value_t = crate::cloudtrail::input::MAX_FILE_BYTES >> 20)]
    max_file_size: u64,
    /// Largest record evaluated, in KiB; a larger one is reported and skipped.
    #[arg(long, value_name = "KIB", default_value_t = crate::cloudtrail::input::MAX_RECORD_BYTES >> 10)]
    max_record_size: usize,
    /// Progress on stderr: a bar on a terminal (auto), also plain lines every 5 s when stderr is
    /// not a terminal (always), or none.
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    progress: ProgressMode,
    /// Alert output: a table for people (one row per event, in time order, fitted to the
    /// terminal's width or to COLUMNS), one JSON object per line for machines (full text),
    /// one OCSF Detection Finding per line, or one SARIF log.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// The per-rule summary on stderr: the rules that saw events, or all of them.
    #[arg(long, value_enum, default_value_t = SummaryMode::Seen)]
    summary: SummaryMode,
    /// Also write each alert email, as it would be sent, into this folder (NNNN-<event id>.html/.txt).
    /// Storms are grouped as the Lambda groups them: one actor's alerts within the window
    /// (`storm_window_minutes`, 5) after the first become one NNNN-digest-<group>.html.
    #[arg(long, value_name = "DIR")]
    html: Option<PathBuf>,
    /// With --html: one email per event, no storm grouping.
    #[arg(long, requires = "html")]
    no_group: bool,
    /// Account name shown in the emails' subject (ACCOUNTNAME in the Lambda).
    #[arg(long, default_value = "")]
    account_name: String,
    /// Also list the alerts suppressions silenced, and which entry silenced each.
    #[arg(long)]
    show_suppressed: bool,
    /// Print the response plan instead of the alerts: one JSON object a line for each action the
    /// responder would take under the configuration (`respond*` settings), and make no AWS call.
    #[arg(long)]
    plan: bool,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Print the rules (id, severity, events, title) and exit: `trailwarden rules`.
    #[arg(long)]
    list_rules: bool,
    /// Print the EventBridge event patterns and exit: `trailwarden pattern`.
    #[arg(long)]
    print_event_pattern: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ProgressMode {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SummaryMode {
    Seen,
    All,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Table,
    Jsonl,
    /// OCSF Detection Findings (class 2004, schema 1.3.0), one a line: for Security Lake and SIEMs.
    Ocsf,
    /// One SARIF 2.1.0 log, at the end: for code review and CI pipelines.
    Sarif,
}

/// Runs a replay: the exit code is 2 when the input held errors, 1 on a failure.
pub fn run(cli: ReplayArgs) -> anyhow::Result<ExitCode> {
    let engine = cli.engine.build()?;
    let mut out = Stdout(io::stdout().lock());
    if cli.list_rules {
        write_rules(&engine, &mut out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if cli.print_event_pattern {
        write_patterns(&engine, &mut out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(n) = cli.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    let format = match cli.format {
        OutputFormat::Table => Format::Table,
        OutputFormat::Jsonl => Format::Jsonl,
        OutputFormat::Ocsf => Format::Ocsf,
        OutputFormat::Sarif => Format::Sarif,
    };

    let mut scan = replay::Replay::new(&engine);
    scan.window = replay::TimeWindow::parse(cli.since.as_deref(), cli.until.as_deref())?;
    scan.max_file_bytes = cli.max_file_size.saturating_mul(1 << 20);
    scan.max_record_bytes = cli.max_record_size.saturating_mul(1 << 10);
    let stdin = cli.paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && cli.paths.len() > 1 {
        anyhow::bail!("`-` (standard input) cannot be combined with other paths");
    }
    let urls: Vec<&str> = cli.paths.iter().filter_map(|p| p.to_str()).filter(|p| p.starts_with("s3://")).collect();
    if !urls.is_empty() && urls.len() < cli.paths.len() {
        anyhow::bail!("s3:// paths cannot be combined with local paths or `-`");
    }

    let started = Instant::now();
    let s3 = match urls.is_empty() {
        true => None,
        false => Some(s3::open(&urls, &scan, &cli.accounts, &cli.regions)?),
    };
    let crate::cloudtrail::input::Collected { mut files, errors: walk_errors, skipped } = match stdin || s3.is_some() {
        true => Default::default(),
        false => crate::cloudtrail::input::collect_inputs(&cli.paths),
    };
    // A fixture's `NAME.facts` answers the questions of `NAME.json` beside it.
    scan.facts_beside_files = true;
    // Local copies of a trail bucket (AWSLogs/...) are filtered by their paths as S3 keys are.
    files.retain(|f| {
        let Some((account, region)) = f.to_str().and_then(crate::objects::key_place) else { return true };
        (cli.accounts.is_empty() || cli.accounts.iter().any(|a| a == account))
            && (cli.regions.is_empty() || cli.regions.iter().any(|r| r == region))
    });
    let mut totals = Totals::default();
    for e in &walk_errors {
        say("error", e);
    }
    totals.errors += walk_errors.len() as u64;
    for (_, why) in &skipped {
        *totals.skipped.entry(*why).or_default() += 1;
    }

    if let Some(dir) = &cli.html {
        std::fs::create_dir_all(dir)?;
    }
    let mut previews = 0u64;
    let mut preview_rows = Vec::new();
    let group_window = Some(engine.config().storm_window_secs).filter(|w| *w > 0 && !cli.no_group);
    let progress = Progress::default();
    let mut table_rows = Vec::new();
    let mut suppressed_rows = Vec::new();
    let mut sarif_rows = Vec::new();
    let done = AtomicBool::new(false);
    let total = match &s3 {
        Some(s3) => Some(s3.objects() as u64),
        None => (!stdin).then_some(files.len() as u64),
    };
    std::thread::scope(|scope| -> anyhow::Result<()> {
        match (cli.progress, std::io::stderr().is_terminal()) {
            (ProgressMode::Never, _) | (ProgressMode::Auto, false) => {}
            (_, true) => {
                scope.spawn(|| draw_progress(total, &progress, &done, started));
            }
            (ProgressMode::Always, false) => {
                scope.spawn(|| log_progress(total, &progress, &done, started));
            }
        }
        let result = (|| -> anyhow::Result<()> {
            let mut failure = Ok(());
            // A failed write (a closed output above all) ends the scan: nothing more can be shown.
            let respond = &engine.config().respond;
            // A finding that comes again at a higher level alerts again, but its resource is
            // contained once (the tag guards it): plan each action on each resource once.
            let mut planned_once = std::collections::HashSet::new();
            let mut each = |mut report: replay::FileReport| -> io::Result<()> {
                totals.add(&engine, &report);
                if cli.plan {
                    for e in &report.errors {
                        say("error", e);
                    }
                    for d in &report.details {
                        for p in crate::respond::plan::plan(d, respond) {
                            if planned_once.insert((p.finding_id.clone(), p.action, p.resource.clone())) {
                                replay::write_plan(&p, &mut out)?;
                            }
                        }
                    }
                    return Ok(());
                }
                if let Some(dir) = &cli.html {
                    replay::attach_plans(&mut report.details, respond);
                    match group_window {
                        // Grouping sees the whole run: written at the end.
                        Some(_) => preview_rows.extend(report.details.iter().cloned()),
                        None => replay::write_previews(dir, &report.details, &cli.account_name, &mut previews)?,
                    }
                }
                for e in &report.errors {
                    say("error", e);
                }
                let suppressed = if cli.show_suppressed { report.suppressed } else { Vec::new() };
                match format {
                    Format::Table => {
                        table_rows.extend(report.details);
                        suppressed_rows.extend(suppressed);
                    }
                    // A suppressed alert is not a result a pull request should fail on.
                    Format::Sarif => sarif_rows.extend(report.details.into_iter().map(|d| (report.path.clone(), d))),
                    Format::Jsonl => {
                        for d in &report.details {
                            replay::write_jsonl(d, &mut out)?;
                        }
                        for s in &suppressed {
                            replay::write_suppressed_jsonl(s, &mut out)?;
                        }
                    }
                    Format::Ocsf => {
                        let lines = report.details.iter().map(|d| (d, None));
                        for (d, by) in lines.chain(suppressed.iter().map(|s| (&s.detail, Some(s.by.as_str())))) {
                            replay::write_ocsf(d, by, &mut out)?;
                        }
                    }
                }
                Ok(())
            };
            let each = |report| match each(report) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    failure = Err(e);
                    ControlFlow::Break(())
                }
            };
            match (&s3, stdin) {
                (Some(s3), _) => s3.scan_until(&scan, &progress, each),
                (None, true) => scan.scan_stream_until(std::io::stdin(), replay::STDIN, &progress, each),
                (None, false) => scan.scan_files_until(&files, &progress, each),
            }
            failure?;
            Ok(())
        })();
        done.store(true, Ordering::Relaxed);
        result
    })?;
    if let (Some(dir), Some(window)) = (&cli.html, group_window)
        && !cli.plan
    {
        replay::write_grouped_previews(dir, &preview_rows, &cli.account_name, window, &mut previews)?;
    }
    if format == Format::Sarif && !cli.plan {
        replay::write_sarif(&sarif_rows, &mut out)?;
    }
    if format == Format::Table && !cli.plan {
        replay::write_table(&table_rows, terminal_width(), &mut out)?;
        if cli.show_suppressed {
            writeln!(out, "suppressed:")?;
            replay::write_suppressed_table(&suppressed_rows, &mut out)?;
        }
    }
    out.flush()?;
    // Like every stderr line, the summary is lost, not fatal, if stderr is closed.
    let rules = match cli.summary {
        SummaryMode::Seen => replay::SummaryRules::Seen,
        SummaryMode::All => replay::SummaryRules::All,
    };
    let _ = totals.write_summary(&engine, started.elapsed(), rules, &mut io::stderr());
    Ok(if totals.errors > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// The width the table fits: `COLUMNS` when set, else the terminal's when the output is one.
fn terminal_width() -> Option<u16> {
    match std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse().ok()) {
        Some(columns) => Some(columns),
        None if io::stdout().is_terminal() => comfy_table::Table::new().width(),
        None => None,
    }
}

/// Records per second so far, and the time left by the share of files done.
fn rates(total: Option<u64>, progress: &Progress, started: Instant) -> (u64, u64, f64, Option<Duration>) {
    let files = progress.files.load(Ordering::Relaxed);
    let records = progress.records.load(Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64().max(1e-3);
    let eta = total
        .filter(|_| files > 0)
        .map(|t| Duration::from_secs_f64(secs * t.saturating_sub(files) as f64 / files as f64));
    (files, records, records as f64 / secs, eta)
}

/// A progress bar on stderr (when it is a terminal): files, records, records/s and ETA.
fn draw_progress(total: Option<u64>, progress: &Progress, done: &AtomicBool, started: Instant) {
    let bar = indicatif::ProgressBar::new(total.unwrap_or(0));
    let template = match total {
        Some(_) => "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} files, {msg}",
        None => "{spinner} {elapsed_precise} standard input: {msg}",
    };
    let style = indicatif::ProgressStyle::with_template(template)
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    while !done.load(Ordering::Relaxed) {
        let (files, records, rate, eta) = rates(total, progress, started);
        bar.set_position(files);
        let eta = eta.map(|e| format!(", ETA {}", indicatif::HumanDuration(e))).unwrap_or_default();
        bar.set_message(format!("{records} records, {rate:.0} records/s{eta}"));
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}

/// Progress as plain lines on stderr every 5 s, for logs (`--progress always`, not a terminal).
fn log_progress(total: Option<u64>, progress: &Progress, done: &AtomicBool, started: Instant) {
    let mut last = Instant::now();
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        if last.elapsed() < Duration::from_secs(5) {
            continue;
        }
        last = Instant::now();
        let (files, records, rate, eta) = rates(total, progress, started);
        let files = total.map(|t| format!("{files}/{t} files, ")).unwrap_or_default();
        let eta = eta.map(|e| format!(", ETA {}s", e.as_secs())).unwrap_or_default();
        // Numbers only; a closed stderr ends the logging, never the run.
        if writeln!(io::stderr(), "progress: {files}{records} records, {rate:.0} records/s{eta}").is_err() {
            return;
        }
    }
}

/// `replay s3://bucket/prefix`: the listing and the fetches (feature `aws`).
#[cfg(feature = "aws")]
mod s3 {
    use std::ops::ControlFlow;

    use crate::objects::ObjectRef;
    use crate::objects::s3::{S3Objects, Walk, list, parse_url, scan_until};
    use crate::replay::{FileReport, Progress, Replay};

    pub struct Source {
        runtime: tokio::runtime::Runtime,
        store: S3Objects,
        objects: Vec<ObjectRef>,
    }

    /// Lists every URL's log files, pruned by the window, accounts and regions.
    pub fn open(urls: &[&str], scan: &Replay, accounts: &[String], regions: &[String]) -> anyhow::Result<Source> {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let sdk = runtime.block_on(aws_config::load_defaults(aws_config::BehaviorVersion::latest()));
        // Path-style addressing where the endpoint is overridden (a local S3 such as moto's).
        let conf = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(sdk.endpoint_url().is_some()).build();
        let client = aws_sdk_s3::Client::from_conf(conf);
        let walk = Walk { window: scan.window, accounts: accounts.to_vec(), regions: regions.to_vec() };
        let mut objects = Vec::new();
        for url in urls {
            let (bucket, prefix) =
                parse_url(url).ok_or_else(|| anyhow::anyhow!("`{url}` is not s3://bucket/prefix"))?;
            let listed = runtime.block_on(list(&client, &bucket, &prefix, &walk)).map_err(anyhow::Error::msg)?;
            crate::cli::say(
                "listed",
                format_args!(
                    "{url}: {} log files to read, {} folders pruned, {} objects skipped, in {} requests",
                    listed.objects.len(),
                    listed.pruned,
                    listed.skipped.len(),
                    listed.requests
                ),
            );
            objects.extend(listed.objects);
        }
        Ok(Source { runtime, store: S3Objects::new(client, scan.max_file_bytes), objects })
    }

    impl Source {
        pub fn objects(&self) -> usize {
            self.objects.len()
        }

        pub fn scan_until(&self, scan: &Replay, progress: &Progress, each: impl FnMut(FileReport) -> ControlFlow<()>) {
            scan_until(scan, &self.runtime, &self.store, &self.objects, progress, each)
        }
    }
}

/// Without the `aws` feature, s3:// paths are refused with the reason.
#[cfg(not(feature = "aws"))]
mod s3 {
    use std::ops::ControlFlow;

    use crate::replay::{FileReport, Progress, Replay};

    pub struct Source;

    pub fn open(_: &[&str], _: &Replay, _: &[String], _: &[String]) -> anyhow::Result<Source> {
        anyhow::bail!("this replay was built without the `aws` feature, which s3:// paths need")
    }

    impl Source {
        pub fn objects(&self) -> usize {
            0
        }

        pub fn scan_until(&self, _: &Replay, _: &Progress, _: impl FnMut(FileReport) -> ControlFlow<()>) {}
    }
}
