//! Offline replay: run the engine over files and folders of CloudTrail, spread over every core,
//! with output in input order. `examples/replay.rs` is the command line around this.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use serde::Serialize;

use crate::cloudtrail::event::Event;
use crate::cloudtrail::input::{self, InputError, Item};
use crate::cloudtrail::stream;
use crate::detail::EventDetail;
use crate::engine::Engine;
use crate::text::one_line;

/// What one file (or one part of a stream) held.
#[derive(Debug, Default)]
pub struct FileReport {
    pub path: PathBuf,
    /// 0 for a file; for a stream read in parts, the part's number (the totals count the
    /// stream once).
    pub part: u64,
    /// Record positions met (including ones that could not be read, and ones outside the time
    /// window).
    pub records: u64,
    /// Records outside `--since`/`--until` (only counted among records some rule wants: the
    /// others are never parsed).
    pub outside_window: u64,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// Per rule: how many events it looked at.
    pub matched: BTreeMap<&'static str, u64>,
    pub details: Vec<EventDetail>,
    /// Alerts a suppression entry silenced.
    pub suppressed: Vec<crate::engine::Suppressed>,
    pub errors: Vec<InputError>,
    /// Findings triage kept quiet (sample, archived, suppressed, resolved, below the threshold).
    pub quiet_findings: u64,
    /// Finding alerts not repeated: the same finding again at no higher level, in this run.
    pub repeats: u64,
}

impl FileReport {
    /// The report of an error the stream cutter gave between parts; a record it dropped for its
    /// size counts as a record.
    pub fn of_cutter_error(path: &Path, e: InputError) -> FileReport {
        let records = u64::from(matches!(e, InputError::RecordTooLarge { .. }));
        FileReport { path: path.to_path_buf(), records, errors: vec![e], ..Default::default() }
    }

    /// Adds a later part's report of the same input (its errors already placed).
    pub fn add(&mut self, part: FileReport) {
        self.records += part.records;
        self.bytes += part.bytes;
        self.outside_window += part.outside_window;
        self.quiet_findings += part.quiet_findings;
        self.repeats += part.repeats;
        for (id, n) in part.matched {
            *self.matched.entry(id).or_default() += n;
        }
        self.details.extend(part.details);
        self.suppressed.extend(part.suppressed);
        self.errors.extend(part.errors);
    }
}

/// The parts of an object held in memory ([`Replay::object_parts`]).
pub enum ObjectParts<'a> {
    /// Inflated whole (or the error that stopped it).
    Whole(Option<Result<stream::Part, InputError>>),
    Streamed(stream::Parts<Box<dyn Read + 'a>>),
}

impl ObjectParts<'_> {
    /// The next part, or an error (after which reading goes on), or `None` at the end.
    pub fn next_part(&mut self) -> Option<Result<stream::Part, InputError>> {
        match self {
            ObjectParts::Whole(part) => part.take(),
            ObjectParts::Streamed(parts) => parts.next_part(),
        }
    }
}

/// A reader whose first read fails with the error it holds.
struct FailedRead(Option<io::Error>);

impl Read for FailedRead {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

/// Counters the progress display reads while files are being processed.
#[derive(Debug, Default)]
pub struct Progress {
    pub files: AtomicU64,
    pub records: AtomicU64,
    pub bytes: AtomicU64,
}

impl Progress {
    /// Counts a report's file, records and bytes.
    pub fn add(&self, report: &FileReport) {
        self.records.fetch_add(report.records, Ordering::Relaxed);
        self.bytes.fetch_add(report.bytes, Ordering::Relaxed);
        if report.part == 0 {
            self.files.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Only events whose `eventTime` is in `[since, until)` are evaluated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeWindow {
    pub since: Option<jiff::Timestamp>,
    pub until: Option<jiff::Timestamp>,
}

/// A `--since`/`--until` value that is neither an RFC 3339 time nor a date.
#[derive(Debug, thiserror::Error)]
#[error("`{value}` is not a time: use an RFC 3339 time (2025-03-01T12:00:00Z) or a date (2025-03-01, UTC)")]
pub struct TimeError {
    value: String,
}

impl TimeWindow {
    /// Reads `--since` and `--until`. A date alone means the whole day in UTC: `--since
    /// 2025-03-01 --until 2025-03-31` is all of March's first to last day inclusive.
    pub fn parse(since: Option<&str>, until: Option<&str>) -> Result<Self, TimeError> {
        let time = |value: &str, end_of_day: bool| -> Result<jiff::Timestamp, TimeError> {
            let err = || TimeError { value: value.to_string() };
            if let Ok(t) = value.parse::<jiff::Timestamp>() {
                return Ok(t);
            }
            let date: jiff::civil::Date = value.parse().map_err(|_| err())?;
            let day = if end_of_day { date.tomorrow().map_err(|_| err())? } else { date };
            day.to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp()).map_err(|_| err())
        };
        Ok(TimeWindow {
            since: since.map(|v| time(v, false)).transpose()?,
            until: until.map(|v| time(v, true)).transpose()?,
        })
    }

    pub fn is_all(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// Whether an event at `event_time` is in the window (always, with no window).
    fn admits(&self, event_time: &str) -> Result<bool, crate::cloudtrail::event::FieldError> {
        if self.is_all() {
            return Ok(true);
        }
        let t: jiff::Timestamp = event_time.parse().map_err(|e| {
            crate::cloudtrail::event::FieldError::new("eventTime", format!("not an RFC 3339 time: {e}"))
        })?;
        Ok(self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u))
    }

    /// False when `path` is a CloudTrail S3 key (`.../CloudTrail/<region>/YYYY/MM/DD/...`) whose
    /// day lies more than a day outside the window: CloudTrail files an event under its delivery
    /// day, minutes after the event, so a day's margin on each side never drops an event.
    pub fn may_hold(&self, path: &Path) -> bool {
        match s3_day(path) {
            Some(day) => self.may_hold_days(day, day),
            None => true,
        }
    }

    /// Whether log files delivered on the days `first..=last` (a key prefix's year, month or
    /// day) may hold events in the window: a file is delivered within minutes of its events, so
    /// a margin of two days on each side is ample.
    pub fn may_hold_days(&self, first: jiff::civil::Date, last: jiff::civil::Date) -> bool {
        if self.is_all() {
            return true;
        }
        let margin = jiff::SignedDuration::from_hours(48);
        let at = |d: jiff::civil::Date| d.to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp());
        // As for one day: its start, with the margin on each side.
        let (Ok(start), Ok(end)) = (at(first), at(last)) else { return true };
        self.since.is_none_or(|s| end.checked_add(margin).is_ok_and(|end| end > s))
            && self.until.is_none_or(|u| start.checked_sub(margin).is_ok_and(|begin| begin < u))
    }
}

/// `NAME.facts` beside `NAME.json`, `NAME.jsonl` or `NAME.json.gz`, when there is one.
fn facts_beside(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let stem = [".json.gz", ".jsonl.gz", ".json", ".jsonl"].iter().find_map(|ext| name.strip_suffix(ext))?;
    let beside = path.with_file_name(format!("{stem}.facts"));
    beside.is_file().then_some(beside)
}

/// The day in a CloudTrail S3 key: the three folders after `CloudTrail/<region>/`.
fn s3_day(path: &Path) -> Option<jiff::civil::Date> {
    let parts: Vec<&str> = path.iter().filter_map(|p| p.to_str()).collect();
    let at = parts.iter().rposition(|p| *p == "CloudTrail")?;
    let [_region, y, m, d, _file] = parts.get(at + 1..at + 6)? else { return None };
    let digits = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return None;
    }
    format!("{y}-{m}-{d}").parse().ok()
}

/// A replay: the engine, the limits on what input may make it hold, and the time window.
///
/// ```
/// use trailwarden::replay::{Progress, Replay, TimeWindow};
/// use trailwarden::{Config, Engine};
///
/// let engine = Engine::new(Config::default())?;
/// let mut scan = Replay::new(&engine); // 512 MiB a file, 1 MiB a record
/// scan.window = TimeWindow::parse(Some("2020-01-01"), None)?;
/// let (files, _walk_errors) = trailwarden::cloudtrail::input::collect_files(&["testdata/trails".into()]);
/// let mut alerts = 0;
/// scan.scan_files(&files, &Progress::default(), |report| {
///     alerts += report.details.len();
///     for problem in &report.errors {
///         eprintln!("{problem}"); // file, record, line, field
///     }
/// });
/// assert!(alerts > 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct Replay<'e> {
    pub engine: &'e Engine,
    /// Decompressed bytes one file (or one document of a stream) may hold.
    pub max_file_bytes: u64,
    /// Bytes one record may hold; a larger one is reported and skipped.
    pub max_record_bytes: usize,
    pub window: TimeWindow,
    /// How much of a stream is handed to a worker at once (cut where a record ends).
    pub stream_part_bytes: usize,
    /// A file that inflates to at most this much is read whole (gzip inflated in one call, the
    /// fast path); a larger one streams through [`stream::Parts`], holding a part and a record.
    pub whole_file_bytes: u64,
    /// Where a file `NAME.json` (or `NAME.json.gz`) has `NAME.facts` beside it, those facts
    /// answer its records' questions instead of the engine's (the fixtures' convention).
    pub facts_beside_files: bool,
    /// The facts that answer the rules' questions; `None`: the engine's. [`Replay::scan_file`]
    /// sets it from a `.facts` file beside the file it reads.
    pub facts: Option<&'e crate::facts::Facts>,
}

/// The default [`Replay::whole_file_bytes`]: 64 MiB, far above a usual CloudTrail log file.
pub const WHOLE_FILE_BYTES: u64 = 64 << 20;

/// The part size a file too large to read whole is scanned in.
const FILE_PART_BYTES: usize = 4 << 20;

/// The name a stream's reports and errors carry.
pub const STDIN: &str = "<stdin>";

impl<'e> Replay<'e> {
    /// Every record, the default limits ([`input::MAX_FILE_BYTES`], [`input::MAX_RECORD_BYTES`]).
    pub fn new(engine: &'e Engine) -> Self {
        Replay {
            engine,
            max_file_bytes: input::MAX_FILE_BYTES,
            max_record_bytes: input::MAX_RECORD_BYTES,
            window: TimeWindow::default(),
            stream_part_bytes: 8 << 20,
            whole_file_bytes: WHOLE_FILE_BYTES,
            facts_beside_files: false,
            facts: None,
        }
    }

    /// Reads one file and runs the engine over every record in it: whole when it inflates to at
    /// most [`Replay::whole_file_bytes`], streamed in parts otherwise (memory bounded by a part
    /// and a record, whatever the file's size; reading stops at [`Replay::max_file_bytes`]).
    pub fn scan_file(&self, path: &Path) -> FileReport {
        if self.facts_beside_files
            && let Some(beside) = facts_beside(path)
        {
            return match crate::facts::Facts::from_file(&beside) {
                Ok(facts) => Replay { facts: Some(&facts), facts_beside_files: false, ..*self }.scan_file(path),
                Err(e) => FileReport {
                    path: path.to_path_buf(),
                    errors: vec![InputError::Io { path: beside, source: std::io::Error::other(e.to_string()) }],
                    ..FileReport::default()
                },
            };
        }
        thread_local! {
            // One decompression buffer per worker, reused for every file it reads.
            static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let report = BUF.with_borrow_mut(|buf| {
            let whole = self.whole_file_bytes.min(self.max_file_bytes);
            let report = match input::read_file_into(path, buf, whole) {
                Ok(()) => Some(self.scan_bytes(path, buf)),
                Err(InputError::TooLarge { .. }) => None,
                Err(e) => Some(FileReport { path: path.to_path_buf(), errors: vec![e], ..FileReport::default() }),
            };
            // Do not keep a huge buffer alive for a worker's remaining (typically small) files.
            if buf.capacity() as u64 > WHOLE_FILE_BYTES {
                *buf = Vec::new();
            }
            report
        });
        report.unwrap_or_else(|| self.scan_file_in_parts(path))
    }

    /// [`Replay::scan_file`] for a file too large to hold whole.
    fn scan_file_in_parts(&self, path: &Path) -> FileReport {
        match std::fs::File::open(path) {
            Ok(file) => {
                let mut parts = self.parts(path, std::io::BufReader::with_capacity(1 << 16, file));
                self.scan_parts(path, std::iter::from_fn(|| parts.next_part()))
            }
            Err(source) => FileReport {
                path: path.to_path_buf(),
                errors: vec![InputError::Io { path: path.to_path_buf(), source }],
                ..FileReport::default()
            },
        }
    }

    /// A file's or object's bytes (gzip or plain) cut into parts of whole records, as
    /// [`Replay::scan_file`] streams a large file: the cutter reads on after an error.
    pub fn parts<'r>(&self, path: &Path, reader: impl Read + 'r) -> stream::Parts<Box<dyn Read + 'r>> {
        let (reader, gzip) = match input::decompressed(reader) {
            Ok(read) => read,
            // The error comes back from the cutter's first read, named like any other.
            Err(e) => (Box::new(FailedRead(Some(e))) as Box<dyn Read + 'r>, false),
        };
        stream::Parts::new(reader, path.to_path_buf(), FILE_PART_BYTES, self.max_file_bytes, self.max_record_bytes)
            .gzip(gzip)
            .stop_at_limit()
    }

    /// An object held in memory (an S3 body): its parts of whole records. One part, the whole
    /// object inflated in one call, when it inflates to at most [`Replay::whole_file_bytes`];
    /// otherwise streamed (memory: the object, a part and a record).
    pub fn object_parts<'a>(&self, path: &Path, bytes: &'a [u8]) -> ObjectParts<'a> {
        let mut whole = Vec::new();
        let limit = self.whole_file_bytes.min(self.max_file_bytes);
        // The gzip trailer says it cannot fit: stream it without a failed whole attempt first.
        if crate::cloudtrail::inflate::stated_size(bytes).is_some_and(|size| size > limit) {
            return ObjectParts::Streamed(self.parts(path, bytes));
        }
        match input::bytes_into(bytes, path, &mut whole, limit) {
            Ok(()) => ObjectParts::Whole(Some(Ok(stream::Part { bytes: whole, line: 0, column: 0, prefix: 0 }))),
            Err(InputError::TooLarge { .. }) => ObjectParts::Streamed(self.parts(path, bytes)),
            Err(e) => ObjectParts::Whole(Some(Err(e))),
        }
    }

    /// Scans an object held in memory: [`Replay::object_parts`], every record through the engine.
    pub fn scan_object(&self, path: &Path, bytes: &[u8]) -> FileReport {
        let mut parts = self.object_parts(path, bytes);
        self.scan_parts(path, std::iter::from_fn(|| parts.next_part()))
    }

    /// Scans parts one after another into one report, positions counted from the first.
    fn scan_parts(&self, path: &Path, parts: impl IntoIterator<Item = Result<stream::Part, InputError>>) -> FileReport {
        let mut report = FileReport { path: path.to_path_buf(), ..FileReport::default() };
        for part in parts {
            let (mut part, at) = self.scan_part(path, part);
            place(&mut part, at.as_ref(), report.records);
            report.add(part);
        }
        report.errors.sort_by_key(InputError::line);
        report
    }

    /// Scans one part a stream was cut into (or takes the cutter's error), giving back the
    /// part's place in the stream (its bytes dropped) for [`place`].
    fn scan_part(&self, path: &Path, part: Result<stream::Part, InputError>) -> (FileReport, Option<stream::Part>) {
        match part {
            Ok(part) => (self.scan_bytes(path, &part.bytes), Some(stream::Part { bytes: Vec::new(), ..part })),
            Err(e) => (FileReport::of_cutter_error(path, e), None),
        }
    }

    /// Runs the engine over a whole file's (decompressed) bytes; `path` names it in errors.
    pub fn scan_bytes(&self, path: &Path, buf: &[u8]) -> FileReport {
        let engine = self.engine;
        self.visit_bytes(path, buf, |report, event, n, address| {
            // The alerts go straight into the report's lists (no per-record list to copy from).
            let mut eval = crate::engine::Evaluation {
                details: std::mem::take(&mut report.details),
                suppressed: std::mem::take(&mut report.suppressed),
                ..Default::default()
            };
            engine.evaluate_into(&event, self.facts.unwrap_or(engine.facts()), &mut eval);
            (report.details, report.suppressed) = (eval.details, eval.suppressed);
            for id in eval.matched {
                *report.matched.entry(id).or_default() += 1;
            }
            report.errors.extend(eval.errors.into_iter().map(|e| InputError::Record {
                path: path.to_path_buf(),
                record: n as usize,
                line: input::line_at(buf, address),
                what: e.to_string(),
            }));
        })
    }

    /// Reads every record of a whole file's (decompressed) bytes as [`Replay::scan_bytes`] does
    /// (limits, findings, the time window, errors by record and line) and hands each CloudTrail
    /// event some rule wants to `on_event` (with its record number and its address in `buf`, for
    /// [`input::line_at`] when an error needs the line) instead of
    /// evaluating it: for a caller that answers the rules' questions itself, such as the Lambda
    /// reading log objects with live facts.
    pub fn visit_bytes<'b>(
        &self,
        path: &Path,
        buf: &'b [u8],
        mut on_event: impl FnMut(&mut FileReport, Event<'b>, u64, Option<usize>),
    ) -> FileReport {
        let engine = self.engine;
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
            if item.len() > self.max_record_bytes {
                report.errors.push(InputError::RecordTooLarge {
                    path: path.to_path_buf(),
                    record: n as usize,
                    line: input::line_at(buf, item.start_address()),
                    size: item.len(),
                    limit: self.max_record_bytes,
                });
                return;
            }
            if let Item::Findings(text) = item {
                let line = input::line_at(buf, Some(text.as_ptr() as usize));
                let reads = crate::findings::read::document(text);
                // The document counted as one record; each finding in it counts.
                report.records += reads.len().saturating_sub(1) as u64;
                for read in reads {
                    match read {
                        Ok(finding) => self.scan_finding(&finding, n, line, &mut report),
                        Err((i, what)) => report.errors.push(record_error(n + i as u64, line, what)),
                    }
                }
                return;
            }
            if let Item::Text(_, Some(name)) = &item
                && !engine.wants(name)
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
            let line = || input::line_at(buf, raw.start_address());
            let event = match engine.wanted_event(&raw) {
                Ok(Some(event)) => event,
                Ok(None) => return,
                Err(e) => return report.errors.push(record_error(n, line(), e.to_string())),
            };
            match self.window.admits(&event.event_time) {
                Ok(true) => {}
                Ok(false) => return report.outside_window += 1,
                Err(e) => {
                    return report.errors.push(record_error(n, line(), format!("{e} (needed for --since/--until)")));
                }
            }
            // The record's address, not its line: counting lines costs a pass over the file
            // before the record, paid only when an error needs it (`input::line_at`).
            on_event(&mut report, event, n, raw.start_address());
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

    /// Triages one finding and runs the finding rules on it (record `n` of the report).
    fn scan_finding(&self, finding: &crate::findings::Finding, n: u64, line: Option<usize>, report: &mut FileReport) {
        let path = report.path.clone();
        let error = |what: String| InputError::Record { path: path.clone(), record: n as usize, line, what };
        let time = if finding.updated_at.is_empty() { &finding.last_seen } else { &finding.updated_at };
        match self.window.admits(time) {
            Ok(true) => {}
            Ok(false) => return report.outside_window += 1,
            Err(e) => return report.errors.push(error(format!("{e} (needed for --since/--until)"))),
        }
        let result = self.engine.evaluate_finding(finding);
        if result.quiet.is_some() {
            report.quiet_findings += 1;
            return;
        }
        let eval = result.evaluation;
        for id in eval.matched {
            *report.matched.entry(id).or_default() += 1;
        }
        report.details.extend(eval.details);
        report.suppressed.extend(eval.suppressed);
        report.errors.extend(eval.errors.into_iter().map(|e| error(e.to_string())));
    }

    /// Scans `files` on every core (or the current rayon pool's), calling `each` with every report
    /// in input order. Files are taken in batches, so output streams and memory stays bounded
    /// whatever the count. Files the time window rules out by their S3 key are not read.
    pub fn scan_files(&self, files: &[PathBuf], progress: &Progress, mut each: impl FnMut(FileReport)) {
        self.scan_files_until(files, progress, |report| {
            each(report);
            ControlFlow::Continue(())
        });
    }

    /// [`Replay::scan_files`], stopping (no further file is read) once `each` breaks: for a
    /// reader that has seen enough, such as a closed output pipe.
    pub fn scan_files_until(
        &self,
        files: &[PathBuf],
        progress: &Progress,
        mut each: impl FnMut(FileReport) -> ControlFlow<()>,
    ) {
        let read = |path: &PathBuf, ()| match self.window.may_hold(path) {
            true => self.scan_file(path),
            false => FileReport { path: path.clone(), ..FileReport::default() },
        };
        self.scan_batches_until(files, progress, |chunk| vec![(); chunk.len()], read, &mut each);
    }

    /// Reads `items` in batches of a few per core, in order: `load` fetches a batch's inputs
    /// (nothing for files; the objects' bytes for S3), `read` scans each on every core. Reports
    /// reach `each` in input order; a finding's repeats across the run are dropped; progress is
    /// counted. Stops once `each` breaks.
    pub fn scan_batches_until<T: Sync, L: Send>(
        &self,
        items: &[T],
        progress: &Progress,
        mut load: impl FnMut(&[T]) -> Vec<L>,
        read: impl Fn(&T, L) -> FileReport + Sync,
        mut each: impl FnMut(FileReport) -> ControlFlow<()>,
    ) {
        let batch = rayon::current_num_threads().max(1) * 8;
        let mut repeats = crate::findings::Repeats::default();
        for chunk in items.chunks(batch) {
            let loaded = load(chunk);
            let reports: Vec<FileReport> = chunk
                .par_iter()
                .zip(loaded)
                .map(|(item, input)| {
                    let report = read(item, input);
                    progress.add(&report);
                    report
                })
                .collect();
            for mut report in reports {
                report.repeats += repeats.filter(&mut report.details);
                if each(report).is_break() {
                    return;
                }
            }
        }
    }

    /// Scans a stream (standard input: JSON documents of any shape one after another, plain or
    /// gzip, as `zcat` or `cat *.json.gz` give them) on every core: it is cut into parts of whole
    /// records ([`stream::Parts`]), read on one thread while the parts before are scanned on the
    /// others. Record
    /// numbers and lines count from the start of the stream; memory stays bounded.
    pub fn scan_stream(
        &self,
        reader: impl Read + Send,
        name: &str,
        progress: &Progress,
        mut each: impl FnMut(FileReport),
    ) {
        self.scan_stream_until(reader, name, progress, |report| {
            each(report);
            ControlFlow::Continue(())
        });
    }

    /// [`Replay::scan_stream`], stopping once `each` breaks: no further part is scanned, and the
    /// reading threads end at their next block (they are joined before this returns).
    pub fn scan_stream_until(
        &self,
        reader: impl Read + Send,
        name: &str,
        progress: &Progress,
        mut each: impl FnMut(FileReport) -> ControlFlow<()>,
    ) {
        let path = PathBuf::from(name);
        let workers = rayon::current_num_threads().max(1);
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<stream::Part, InputError>>(workers * 2);
        // Three stages: one thread decompresses, one cuts parts, the pool scans them.
        let (block_tx, block_rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(8);
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let mut reader = match input::decompressed(reader) {
                    Ok((reader, _)) => reader,
                    Err(e) => {
                        let _ = block_tx.send(Err(e));
                        return;
                    }
                };
                loop {
                    let mut block = Vec::with_capacity(1 << 20);
                    match (&mut reader).take(1 << 20).read_to_end(&mut block) {
                        Ok(0) => return,
                        Ok(_) if block_tx.send(Ok(block)).is_ok() => {}
                        Ok(_) => return,
                        Err(e) => {
                            let _ = block_tx.send(Err(e));
                            return;
                        }
                    }
                }
            });
            let reader_path = path.clone();
            scope.spawn(move || {
                let blocks = Blocks { rx: block_rx, block: Vec::new(), at: 0 };
                let mut parts = stream::Parts::new(
                    blocks,
                    reader_path,
                    self.stream_part_bytes,
                    self.max_file_bytes,
                    self.max_record_bytes,
                );
                while let Some(part) = parts.next_part() {
                    if tx.send(part).is_err() {
                        return;
                    }
                }
            });
            let (mut records, mut number) = (0u64, 0u64);
            let mut repeats = crate::findings::Repeats::default();
            let mut rx = rx.into_iter().peekable();
            // Dropping `rx` (on a break) makes the cutter's next send fail, which ends it, and
            // the decompressor's after it.
            'parts: while rx.peek().is_some() {
                let batch: Vec<_> = rx.by_ref().take(workers).collect();
                let reports: Vec<(FileReport, Option<stream::Part>)> =
                    batch.into_par_iter().map(|part| self.scan_part(&path, part)).collect();
                for (mut report, at) in reports {
                    report.part = number;
                    number += 1;
                    place(&mut report, at.as_ref(), records);
                    records += report.records;
                    report.repeats += repeats.filter(&mut report.details);
                    progress.add(&report);
                    if each(report).is_break() {
                        break 'parts;
                    }
                }
            }
        });
    }
}
/// The blocks another thread decompressed, read in order.
struct Blocks {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    block: Vec<u8>,
    at: usize,
}

impl Read for Blocks {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.block.len() {
            match self.rx.recv() {
                Ok(block) => (self.block, self.at) = (block?, 0),
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.block.len() - self.at);
        out[..n].copy_from_slice(&self.block[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Moves the errors of a part's report (or of the cutter, `at` = `None`) to count from the
/// stream's start; `records` records came before it.
pub(crate) fn place(report: &mut FileReport, at: Option<&stream::Part>, records: u64) {
    for e in &mut report.errors {
        match (at, &mut *e) {
            (Some(part), e) => part.shift(e, records),
            (None, InputError::RecordTooLarge { record, .. }) => *record += records as usize,
            (None, _) => {}
        }
    }
}

/// Output format for alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A table for people, printed once all input is read.
    Table,
    /// One `EventDetail` JSON object per line, as alerts are found.
    Jsonl,
    /// One OCSF Detection Finding per line ([`crate::export::ocsf`]), as alerts are found.
    Ocsf,
    /// One SARIF 2.1.0 log ([`crate::export::sarif`]), written once all input is read.
    Sarif,
}

/// Totals over a whole replay, for the summary.
#[derive(Debug, Default)]
pub struct Totals {
    pub files: u64,
    pub records: u64,
    pub outside_window: u64,
    pub bytes: u64,
    pub errors: u64,
    pub suppressed: u64,
    pub quiet_findings: u64,
    pub repeats: u64,
    pub matched: BTreeMap<&'static str, u64>,
    pub alerts: BTreeMap<&'static str, u64>,
    /// Files in the folders that were not read, by reason.
    pub skipped: BTreeMap<crate::cloudtrail::input::SkippedFile, u64>,
}

/// Which rules the summary lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SummaryRules {
    /// The rules that looked at an event (the others are counted in one line).
    #[default]
    Seen,
    /// Every enabled rule, zeros included.
    All,
}

impl Totals {
    pub fn add(&mut self, engine: &Engine, report: &FileReport) {
        self.files += u64::from(report.part == 0);
        self.outside_window += report.outside_window;
        self.records += report.records;
        self.bytes += report.bytes;
        self.errors += report.errors.len() as u64;
        self.suppressed += report.suppressed.len() as u64;
        self.quiet_findings += report.quiet_findings;
        self.repeats += report.repeats;
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
    pub fn write_summary(
        &self,
        engine: &Engine,
        elapsed: std::time::Duration,
        rules: SummaryRules,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut table = comfy_table::Table::new();
        table.load_style(comfy_table::presets::NOTHING).set_header(["rule", "severity", "events", "alerts"]);
        let mut unseen = 0;
        for rule in engine.rules() {
            let n = |m: &BTreeMap<&str, u64>| m.get(rule.id).copied().unwrap_or(0);
            if rules == SummaryRules::Seen && n(&self.matched) == 0 && n(&self.alerts) == 0 {
                unseen += 1;
                continue;
            }
            // Rules can come from other crates: even their ids reach the terminal only made safe.
            let [events, alerts] = [n(&self.matched), n(&self.alerts)].map(|n| n.to_string());
            table.add_row([one_line(rule.id), rule.severity.to_string(), events, alerts]);
        }
        for i in 2..4 {
            if let Some(col) = table.column_mut(i) {
                col.set_cell_alignment(comfy_table::CellAlignment::Right);
            }
        }
        if !table.is_empty() {
            writeln!(out, "{table}")?;
        }
        if unseen > 0 {
            writeln!(out, "{unseen} more rules saw no event (--summary all lists every rule)")?;
        }
        if !self.skipped.is_empty() {
            let each: Vec<String> = self.skipped.iter().map(|(why, n)| format!("{n} {}", why.reason())).collect();
            writeln!(out, "skipped in the folders: {}", each.join("; "))?;
        }
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.0 { self.records as f64 / secs } else { 0.0 };
        let window = match self.outside_window {
            0 => String::new(),
            n => format!(" ({n} wanted records outside --since/--until)"),
        };
        let findings = match (self.quiet_findings, self.repeats) {
            (0, 0) => String::new(),
            (q, r) => format!(", {q} findings kept quiet by triage, {r} repeated findings"),
        };
        writeln!(
            out,
            "{} files, {} records{window}, {} alerts, {} suppressed{findings}, {} input errors in {:.2}s ({:.0} records/s)",
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
    detail.serialize(&mut serde_json::Serializer::with_formatter(&mut *out, TerminalSafe))?;
    out.write_all(b"\n")
}

/// Writes one planned response action as a JSON line (`replay --plan`): `finding_id`, `action`,
/// `resource`, `rule_id`, `severity`, `account_id`, `region`.
pub fn write_plan(planned: &crate::respond::plan::Planned, out: &mut dyn Write) -> io::Result<()> {
    planned.serialize(&mut serde_json::Serializer::with_formatter(&mut *out, TerminalSafe))?;
    out.write_all(b"\n")
}

/// Puts the response plan on each alert as "would do" steps, as the Lambda's email shows it
/// in plan mode (replay never acts).
pub fn attach_plans(details: &mut [EventDetail], settings: &crate::respond::settings::Settings) {
    for d in details {
        d.response = crate::respond::plan::plan(d, settings)
            .iter()
            .map(|p| p.would_do("a rehearsal: replay never acts"))
            .collect();
    }
}

/// Writes a suppressed alert as a JSON line: the alert's fields plus `suppressed_by`.
pub fn write_suppressed_jsonl(s: &crate::engine::Suppressed, out: &mut dyn Write) -> io::Result<()> {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        suppressed_by: &'a str,
        #[serde(flatten)]
        detail: &'a EventDetail,
    }
    let line = Line { suppressed_by: &s.by, detail: &s.detail };
    line.serialize(&mut serde_json::Serializer::with_formatter(&mut *out, TerminalSafe))?;
    out.write_all(b"\n")
}

/// Writes one alert as an OCSF Detection Finding, one line; a suppressed one (with the entry that
/// silenced it) has status Suppressed.
pub fn write_ocsf(detail: &EventDetail, suppressed_by: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
    let finding = match suppressed_by {
        None => crate::export::ocsf::detection_finding(detail),
        Some(by) => crate::export::ocsf::suppressed_finding(detail, by),
    };
    finding.serialize(&mut serde_json::Serializer::with_formatter(&mut *out, TerminalSafe))?;
    out.write_all(b"\n")
}

/// Writes every alert, with the file each was read from, as one SARIF log.
pub fn write_sarif(alerts: &[(PathBuf, EventDetail)], out: &mut dyn Write) -> io::Result<()> {
    let log = crate::export::sarif::log(alerts.iter().map(|(p, d)| (p.as_path(), d)));
    log.serialize(&mut serde_json::Serializer::with_formatter(&mut *out, TerminalSafe))?;
    out.write_all(b"\n")
}

/// Compact JSON whose strings also escape, as `\uXXXX`, what JSON lets through raw but a terminal
/// acts on or shows misleadingly: DEL, the C1 controls (U+009B is a CSI), line separators and
/// bidirectional overrides. The values decode unchanged; JSON lines read on a terminal are safe.
struct TerminalSafe;

impl serde_json::ser::Formatter for TerminalSafe {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            // Printable ASCII is the common case, and always safe.
            if (' '..='~').contains(&c) || !unsafe_on_a_terminal(c) {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..at])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = at + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// What [`one_line`] would not show as itself, between other text (so that its trimming of the
/// ends does not count): the one definition of unsafe text.
fn unsafe_on_a_terminal(c: char) -> bool {
    let framed = format!("a{c}a");
    one_line(&framed) != framed
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
        table.add_row([one_line(&d.event_time), one_line(&d.rule_id), one_line(&d.resource.id), one_line(&s.by)]);
    }
    writeln!(out, "{table}")
}

/// Writes alerts as a table for people: one row per event, in time order, its alerts one line
/// each; with `width` (a terminal's columns) the table wraps to fit it.
pub fn write_table(details: &[EventDetail], width: Option<u16>, out: &mut dyn Write) -> io::Result<()> {
    if details.is_empty() {
        return writeln!(out, "no alerts");
    }
    // In time order; one event's alerts together, in the order the rules raised them.
    let mut order: Vec<&EventDetail> = details.iter().collect();
    order.sort_by(|a, b| (&a.event_time, &a.event_id).cmp(&(&b.event_time, &b.event_id)));
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header(["event (time, account region, actor)", "alerts (severity rule: summary)"]);
    if let Some(width) = width {
        // Fit the terminal: the alerts wrap; the event's column takes at most a third.
        table.set_width(width).set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
        if let Some(column) = table.column_mut(0) {
            let most = (width / 3).max(24);
            column.set_constraint(comfy_table::ColumnConstraint::UpperBoundary(comfy_table::Width::Fixed(most)));
        }
    }
    for group in order.chunk_by(|a, b| a.event_id == b.event_id && a.event_time == b.event_time) {
        let d = group[0];
        // Every field comes from the record (or a rule's reading of it): none reaches the
        // terminal raw.
        // The same alert of the same event read from several files (copies of one log) once,
        // with its count.
        let mut alerts: Vec<(String, usize)> = Vec::new();
        for a in group {
            let line = format!("{} {}: {}", a.severity.label(), one_line(&a.rule_id), one_line(&a.summary));
            match alerts.iter_mut().find(|(l, _)| *l == line) {
                Some((_, n)) => *n += 1,
                None => alerts.push((line, 1)),
            }
        }
        let alerts: Vec<String> =
            alerts.into_iter().map(|(line, n)| if n > 1 { format!("{line} (in {n} files)") } else { line }).collect();
        let actor = match &d.actor.invoked_by {
            Some(service) => {
                one_line(&format!("{} via {}", d.actor.name, crate::cloudtrail::actor::service_name(service)))
            }
            None => one_line(&d.actor.name),
        };
        let event =
            format!("{}\n{} {}\n{actor}", one_line(&d.event_time), one_line(&d.account_id), one_line(&d.region));
        table.add_row([event, alerts.join("\n")]);
    }
    writeln!(out, "{table}")
}

/// Writes the emails a storm-grouping delivery would send for `details` (all of a run's alerts):
/// per actor and account, the first alert's email (with its event's other alerts), then one
/// `NNNN-digest-<group>.html/.txt` per window of `window_secs` with the rest
/// ([`crate::notify::storm::plan`], by event time). Critical alerts are never held.
pub fn write_grouped_previews(
    dir: &Path,
    details: &[EventDetail],
    account_name: &str,
    window_secs: i64,
    seq: &mut u64,
) -> io::Result<()> {
    use crate::notify::storm::{Message, plan};
    // Alerts sent at once, written per event by `write_previews` when a digest (or the end) comes.
    let mut pending: Vec<EventDetail> = Vec::new();
    for m in plan(details, window_secs) {
        match m {
            Message::Now(i) => pending.push(details[i].clone()),
            Message::Digest(digest, held) => {
                write_previews(dir, &pending, account_name, seq)?;
                pending.clear();
                let alerts: Vec<EventDetail> = held.iter().map(|&i| details[i].clone()).collect();
                let email =
                    crate::notify::render::render_digest(&alerts, account_name, &digest).map_err(io::Error::other)?;
                write_email(dir, &format!("digest-{}", digest.id), &email, seq)?;
            }
        }
    }
    write_previews(dir, &pending, account_name, seq)
}

/// Writes `email` as `NNNN-<name>.html` and `.txt` (subject line, blank line, text body), `NNNN`
/// the next of `seq`.
fn write_email(dir: &Path, name: &str, email: &crate::notify::render::Email, seq: &mut u64) -> io::Result<()> {
    *seq += 1;
    let stem = dir.join(format!("{:04}-{name}", *seq));
    std::fs::write(stem.with_extension("html"), &email.html)?;
    std::fs::write(stem.with_extension("txt"), format!("Subject: {}\n\n{}", email.subject, email.text))
}

/// Writes each event's alert email as it would be sent: `NNNN-<event id>.html` (the subject is
/// its title) and `.txt` (subject line, blank line, text body). `seq` numbers files across calls.
pub fn write_previews(dir: &Path, details: &[EventDetail], account_name: &str, seq: &mut u64) -> io::Result<()> {
    for group in crate::notify::render::per_event(details) {
        let email = crate::notify::render::render(group, account_name).map_err(io::Error::other)?;
        let id: String =
            group[0].event_id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(64).collect();
        write_email(dir, &id, &email, seq)?;
    }
    Ok(())
}
