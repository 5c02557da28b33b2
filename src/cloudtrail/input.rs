//! Readers for every shape CloudTrail arrives in.
//!
//! A file may hold a bare record, an array of records, a CloudTrail log file
//! (`{"Records": [...]}`), an EventBridge envelope (`detail` holds the record), or JSON lines of
//! any of these; any of them may be gzip-compressed; folders are walked recursively, so an S3
//! download (`AWSLogs/...`) works as it is. Each document is read in one pass: records are handed
//! to the caller as they are met, with only the spans of their top-level fields kept.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::cloudtrail::event::{Event, Field, FieldError, RawRecord};
use crate::cloudtrail::inflate;

/// The default limit on one file's decompressed size (512 MiB): reading stops there with
/// [`InputError::TooLarge`], so a gzip bomb (a small file inflating to gigabytes) costs at most
/// this much memory per worker. CloudTrail log files are far smaller (tens of MiB at most).
pub const MAX_FILE_BYTES: u64 = 512 << 20;

/// The default limit on one record's size (1 MiB): a larger record is reported and skipped.
/// CloudTrail itself omits request parameters over 100 KiB, so a real record never comes close.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// What one record position in a file turned out to be.
// Moved once per record straight to its consumer; boxing the large variant would allocate per record.
#[allow(clippy::large_enum_variant)]
pub enum Item<'a> {
    Record(RawRecord<'a>),
    /// A record of a CloudTrail log file, not yet scanned nor checked as UTF-8: most records no
    /// rule wants, and their `eventName` tells without scanning them. The second field is that
    /// name when its reader found it with certainty (the splitter, see
    /// [`crate::cloudtrail::split::Logged`], or [`event_name_hint`] on a record serde_json cut);
    /// `None`: scan the record to know.
    Text(&'a [u8], Option<&'a str>),
    /// Something that cannot be a record (a number, a string, a nested array...), named.
    NotARecord(&'static str),
    /// A whole document holding GuardDuty or Security Hub findings (an EventBridge event, a
    /// `get-findings` output, a bare finding or an array of them): read with
    /// [`crate::findings::read::document`].
    Findings(&'a str),
}

/// A problem with the input, named by file and position. Reading goes on after it.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: corrupt gzip data: {source}")]
    Gzip { path: PathBuf, source: std::io::Error },
    #[error(
        "{path}: stopped after {} of decompressed data, the limit for one file (a gzip bomb, or raise --max-file-size); the rest of it was not read",
        mib(*limit)
    )]
    TooLarge { path: PathBuf, limit: u64 },
    #[error(
        "{path}: record {record}{}: {} bytes, over the {} limit for one record; skipped",
        line.map(|l| format!(" (line {l})")).unwrap_or_default(), size, mib(*limit as u64)
    )]
    RecordTooLarge { path: PathBuf, record: usize, line: Option<usize>, size: usize, limit: usize },
    #[error("{path}: empty file, no records")]
    Empty { path: PathBuf },
    #[error("{path}: invalid JSON at line {line} column {column}: {message}")]
    Syntax { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: record {record}{}: {what}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Record { path: PathBuf, record: usize, line: Option<usize>, what: String },
}

/// A byte count for people: `512 MiB`, `1.5 MiB`, `64 KiB`, `300 bytes`.
pub fn mib(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

impl<'a> Item<'a> {
    /// The record's size in bytes (see [`RawRecord::len`]); 0 for what is not a record.
    pub fn len(&self) -> usize {
        match self {
            Item::Record(r) => r.len(),
            Item::Text(t, _) => t.len(),
            Item::Findings(t) => t.len(),
            Item::NotARecord(_) => 0,
        }
    }

    /// True for what is not a record or is an empty one.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where the record starts in the buffer it was read from (see [`line_at`]).
    pub fn start_address(&self) -> Option<usize> {
        match self {
            Item::Record(r) => r.start_address(),
            Item::Text(t, _) => Some(t.as_ptr() as usize),
            Item::Findings(t) => Some(t.as_ptr() as usize),
            Item::NotARecord(_) => None,
        }
    }

    /// The record's top-level fields, scanning it now if it was kept as text. `Err` names what
    /// was found instead of a record.
    pub fn scan(self) -> Result<RawRecord<'a>, String> {
        match self {
            Item::Record(r) => Ok(r),
            // The structural pass, else serde_json, which names what is wrong.
            Item::Text(bytes, _) => {
                let text = simdutf8::compat::from_utf8(bytes).map_err(|e| {
                    format!("invalid UTF-8 at byte {} of the record (a log file is UTF-8 JSON)", e.valid_up_to())
                })?;
                match RawRecord::from_text(text) {
                    Some(raw) => Ok(raw),
                    None => serde_json::from_str(text).map_err(|e| e.to_string()),
                }
            }
            Item::NotARecord(kind) => Err(format!("expected a CloudTrail record (a JSON object), found {kind}")),
            Item::Findings(_) => Err("expected a CloudTrail record, found findings".to_string()),
        }
    }
}

/// The `eventName` of a validated record's text, found without parsing it, when that can be
/// done with certainty: the key `"eventName"` appears exactly once, unescaped, with a plain
/// string value. (Inside a JSON string a `"` is always escaped, so an unescaped `"eventName"`
/// followed by `:` is a key.) `None` means: scan the record to know.
pub fn event_name_hint(text: &str) -> Option<&str> {
    static KEY: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    let finder = KEY.get_or_init(|| memchr::memmem::Finder::new(b"\"eventName\""));
    let bytes = text.as_bytes();
    let mut found = None;
    for at in finder.find_iter(bytes) {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        if !matches!(before, Some(b'{' | b',' | b' ' | b'\t' | b'\n' | b'\r')) {
            continue;
        }
        let rest = text.get(at + 11..)?.trim_start();
        let Some(value) = rest.strip_prefix(':') else { continue };
        if found.is_some() {
            return None;
        }
        found = Some(value.trim_start());
    }
    let value = found?.strip_prefix('"')?;
    let end = memchr::memchr2(b'"', b'\\', value.as_bytes())?;
    (value.as_bytes()[end] == b'"').then(|| &value[..end])
}

/// Why a single JSON text could not be read as one record.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("expected a CloudTrail record, an EventBridge envelope or a log file with one record, found {0}")]
    Shape(String),
    #[error("{0}")]
    Field(FieldError),
}

/// Reads one JSON text that must hold exactly one record (bare, enveloped, or alone in a log file).
pub fn parse_single(text: &str) -> Result<RawRecord<'_>, ParseError> {
    let mut items = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    DocSeed { sink: &mut |item| items.push(item), nested: false }.deserialize(&mut de)?;
    de.end()?;
    match (items.pop(), items.is_empty()) {
        (Some(item @ (Item::Record(_) | Item::Text(..))), true) => item.scan().map_err(ParseError::Shape),
        (Some(Item::NotARecord(kind)), true) => Err(ParseError::Shape(kind.to_string())),
        (Some(Item::Findings(_)), true) => Err(ParseError::Shape("findings".into())),
        (None, _) => Err(ParseError::Shape("no record".into())),
        (Some(_), false) => Err(ParseError::Shape(format!("{} records", items.len() + 1))),
    }
}

/// Calls `sink` for every record position in `buf`, a whole file's (decompressed) bytes, in order.
/// Syntax errors are returned; in JSON lines, reading resumes on the next line.
pub fn for_each_item<'a>(buf: &'a [u8], mut sink: impl FnMut(Item<'a>)) -> Vec<(usize, usize, String)> {
    let mut errors = Vec::new();
    let mut start = 0;
    let mut documents = 0usize;
    // (line, column) in `buf` of `start`, so positions in sub-slices report against the file.
    let (mut base_line, mut base_col) = (1usize, 1usize);
    // A log file is cut into records without checking its UTF-8 (each record some rule wants is
    // checked on its own); anything else is checked once here, so spans kept from it are not
    // re-validated.
    let mut checked = None;
    let mut text = || *checked.get_or_insert_with(|| simdutf8::basic::from_utf8(buf).ok());
    // Findings are told apart from CloudTrail document by document, which costs a second look
    // at each; a buffer without any key findings have (one memchr pass) never pays it, and a
    // buffer of log files (split without a parse) never pays even that pass.
    let mut findings_seen = None;
    let mut findings = || *findings_seen.get_or_insert_with(|| may_hold_findings(buf));
    while let Some(skip) = buf[start..].iter().position(|b| !b.is_ascii_whitespace()) {
        let at = start + skip;
        let slice = &buf[at..];
        let (line0, col0) = advance(buf, start, at, base_line, base_col);
        let result = parse_document(slice, || text().and_then(|t| t.get(at..)), &mut findings, &mut sink);
        documents += 1;
        let e = match result {
            // A log file that another document follows (a stream of them): go on after it.
            Ok(Some(end)) => {
                let previous = start;
                start = at + end;
                (base_line, base_col) = advance(buf, previous, start, base_line, base_col);
                continue;
            }
            Ok(None) => break,
            Err(e) => e,
        };
        let offset = offset_of(slice, e.line(), e.column());
        let (line, column) = absolute(line0, col0, e.line(), e.column());
        let previous = start;
        let trailing = e.is_syntax() && e.to_string().starts_with("trailing characters");
        if trailing {
            // Another document follows this one: JSON lines, or concatenated documents.
            start = start + skip + offset;
        } else {
            // In JSON lines a broken line swallows the lines after it; judge it on its own line.
            let first_nl = slice.iter().position(|&b| b == b'\n');
            let jsonl = first_nl.is_some_and(|nl| documents > 1 || next_line_is_a_value(&slice[nl + 1..]));
            match first_nl.filter(|_| jsonl) {
                Some(nl) => {
                    let own = parse_document(&slice[..nl], || None, &mut || false, &mut |_| {}).err().unwrap_or(e);
                    let (line, column) = absolute(line0, col0, own.line(), own.column());
                    errors.push((line, column, strip(&own.to_string())));
                    start = start + skip + nl + 1;
                }
                None => {
                    errors.push((line, column, strip(&e.to_string())));
                    break;
                }
            }
        }
        (base_line, base_col) = advance(buf, previous, start, base_line, base_col);
    }
    errors
}

/// True when `buf` holds a key only findings documents have: `"schemaVersion"` (GuardDuty),
/// `"SchemaVersion"` (ASFF, `get-findings`) or `"Findings"`.
fn may_hold_findings(buf: &[u8]) -> bool {
    static KEYS: OnceLock<[memchr::memmem::Finder<'static>; 2]> = OnceLock::new();
    let [schema, findings] = KEYS
        .get_or_init(|| [memchr::memmem::Finder::new(b"chemaVersion\""), memchr::memmem::Finder::new(b"\"Findings\"")]);
    schema.find(buf).is_some() || findings.find(buf).is_some()
}

/// Parses one document (and nothing after it, which is a "trailing characters" error): a log
/// file is cut by the splitter; anything else is read from `text()` when the bytes are UTF-8. `Ok(Some(end))`: a log file that ends at `end`, with
/// more after it. When `findings` (asked only for a document that is not a plain log file) says
/// the buffer may hold findings, a document that holds findings is handed over whole as
/// [`Item::Findings`].
fn parse_document<'a>(
    bytes: &'a [u8],
    text: impl FnOnce() -> Option<&'a str>,
    findings: &mut impl FnMut() -> bool,
    sink: &mut impl FnMut(Item<'a>),
) -> Result<Option<usize>, serde_json::Error> {
    if let Some((records, end)) = crate::cloudtrail::split::split_log_file(bytes) {
        records.into_iter().for_each(|r| sink(Item::Text(r.bytes, r.name)));
        let more = !bytes[end..].iter().all(u8::is_ascii_whitespace);
        return Ok(more.then_some(end));
    }
    let text = text();
    if findings() {
        // Findings are read as text: a document that is not UTF-8 is read as CloudTrail.
        let Some(t) = text else { return parse_records(bytes, None, sink) };
        let mut one = serde_json::Deserializer::from_str(t);
        let raw = <&RawValue as serde::Deserialize>::deserialize(&mut one)?;
        let doc = raw.get();
        if crate::findings::read::holds_findings(doc) {
            sink(Item::Findings(doc));
        } else {
            let mut inner = serde_json::Deserializer::from_str(doc);
            DocSeed { sink, nested: false }.deserialize(&mut inner)?;
        }
        return one.end().map(|()| None);
    }
    parse_records(bytes, text, sink)
}

/// [`parse_document`] for CloudTrail alone.
fn parse_records<'a>(
    bytes: &'a [u8],
    text: Option<&'a str>,
    sink: &mut impl FnMut(Item<'a>),
) -> Result<Option<usize>, serde_json::Error> {
    match text {
        Some(t) => {
            let mut de = serde_json::Deserializer::from_str(t);
            DocSeed { sink, nested: false }.deserialize(&mut de).and_then(|()| de.end()).map(|()| None)
        }
        None => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            DocSeed { sink, nested: false }.deserialize(&mut de).and_then(|()| de.end()).map(|()| None)
        }
    }
}

fn next_line_is_a_value(rest: &[u8]) -> bool {
    let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
    !line.iter().all(u8::is_ascii_whitespace) && serde_json::from_slice::<IgnoredAny>(line).is_ok()
}

/// serde_json reports 1-based lines and columns within the slice it was given.
fn offset_of(slice: &[u8], line: usize, column: usize) -> usize {
    let mut line_start = 0;
    for _ in 1..line {
        match slice[line_start..].iter().position(|&b| b == b'\n') {
            Some(nl) => line_start += nl + 1,
            None => break,
        }
    }
    (line_start + column.saturating_sub(1)).min(slice.len())
}

fn absolute(line0: usize, col0: usize, line: usize, column: usize) -> (usize, usize) {
    if line <= 1 { (line0, col0 + column.saturating_sub(1)) } else { (line0 + line - 1, column) }
}

/// The (line, column) of `to`, counting from `from` at (line, column).
fn advance(buf: &[u8], from: usize, to: usize, mut line: usize, mut col: usize) -> (usize, usize) {
    let part = &buf[from..to];
    match part.iter().rposition(|&b| b == b'\n') {
        Some(last) => {
            line += part.iter().filter(|&&b| b == b'\n').count();
            col = part.len() - last;
        }
        None => col += part.len(),
    }
    (line, col)
}

fn strip(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// A top-level value or an element of a top-level array.
struct DocSeed<'s, F> {
    sink: &'s mut F,
    nested: bool,
}

impl<'de, F: FnMut(Item<'de>)> DeserializeSeed<'de> for DocSeed<'_, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

macro_rules! not_a_record {
    ($($method:ident: $ty:ty => $kind:literal),* $(,)?) => {
        $(fn $method<E: de::Error>(self, _: $ty) -> Result<(), E> {
            (self.sink)(Item::NotARecord($kind));
            Ok(())
        })*
    };
}

impl<'de, F: FnMut(Item<'de>)> Visitor<'de> for DocSeed<'_, F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("CloudTrail records")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut rec = RawRecord::default();
        let (mut log_file, mut detail_type, mut detail) = (false, false, None);
        while let Some(key) = map.next_key::<Field>()? {
            match key {
                Field::Records => {
                    map.next_value_seed(RecordsSeed { sink: &mut *self.sink })?;
                    log_file = true;
                }
                Field::Detail => detail = Some(map.next_value_seed(DetailSeed)?),
                Field::DetailType => {
                    map.next_value::<IgnoredAny>()?;
                    detail_type = true;
                }
                other => rec.fill(other, &mut map)?,
            }
        }
        if !log_file {
            match detail {
                Some(item) if detail_type => (self.sink)(item),
                _ => (self.sink)(Item::Record(rec)),
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.nested {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            (self.sink)(Item::NotARecord("an array"));
            return Ok(());
        }
        while seq.next_element_seed(DocSeed { sink: &mut *self.sink, nested: true })?.is_some() {}
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        (self.sink)(Item::NotARecord("null"));
        Ok(())
    }

    not_a_record! {
        visit_bool: bool => "a boolean",
        visit_i64: i64 => "a number",
        visit_u64: u64 => "a number",
        visit_f64: f64 => "a number",
        visit_str: &str => "a string",
    }
}

/// The `Records` array of a CloudTrail log file: every element must be a record.
struct RecordsSeed<'s, F> {
    sink: &'s mut F,
}

impl<'de, F: FnMut(Item<'de>)> DeserializeSeed<'de> for RecordsSeed<'_, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Item<'de>)> Visitor<'de> for RecordsSeed<'_, F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of CloudTrail records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            let text = raw.get();
            (self.sink)(if text.starts_with('{') {
                Item::Text(text.as_bytes(), event_name_hint(text))
            } else {
                Item::NotARecord(crate::cloudtrail::event::kind_of(text))
            });
        }
        Ok(())
    }
}

/// One value that must be a record object; anything else becomes `NotARecord`.
struct DetailSeed;

impl<'de> DeserializeSeed<'de> for DetailSeed {
    type Value = Item<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Item<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

macro_rules! detail_not_a_record {
    ($($method:ident: $ty:ty => $kind:literal),* $(,)?) => {
        $(fn $method<E: de::Error>(self, _: $ty) -> Result<Item<'de>, E> {
            Ok(Item::NotARecord($kind))
        })*
    };
}

impl<'de> Visitor<'de> for DetailSeed {
    type Value = Item<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CloudTrail record")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item<'de>, A::Error> {
        let mut rec = RawRecord::default();
        while let Some(key) = map.next_key::<Field>()? {
            rec.fill(key, &mut map)?;
        }
        Ok(Item::Record(rec))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Item<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Item::NotARecord("an array"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Item<'de>, E> {
        Ok(Item::NotARecord("null"))
    }
    detail_not_a_record! {
        visit_bool: bool => "a boolean",
        visit_i64: i64 => "a number",
        visit_u64: u64 => "a number",
        visit_f64: f64 => "a number",
        visit_str: &str => "a string",
    }
}

/// The 1-based line of `address` (from [`RawRecord::start_address`]) in `buf`.
pub fn line_at(buf: &[u8], address: Option<usize>) -> Option<usize> {
    let offset = address?.checked_sub(buf.as_ptr() as usize).filter(|&o| o <= buf.len())?;
    Some(buf[..offset].iter().filter(|&&b| b == b'\n').count() + 1)
}

/// The line an error is reported at, for ordering a file's errors.
impl InputError {
    pub fn line(&self) -> usize {
        match self {
            InputError::Syntax { line, .. } => *line,
            InputError::Record { line, .. } | InputError::RecordTooLarge { line, .. } => line.unwrap_or(0),
            _ => 0,
        }
    }
}

/// True for the files replay reads when given a folder.
pub fn is_input_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    [".json", ".jsonl", ".json.gz", ".jsonl.gz"].iter().any(|ext| name.ends_with(ext))
}

/// Why a file found in a folder is not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkippedFile {
    /// `NAME.facts`: live-state facts for the input file beside it, not an input.
    Facts,
    /// Any other extension.
    NotALogFormat,
}

impl SkippedFile {
    pub fn reason(self) -> &'static str {
        match self {
            SkippedFile::Facts => "facts (each answers the questions of the input file beside it)",
            SkippedFile::NotALogFormat => "not a log format (.json, .jsonl, .json.gz, .jsonl.gz)",
        }
    }
}

/// What [`collect_inputs`] found.
#[derive(Debug, Default)]
pub struct Collected {
    /// The input files, each folder's sorted.
    pub files: Vec<PathBuf>,
    /// Folders that could not be walked.
    pub errors: Vec<InputError>,
    /// Files inside folders that are not read, with the reason.
    pub skipped: Vec<(PathBuf, SkippedFile)>,
}

/// Expands files and folders (recursively) into the input files, sorted, skipping CloudTrail
/// digest files (integrity hashes, not events). Named files are taken whatever their extension.
pub fn collect_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<InputError>) {
    let found = collect_inputs(paths);
    (found.files, found.errors)
}

/// [`collect_files`], also naming the files of the folders that are not read, and why.
pub fn collect_inputs(paths: &[PathBuf]) -> Collected {
    let mut out = Collected::default();
    for path in paths {
        if !path.is_dir() {
            out.files.push(path.clone());
            continue;
        }
        let mut found = Vec::new();
        let walk = walkdir::WalkDir::new(path).follow_links(true).into_iter();
        for entry in walk.filter_entry(|e| e.file_name() != "CloudTrail-Digest") {
            match entry {
                Ok(e) if e.file_type().is_file() && is_input_file(e.path()) => found.push(e.into_path()),
                Ok(e) if e.file_type().is_file() => {
                    let why = match e.path().extension().is_some_and(|x| x == "facts") {
                        true => SkippedFile::Facts,
                        false => SkippedFile::NotALogFormat,
                    };
                    out.skipped.push((e.into_path(), why));
                }
                Ok(_) => {}
                Err(e) => out.errors.push(InputError::Io {
                    path: e.path().map(Path::to_path_buf).unwrap_or_else(|| path.clone()),
                    source: e.into_io_error().unwrap_or_else(|| std::io::Error::other("filesystem loop")),
                }),
            }
        }
        found.sort();
        out.files.extend(found);
    }
    out
}

/// Reads a whole file, gunzipping it when it starts with the gzip magic bytes (whatever its name),
/// up to [`MAX_FILE_BYTES`] decompressed.
pub fn read_file(path: &Path) -> Result<Vec<u8>, InputError> {
    let mut buf = Vec::new();
    read_file_into(path, &mut buf, MAX_FILE_BYTES)?;
    Ok(buf)
}

/// [`read_file`] into a caller's buffer (cleared first), so a worker reuses one allocation for
/// every file instead of faulting in fresh pages for each; at most `max_bytes` decompressed.
pub fn read_file_into(path: &Path, buf: &mut Vec<u8>, max_bytes: u64) -> Result<(), InputError> {
    let file = std::fs::File::open(path).map_err(|source| InputError::Io { path: path.to_path_buf(), source })?;
    read_stream_into(file, path, buf, max_bytes)
}

/// Reads a whole stream, gunzipping it when it is gzip data, up to [`MAX_FILE_BYTES`].
pub fn read_stream(reader: impl Read, path: &Path) -> Result<Vec<u8>, InputError> {
    let mut buf = Vec::new();
    read_stream_into(reader, path, &mut buf, MAX_FILE_BYTES)?;
    Ok(buf)
}

/// The reader of a stream, gunzipping it (streaming, zlib-rs) when it starts with the gzip magic
/// bytes: for input of unknown length, such as standard input.
pub fn decompressed<'r>(mut reader: impl Read + 'r) -> std::io::Result<(Box<dyn Read + 'r>, bool)> {
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        match reader.read(&mut head[got..])? {
            0 => break,
            n => got += n,
        }
    }
    let chained = std::io::Read::chain(std::io::Cursor::new(head).take(got as u64), reader);
    Ok(if head[..got] == inflate::MAGIC {
        (Box::new(flate2::read::MultiGzDecoder::new(chained)), true)
    } else {
        (Box::new(chained), false)
    })
}

thread_local! {
    // One inflater and one buffer for the compressed bytes per worker, reused for every object.
    static INFLATER: std::cell::RefCell<(inflate::Inflater, Vec<u8>)> = std::cell::RefCell::new(Default::default());
}

/// [`read_stream`] into a caller's buffer (cleared first), at most `max_bytes` decompressed: the
/// whole stream is read, then inflated in one call when it is gzip data ([`bytes_into`]).
pub fn read_stream_into(reader: impl Read, path: &Path, buf: &mut Vec<u8>, max_bytes: u64) -> Result<(), InputError> {
    buf.clear();
    let read = reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(buf)
        .map_err(|source| InputError::Io { path: path.to_path_buf(), source })?;
    if read as u64 > max_bytes {
        buf.clear();
        return Err(InputError::TooLarge { path: path.to_path_buf(), limit: max_bytes });
    }
    if !inflate::is_gzip(buf) {
        if path.extension().is_some_and(|x| x.eq_ignore_ascii_case("gz")) && !buf.is_empty() {
            // Named as gzip, and not: say so, rather than what a JSON parser makes of it.
            buf.clear();
            let what = "the name ends in .gz but the file is not gzip data (no gzip magic bytes at the start)";
            return Err(InputError::Gzip { path: path.to_path_buf(), source: std::io::Error::other(what) });
        }
        return not_empty(path, buf);
    }
    INFLATER.with_borrow_mut(|(inflater, gz)| {
        std::mem::swap(gz, buf);
        let inflated = gunzip(inflater, gz, path, buf, max_bytes);
        gz.clear();
        // Not kept large for a worker's remaining (typically small) files.
        if gz.capacity() > 64 << 20 {
            *gz = Vec::new();
        }
        inflated
    })
}

/// An object's bytes (an S3 body, a file read whole) into `buf` (cleared first): inflated when
/// they are gzip data, copied otherwise; at most `max_bytes`.
pub fn bytes_into(bytes: &[u8], path: &Path, buf: &mut Vec<u8>, max_bytes: u64) -> Result<(), InputError> {
    buf.clear();
    if !inflate::is_gzip(bytes) {
        if bytes.len() as u64 > max_bytes {
            return Err(InputError::TooLarge { path: path.to_path_buf(), limit: max_bytes });
        }
        buf.extend_from_slice(bytes);
        return not_empty(path, buf);
    }
    INFLATER.with_borrow_mut(|(inflater, _)| gunzip(inflater, bytes, path, buf, max_bytes))
}

fn gunzip(
    inflater: &mut inflate::Inflater,
    gz: &[u8],
    path: &Path,
    buf: &mut Vec<u8>,
    max_bytes: u64,
) -> Result<(), InputError> {
    let limit = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    match inflater.gunzip(gz, buf, limit) {
        Ok(()) => not_empty(path, buf),
        Err(inflate::InflateError::TooLarge) => {
            buf.clear();
            Err(InputError::TooLarge { path: path.to_path_buf(), limit: max_bytes })
        }
        Err(inflate::InflateError::Corrupt(what)) => {
            buf.clear();
            Err(InputError::Gzip { path: path.to_path_buf(), source: std::io::Error::other(what) })
        }
    }
}

fn not_empty(path: &Path, buf: &[u8]) -> Result<(), InputError> {
    match buf.iter().all(u8::is_ascii_whitespace) {
        true => Err(InputError::Empty { path: path.to_path_buf() }),
        false => Ok(()),
    }
}

impl<'a> Event<'a> {
    /// Parses one JSON text holding a single CloudTrail record or an EventBridge envelope around one.
    pub fn from_json(text: &'a str) -> Result<Self, ParseError> {
        let raw = parse_single(text)?;
        Event::from_raw(&raw).map_err(ParseError::Field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> (Vec<String>, Vec<(usize, usize, String)>) {
        let mut out = Vec::new();
        let errors = for_each_item(text.as_bytes(), |item| match item {
            Item::NotARecord(k) => out.push(format!("<{k}>")),
            item => {
                out.push(item.scan().unwrap().event_name().map(|n| n.into_owned()).unwrap_or_else(|e| e.to_string()))
            }
        });
        (out, errors)
    }

    #[test]
    fn every_shape() {
        assert_eq!(names(r#"{"eventName":"A"}"#).0, ["A"]);
        assert_eq!(names(r#"[{"eventName":"A"},{"eventName":"B"}]"#).0, ["A", "B"]);
        assert_eq!(names(r#"{"Records":[{"eventName":"A"},{"eventName":"B"}]}"#).0, ["A", "B"]);
        assert_eq!(
            names(r#"{"version":"0","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"A"}}"#).0,
            ["A"]
        );
        assert_eq!(
            names("{\"eventName\":\"A\"}\n{\"Records\":[{\"eventName\":\"B\"}]}\n[{\"eventName\":\"C\"}]\n").0,
            ["A", "B", "C"]
        );
    }

    #[test]
    fn log_files_one_after_another_take_the_fast_path_and_keep_their_lines() {
        let text = "{\"Records\":[{\"eventName\":\"A\"}]}{\"Records\":[{\"eventName\":\"B\"}]}\n\n{\"Records\":[{\"eventName\":\"C\"}]}\n{\"Records\":[{\"eventName\":\"D\"},]}";
        let (got, errors) = names(text);
        // The last one is read by serde_json (a trailing comma): its record, then the error.
        assert_eq!(got, ["A", "B", "C", "D"]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, 4, "the broken log file is on line 4: {errors:?}");
    }

    #[test]
    fn not_records_are_named() {
        assert_eq!(
            names(r#"[1,"x",null,[2],{"eventName":"A"}]"#).0,
            ["<a number>", "<a string>", "<null>", "<an array>", "A"]
        );
        assert_eq!(names(r#"{"Records":[true,{"eventName":"A"}]}"#).0, ["<a boolean>", "A"]);
    }

    #[test]
    fn json_lines_resume_after_a_broken_line() {
        let (got, errors) = names("{\"eventName\":\"A\"}\n{\"eventName\":\n{\"eventName\":\"C\"}\n");
        assert_eq!(got, ["A", "C"]);
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].0, errors[0].1), (2, 13), "{errors:?}");
    }

    #[test]
    fn truncated_log_file_keeps_the_records_before_the_cut() {
        let (got, errors) = names(r#"{"Records":[{"eventName":"A"},{"eventName":"B"},{"eventN"#);
        assert_eq!(got, ["A", "B"]);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].2.contains("EOF"), "{errors:?}");
    }

    #[test]
    fn event_name_hint_is_certain_or_silent() {
        assert_eq!(event_name_hint(r#"{"a":1, "eventName" : "StopLogging","b":2}"#), Some("StopLogging"));
        // Escaped quotes inside a value are not a key.
        assert_eq!(
            event_name_hint(r#"{"x":"\"eventName\":\"DeleteTrail\"","eventName":"GetObject"}"#),
            Some("GetObject")
        );
        // Twice (a nested key), escaped value, escaped key, non-string: scan instead.
        assert_eq!(event_name_hint(r#"{"p":{"eventName":"A"},"eventName":"B"}"#), None);
        assert_eq!(event_name_hint(r#"{"eventName":"Stop\u004cogging"}"#), None);
        assert_eq!(event_name_hint(r#"{"event\u004eame":"StopLogging"}"#), None);
        assert_eq!(event_name_hint(r#"{"eventName":5}"#), None);
    }

    #[test]
    fn escaped_names_decode() {
        assert_eq!(names(r#"{"eventName":"Stop\u004cogging"}"#).0, ["StopLogging"]);
        assert_eq!(names(r#"{"eventName":5}"#).0, ["field `eventName`: expected a string, found a number"]);
        assert_eq!(names(r#"{"eventSource":"x"}"#).0, ["field `eventName`: missing"]);
    }
}
