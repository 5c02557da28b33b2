//! Offline replay: run the engine over files and folders of CloudTrail, spread over every core,
//! with output in input order. `examples/replay.rs` is the command line around this.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::detail::EventDetail;
use crate::engine::Engine;
use crate::input::{self, InputError, Item};

/// What one file held.
#[derive(Debug, Default)]
pub struct FileReport {
    pub path: PathBuf,
    /// Record positions met (including ones that could not be read).
    pub records: u64,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// Per rule: how many events it looked at.
    pub matched: BTreeMap<&'static str, u64>,
    pub details: Vec<EventDetail>,
    /// Alerts a suppression entry silenced.
    pub suppressed: Vec<crate::engine::Suppressed>,
    pub errors: Vec<InputError>,
}

/// Counters the progress display reads while files are being processed.
#[derive(Debug, Default)]
pub struct Progress {
    pub files: AtomicU64,
    pub records: AtomicU64,
    pub bytes: AtomicU64,
}

/// Reads one file and runs the engine over every record in it.
pub fn scan_file(engine: &Engine, path: &Path) -> FileReport {
    thread_local! {
        // One decompression buffer per worker, reused for every file it reads.
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with_borrow_mut(|buf| {
        let report = match input::read_file_into(path, buf) {
            Ok(()) => scan_bytes(engine, path, buf),
            Err(e) => FileReport { path: path.to_path_buf(), errors: vec![e], ..FileReport::default() },
        };
        // Do not keep a huge buffer alive for a worker's remaining (typically small) files.
        if buf.capacity() > 64 << 20 {
            *buf = Vec::new();
        }
        report
    })
}

/// Runs the engine over a whole file's (decompressed) bytes; `path` names it in errors.
pub fn scan_bytes(engine: &Engine, path: &Path, buf: &[u8]) -> FileReport {
    let mut report = FileReport { path: path.to_path_buf(), bytes: buf.len() as u64, ..FileReport::default() };
    let record_error = |record: u64, line: Option<usize>, what: String| InputError::Record {
        path: path.to_path_buf(),
        record: record as usize,
        line,
        what,
    };
    let syntax = input::for_each_item(buf, |item| {
        report.records += 1;
        let n = report.records;
        if let Item::Text(text) = &item
            && input::event_name_hint(text).is_some_and(|name| !engine.wants(name))
        {
            return;
        }
        let raw = match item.scan() {
            Ok(raw) => raw,
            Err(what) => {
                report.errors.push(record_error(n, None, what));
                return;
            }
        };
        match engine.evaluate_raw(&raw) {
            Ok(None) => {}
            Ok(Some(eval)) => {
                for id in eval.matched {
                    *report.matched.entry(id).or_default() += 1;
                }
                report.details.extend(eval.details);
                report.suppressed.extend(eval.suppressed);
                let line = || input::line_at(buf, raw.start_address());
                report.errors.extend(eval.errors.into_iter().map(|e| record_error(n, line(), e.to_string())));
            }
            Err(e) => report.errors.push(record_error(n, input::line_at(buf, raw.start_address()), e.to_string())),
        }
    });
    report.errors.extend(syntax.into_iter().map(|(line, column, message)| InputError::Syntax {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }));
    report.errors.sort_by_key(InputError::line);
    report
}

/// Scans `files` on every core (or `threads`), calling `each` with every report in input order.
/// Files are taken in batches so output streams and memory stays bounded whatever the count.
pub fn scan_files(engine: &Engine, files: &[PathBuf], progress: &Progress, mut each: impl FnMut(FileReport)) {
    let batch = rayon::current_num_threads().max(1) * 8;
    for chunk in files.chunks(batch) {
        let reports: Vec<FileReport> = chunk
            .par_iter()
            .map(|path| {
                let report = scan_file(engine, path);
                progress.records.fetch_add(report.records, Ordering::Relaxed);
                progress.bytes.fetch_add(report.bytes, Ordering::Relaxed);
                progress.files.fetch_add(1, Ordering::Relaxed);
                report
            })
            .collect();
        reports.into_iter().for_each(&mut each);
    }
}

/// Output format for alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A table for people, printed once all input is read.
    Table,
    /// One `EventDetail` JSON object per line, as alerts are found.
    Jsonl,
}

/// Totals over a whole replay, for the summary.
#[derive(Debug, Default)]
pub struct Totals {
    pub files: u64,
    pub records: u64,
    pub bytes: u64,
    pub errors: u64,
    pub suppressed: u64,
    pub matched: BTreeMap<&'static str, u64>,
    pub alerts: BTreeMap<&'static str, u64>,
}

impl Totals {
    pub fn add(&mut self, engine: &Engine, report: &FileReport) {
        self.files += 1;
        self.records += report.records;
        self.bytes += report.bytes;
        self.errors += report.errors.len() as u64;
        self.suppressed += report.suppressed.len() as u64;
        for (id, n) in &report.matched {
            *self.matched.entry(id).or_default() += n;
        }
        for d in &report.details {
            if let Some(rule) = engine.rules().iter().find(|r| r.id == d.rule_id) {
                *self.alerts.entry(rule.id).or_default() += 1;
            }
        }
    }

    pub fn alert_count(&self) -> u64 {
        self.alerts.values().sum()
    }

    /// The per-rule summary: every rule the engine ran, events looked at and alerts raised.
    pub fn write_summary(&self, engine: &Engine, elapsed: std::time::Duration, out: &mut dyn Write) -> io::Result<()> {
        let mut table = comfy_table::Table::new();
        table.load_style(comfy_table::presets::NOTHING).set_header(["rule", "severity", "events", "alerts"]);
        for rule in engine.rules() {
            let n = |m: &BTreeMap<&str, u64>| m.get(rule.id).copied().unwrap_or(0).to_string();
            table.add_row([rule.id.to_string(), rule.severity.to_string(), n(&self.matched), n(&self.alerts)]);
        }
        for i in 2..4 {
            if let Some(col) = table.column_mut(i) {
                col.set_cell_alignment(comfy_table::CellAlignment::Right);
            }
        }
        writeln!(out, "{table}")?;
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.0 { self.records as f64 / secs } else { 0.0 };
        writeln!(
            out,
            "{} files, {} records, {} alerts, {} suppressed, {} input errors in {:.2}s ({:.0} records/s)",
            self.files,
            self.records,
            self.alert_count(),
            self.suppressed,
            self.errors,
            secs,
            rate
        )
    }
}

/// Writes one alert as a JSON line.
pub fn write_jsonl(detail: &EventDetail, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer(&mut *out, detail)?;
    out.write_all(b"\n")
}

/// Writes a suppressed alert as a JSON line: the alert's fields plus `suppressed_by`.
pub fn write_suppressed_jsonl(s: &crate::engine::Suppressed, out: &mut dyn Write) -> io::Result<()> {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        suppressed_by: &'a str,
        #[serde(flatten)]
        detail: &'a EventDetail,
    }
    serde_json::to_writer(&mut *out, &Line { suppressed_by: &s.by, detail: &s.detail })?;
    out.write_all(b"\n")
}

/// Writes suppressed alerts as a table: which alert, silenced by which entry.
pub fn write_suppressed_table(items: &[crate::engine::Suppressed], out: &mut dyn Write) -> io::Result<()> {
    if items.is_empty() {
        return writeln!(out, "no suppressed alerts");
    }
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED).set_header([
        "time",
        "rule",
        "resource",
        "suppressed by",
    ]);
    for s in items {
        let d = &s.detail;
        table.add_row([d.event_time.as_str(), d.rule_id.as_str(), &one_line(&d.resource.id), &one_line(&s.by)]);
    }
    writeln!(out, "{table}")
}

/// Writes alerts as a table for people.
pub fn write_table(details: &[EventDetail], out: &mut dyn Write) -> io::Result<()> {
    if details.is_empty() {
        return writeln!(out, "no alerts");
    }
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header(["time", "severity", "rule", "account", "region", "actor", "summary"]);
    for d in details {
        table.add_row([
            d.event_time.as_str(),
            d.severity.label(),
            d.rule_id.as_str(),
            d.account_id.as_str(),
            d.region.as_str(),
            d.actor.name.as_str(),
            &one_line(&d.summary),
        ]);
    }
    writeln!(out, "{table}")
}

/// Attacker-chosen text must not break a table row or a terminal line.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Writes each event's alert email as it would be sent: `NNNN-<event id>.html` (the subject is
/// its title) and `.txt` (subject line, blank line, text body). `seq` numbers files across calls.
pub fn write_previews(dir: &Path, details: &[EventDetail], account_name: &str, seq: &mut u64) -> io::Result<()> {
    for group in details.chunk_by(|a, b| a.event_id == b.event_id && a.event_time == b.event_time) {
        let email = crate::render::render(group, account_name).map_err(io::Error::other)?;
        *seq += 1;
        let id: String =
            group[0].event_id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(64).collect();
        let stem = dir.join(format!("{:04}-{id}", *seq));
        std::fs::write(stem.with_extension("html"), &email.html)?;
        std::fs::write(stem.with_extension("txt"), format!("Subject: {}\n\n{}", email.subject, email.text))?;
    }
    Ok(())
}
