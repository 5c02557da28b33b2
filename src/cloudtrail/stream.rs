//! Input of any size in bounded memory: a stream cut into parts of whole records.
//!
//! [`Parts`] reads a decompressed stream (standard input, a file or an S3 object too large to
//! inflate whole) and hands out parts that the ordinary readers take
//! ([`crate::cloudtrail::input::for_each_item`]), each ending where a record ends:
//!
//! - Inside a CloudTrail log file (`{"Records":[`, as CloudTrail writes it) or a bare array of
//!   records, parts are cut between the array's elements, and each part is a log file
//!   `{"Records":[...]}` (or an array `[...]`) of the records it holds, so the splitter reads it
//!   as it reads a whole file. Memory is bounded by the part size and the record limit, whatever
//!   the file's size: a record over the limit is skipped as it streams by, and reported. After
//!   the `Records` array only white space and the closing `}` may come (CloudTrail writes nothing
//!   else); anything else is a syntax error, and reading goes on from there as a new document.
//! - Any other document (a bare record, an envelope, a findings document, a line of JSON lines)
//!   is kept whole, up to the file limit.
//!
//! A document (or a stretch between documents) over the file limit is reported as
//! [`InputError::TooLarge`], with the records before it handed out: a file stops there; standard
//! input drops the rest of that document as it streams by and reads on after it.
//! Positions in each part count from the stream's start through [`Part::shift`].

use std::collections::VecDeque;
use std::io::Read;
use std::path::PathBuf;

use crate::cloudtrail::input::InputError;

/// Whole records (or documents) of a stream, and where they were in it.
pub struct Part {
    /// A shape [`crate::cloudtrail::input::for_each_item`] reads: whole documents, or `[` records `]`.
    pub bytes: Vec<u8>,
    /// Line breaks in the stream before the part's first byte.
    pub line: usize,
    /// Bytes between the last of those line breaks and the part's first byte.
    pub column: usize,
    /// Bytes put before the stream's own (`{"Records":[` or `[` before records cut out of an array).
    pub prefix: usize,
}

impl Part {
    /// Moves an error found in this part's bytes to its place in the stream; `records` records
    /// came before the part.
    pub fn shift(&self, e: &mut InputError, records: u64) {
        match e {
            InputError::Syntax { line, column, .. } => {
                if *line == 1 {
                    *column = (*column + self.column).saturating_sub(self.prefix);
                }
                *line += self.line;
            }
            InputError::Record { line, record, .. } | InputError::RecordTooLarge { line, record, .. } => {
                *record += records as usize;
                if let Some(l) = line {
                    *l += self.line;
                }
            }
            _ => {}
        }
    }
}

/// The cutter (see the module's documentation).
pub struct Parts<R> {
    reader: R,
    path: PathBuf,
    part_bytes: usize,
    max_doc: u64,
    max_record: usize,
    /// Stop at the first document over the limit (a file), or read on (standard input).
    stop_at_limit: bool,
    gzip: bool,
    /// Stream bytes read and not yet handed out or dropped; `buf[0]` is at `offset`.
    buf: Vec<u8>,
    offset: u64,
    /// Line breaks before `buf[0]`, and bytes since the last of them.
    line: usize,
    column: usize,
    /// How far into `buf` the scan has looked, and its state there.
    scanned: usize,
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// Cutting between the elements of an array whose elements are at this depth.
    array: Option<u32>,
    /// Doc mode: the last end of a document in `buf`. Array mode: the last comma between elements.
    boundary: Option<usize>,
    /// Where in the stream the current document (or the stretch since the last one) started.
    doc_start: u64,
    /// After a log file's `Records` array: only white space and `}` may follow.
    trailer: bool,
    /// The rest of a document over the file limit: dropped as it streams by, up to its end.
    dropping: bool,
    /// Dropping an element over the record limit: its size so far, and the line it started on.
    skipping_record: Option<(usize, usize)>,
    /// A document over the file limit was dropped: until one ends, another overflow is its rest.
    skipping_doc: bool,
    eof: bool,
    /// The end of the stream was handled.
    finished: bool,
    error: Option<std::io::Error>,
    ready: VecDeque<Result<Part, InputError>>,
}

/// Bytes enough to tell a log file's start (`{"Records":[`, with some white space).
const HEAD: usize = 64;

impl<R: Read> Parts<R> {
    /// `reader` must already be decompressed; `path` names it in errors. Parts are about
    /// `part_bytes`; a record may be at most `max_record` bytes, a document `max_doc`.
    pub fn new(reader: R, path: PathBuf, part_bytes: usize, max_doc: u64, max_record: usize) -> Self {
        Parts {
            reader,
            path,
            part_bytes: part_bytes.max(1),
            max_doc,
            max_record,
            stop_at_limit: false,
            gzip: false,
            buf: Vec::new(),
            offset: 0,
            line: 0,
            column: 0,
            scanned: 0,
            depth: 0,
            in_string: false,
            escaped: false,
            array: None,
            boundary: None,
            doc_start: 0,
            trailer: false,
            dropping: false,
            skipping_record: None,
            skipping_doc: false,
            eof: false,
            finished: false,
            error: None,
            ready: VecDeque::new(),
        }
    }

    /// Bytes the cutter holds now (its buffer's capacity): in a log file or an array, about a
    /// read, a part and a record; inside any other document, up to the file limit.
    pub fn held(&self) -> usize {
        self.buf.capacity()
    }

    /// The stream is inflated gzip: its read errors are corrupt gzip data.
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = gzip;
        self
    }

    /// Stops reading at the first document over the limit, as for a file.
    pub fn stop_at_limit(mut self) -> Self {
        self.stop_at_limit = true;
        self
    }

    /// The next part, or an error (after which reading goes on), or `None` at the end.
    pub fn next_part(&mut self) -> Option<Result<Part, InputError>> {
        loop {
            if let Some(ready) = self.ready.pop_front() {
                return Some(ready);
            }
            if self.eof {
                self.finish();
                if let Some(ready) = self.ready.pop_front() {
                    return Some(ready);
                }
                let path = self.path.clone();
                let corrupt = |e: &std::io::Error| {
                    use std::io::ErrorKind::{InvalidData, InvalidInput, UnexpectedEof};
                    self.gzip && matches!(e.kind(), InvalidData | InvalidInput | UnexpectedEof)
                };
                return self.error.take().map(|source| match corrupt(&source) {
                    // As the whole reader says it (libdeflate names no more than this).
                    true => Err(InputError::Gzip {
                        path,
                        source: std::io::Error::other(crate::cloudtrail::inflate::CORRUPT),
                    }),
                    false => Err(InputError::Io { path, source }),
                });
            }
            self.fill();
            self.scan();
            self.cut_when_full();
        }
    }

    fn fill(&mut self) {
        // Reads of at most a part (and 1 MiB), so parts are cut near the size asked for.
        let want = self.part_bytes.clamp(HEAD, 1 << 20);
        // `read_to_end` fills the spare capacity without zeroing it first on every call.
        match (&mut self.reader).take(want as u64).read_to_end(&mut self.buf) {
            Ok(0) => self.eof = true,
            Ok(_) => {}
            Err(e) => {
                self.error = Some(e);
                self.eof = true;
            }
        }
    }

    /// Drops `n` bytes from the front of `buf`, keeping the position of what follows.
    fn drain(&mut self, n: usize) {
        let gone = &self.buf[..n];
        match memchr::memrchr(b'\n', gone) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', gone).count();
                self.column = n - last - 1;
            }
            None => self.column += n,
        }
        self.buf.drain(..n);
        self.offset += n as u64;
        self.scanned -= n.min(self.scanned);
        self.boundary = self.boundary.and_then(|b| b.checked_sub(n));
    }

    /// Hands out `buf[..end]` as a part (unless blank), `[`-wrapped in array mode, and drops
    /// `take` bytes (`end` plus a separator).
    fn cut(&mut self, end: usize, take: usize) {
        self.cut_closed(end, take, true)
    }

    /// [`Parts::cut`], with an array's part closed or not (not at the end of a stream that ended
    /// inside the array, so the parser names the same place as for the whole file; such a part
    /// goes even when blank, so that `{"Records":[` alone is an error as it is whole).
    fn cut_closed(&mut self, end: usize, take: usize, closed: bool) {
        let bytes = &self.buf[..end];
        if !bytes.iter().all(u8::is_ascii_whitespace) || (!closed && self.array.is_some()) {
            let (open, close): (&[u8], &[u8]) = match self.array {
                Some(2) => (b"{\"Records\":[", b"]}"),
                Some(_) => (b"[", b"]"),
                None => (b"", b""),
            };
            let close = if closed { close } else { b"" };
            let (bytes, prefix) = ([open, bytes, close].concat(), open.len());
            let part = Part { bytes, line: self.line, column: self.column, prefix };
            self.ready.push_back(Ok(part));
        }
        self.drain(take);
    }

    fn cut_when_full(&mut self) {
        if let Some(b) = self.boundary
            && b >= self.part_bytes
        {
            match self.array {
                Some(_) => self.cut(b, b + 1),
                None => self.cut(b, b),
            }
        }
        // White space before a document or an element is not kept.
        if self.boundary.is_none() && self.skipping_record.is_none() {
            let blank = self.buf[..self.scanned].iter().take_while(|b| b.is_ascii_whitespace()).count();
            if blank > 0 && (blank == self.scanned || self.depth > 0 || self.array.is_some()) {
                self.drain(blank);
            }
        }
    }

    /// At the end of the stream: what is left goes to the parser, which names what is wrong with it.
    fn finish(&mut self) {
        if std::mem::replace(&mut self.finished, true) {
            return;
        }
        if let Some((size, line)) = self.skipping_record.take() {
            // The stream ended inside the record being dropped.
            self.ready.push_back(Err(InputError::RecordTooLarge {
                path: self.path.clone(),
                record: 1,
                line: Some(line),
                size: size + self.buf.len(),
                limit: self.max_record,
            }));
        }
        if self.trailer {
            let (line, column) = self.position(self.buf.len());
            let message = "the file ends before the `}` that closes the log file".to_string();
            self.ready.push_back(Err(InputError::Syntax { path: self.path.clone(), line, column, message }));
        }
        if self.trailer || self.dropping || (self.buf.is_empty() && self.array.is_none()) {
            self.buf.clear();
            return;
        }
        let end = self.buf.len();
        self.cut_closed(end, end, false);
    }

    /// Scans the bytes read since the last call, cutting and dropping as records end.
    fn scan(&mut self) {
        let mut i = self.scanned;
        while i < self.buf.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                match memchr::memchr2(b'"', b'\\', &self.buf[i..]) {
                    Some(at) => {
                        i += at;
                        match self.buf[i] {
                            b'"' => self.in_string = false,
                            _ => self.escaped = true,
                        }
                        i += 1;
                    }
                    None => i = self.buf.len(),
                }
                continue;
            }
            let byte = self.buf[i];
            if self.trailer && !self.dropping {
                match byte {
                    b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                    b'}' => {
                        self.depth = 0;
                        self.doc_ended(i + 1);
                        i = self.scanned;
                    }
                    _ => {
                        // Not CloudTrail's layout: named, and read on from here as a new document.
                        let (line, column) = self.position(i);
                        let message = "expected `}` after the log file's `Records` array".to_string();
                        self.ready.push_back(Err(InputError::Syntax {
                            path: self.path.clone(),
                            line,
                            column,
                            message,
                        }));
                        (self.trailer, self.depth) = (false, 0);
                        self.drain(i);
                        self.doc_start = self.offset;
                        i = 0;
                    }
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' if self.depth == 0 && !self.dropping => {
                    if byte == b'{' && self.buf.len() - i < HEAD && !self.eof {
                        break; // too few bytes to tell a log file yet
                    }
                    if let Some(header) = array_header(&self.buf[i..]) {
                        // Documents before it go as they are; the header is not kept.
                        self.scanned = i;
                        self.cut(i, i);
                        self.depth = header.depth;
                        self.array = Some(header.depth);
                        self.skipping_doc = false;
                        self.drain(header.len);
                        i = 0;
                        self.scanned = 0;
                        continue;
                    }
                    self.depth = 1;
                }
                // A record of a log file or an array: found whole by the splitter's SIMD bracket
                // match when the buffer holds all of it (a record at a time, not a byte).
                b'{' | b'[' if self.array == Some(self.depth) && self.skipping_record.is_none() && !self.dropping => {
                    match crate::cloudtrail::split::bracket_end(&self.buf, i) {
                        Some(end) if end - i <= self.max_record => {
                            i = end;
                            continue;
                        }
                        _ => self.depth = self.depth.saturating_add(1),
                    }
                }
                b'{' | b'[' => self.depth = self.depth.saturating_add(1),
                b',' if self.array == Some(self.depth) => {
                    self.scanned = i;
                    if self.element_ended(i, 1) {
                        i = self.scanned;
                        continue;
                    }
                    self.boundary = Some(i);
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if let Some(d) = self.array
                        && self.depth == d - 1
                    {
                        // The array closes: its last elements go, the rest of a log file is dropped.
                        self.scanned = i;
                        if !self.element_ended(i, 0) {
                            self.cut(i, i);
                        }
                        let close = self.scanned + 1;
                        self.array = None;
                        self.trailer = self.depth > 0 && !self.dropping;
                        self.drain(close.min(self.buf.len()));
                        i = self.scanned;
                        if self.depth == 0 {
                            self.doc_start = self.offset;
                        }
                        continue;
                    }
                    if self.depth == 0 {
                        self.doc_ended(i + 1);
                        i = self.scanned;
                        continue;
                    }
                }
                b'\n' if self.depth == 0 => {
                    self.doc_ended(i + 1);
                    i = self.scanned;
                    continue;
                }
                _ => {}
            }
            i += 1;
            // A record's size runs from its first byte to its last: white space around it is not
            // counted, as it is not when the file is read whole.
            if !byte.is_ascii_whitespace() && self.record_too_long(i, true) {
                i = self.scanned;
                continue;
            }
        }
        self.scanned = i.min(self.buf.len());
        // Also inside a long string, which the loop above crosses in one step.
        let ends_in_record = self.in_string || self.scanned == 0 || !self.buf[self.scanned - 1].is_ascii_whitespace();
        self.record_too_long(self.scanned, ends_in_record);
        if let Some((size, _)) = &mut self.skipping_record {
            // The skipped record's bytes are counted and dropped as they stream by.
            *size += self.scanned;
            let n = self.scanned;
            self.drain(n);
        }
        if self.dropping || self.trailer {
            // The rest of a document dropped (or a trailer read) as it streams by.
            let n = self.scanned;
            self.drain(n);
        }
        if self.stream_offset() - self.doc_start > self.max_doc {
            self.doc_too_large();
        }
    }

    fn stream_offset(&self) -> u64 {
        self.offset + self.scanned as u64
    }

    /// The line and column (from 1) of `buf[at]` in the stream.
    fn position(&self, at: usize) -> (usize, usize) {
        let before = &self.buf[..at];
        match memchr::memrchr(b'\n', before) {
            Some(nl) => (self.line + 1 + memchr::memchr_iter(b'\n', before).count(), at - nl),
            None => (self.line + 1, self.column + at + 1),
        }
    }

    /// A document ended just before `end` (at depth 0): a place to cut.
    fn doc_ended(&mut self, end: usize) {
        self.scanned = end;
        self.skipping_doc = false;
        if self.trailer || self.dropping {
            (self.trailer, self.dropping) = (false, false);
            self.drain(end);
        } else {
            self.boundary = Some(end);
        }
        self.doc_start = self.stream_offset();
    }

    /// At a separator (`sep` 1, dropped with the record) or the array's end (`sep` 0) at `at`:
    /// ends a record being skipped, reporting it. Returns whether one was (its bytes are then
    /// gone and `scanned` is where it ended).
    fn element_ended(&mut self, at: usize, sep: usize) -> bool {
        let Some((size, line)) = self.skipping_record.take() else { return false };
        let trailing = self.buf[..at].iter().rev().take_while(|c| c.is_ascii_whitespace()).count();
        self.ready.push_back(Err(InputError::RecordTooLarge {
            path: self.path.clone(),
            record: 1,
            line: Some(line),
            size: size + at - trailing,
            limit: self.max_record,
        }));
        self.drain(at + sep);
        true
    }

    /// Inside an array, the record being read has grown past the limit at `i` (`at_content`:
    /// `buf[i - 1]` is part of the record, not white space after it): the records before it go,
    /// and it is dropped as it streams by. White space inside a record counts, as it does whole;
    /// a run of it past twice the limit (and a read) stops the record too, so memory stays
    /// bounded. Returns whether the record was dropped.
    fn record_too_long(&mut self, i: usize, at_content: bool) -> bool {
        if self.array.is_none() || self.skipping_record.is_some() || self.dropping {
            return false;
        }
        let start = self.boundary.map_or(0, |b| b + 1);
        let raw = i.saturating_sub(start);
        if raw <= self.max_record {
            return false;
        }
        let lead = self.buf[start..i].iter().take_while(|c| c.is_ascii_whitespace()).count();
        let over = match at_content {
            true => raw - lead > self.max_record,
            false => raw > 2 * self.max_record + (1 << 20),
        };
        if !over {
            return false;
        }
        self.scanned = i;
        if let Some(b) = self.boundary {
            self.cut(b, b + 1);
        }
        let n = i - start;
        let line = self.line + 1 + self.buf[..lead].iter().filter(|&&c| c == b'\n').count();
        self.skipping_record = Some((n - lead, line));
        self.scanned = n;
        self.drain(n);
        true
    }

    /// The current document (or the stretch since the last one) is over the file limit.
    fn doc_too_large(&mut self) {
        if self.dropping || self.trailer {
            // Already reported (or a trailer of white space): keep dropping, count afresh.
            self.doc_start = self.stream_offset();
            if self.dropping {
                return;
            }
        }
        // What is complete goes: the records (or documents) before the limit are read.
        if let Some(b) = self.boundary {
            match self.array {
                Some(_) => self.cut(b, b + 1),
                None => self.cut(b, b),
            }
        }
        let between_records = self.array == Some(self.depth)
            && !self.in_string
            && self.skipping_record.is_none()
            && self.buf[..self.scanned].iter().all(u8::is_ascii_whitespace);
        if (self.array.is_some() || self.trailer) && !between_records {
            // Inside a record of a log file or an array: its structure is known, so the rest of
            // the document is dropped as it streams by, the scanner staying in step, up to its end.
            self.skipping_record = None;
            (self.array, self.trailer, self.dropping) = (None, false, true);
            let n = self.scanned;
            self.drain(n);
            self.report_too_large();
            return;
        }
        if !self.skipping_doc {
            // A broken line of JSON lines usually left a bracket open: cut before the last line
            // that starts a document and let the parser name the broken one.
            let restart = memchr::memmem::rfind(&self.buf[..self.scanned], b"\n{")
                .or_else(|| memchr::memmem::rfind(&self.buf[..self.scanned], b"\n["));
            if let Some(nl) = restart.filter(|&nl| nl > 0) {
                self.cut(nl + 1, nl + 1);
                (self.depth, self.in_string, self.escaped, self.scanned, self.boundary) = (0, false, false, 0, None);
                self.doc_start = self.offset;
                return;
            }
        }
        // Between records (white space where the next record would start), or in any other
        // document: what follows is read as a new document.
        let blank = self.buf.iter().all(u8::is_ascii_whitespace) && !between_records;
        self.buf.clear();
        (self.scanned, self.boundary, self.depth, self.in_string, self.escaped) = (0, None, 0, false, false);
        (self.array, self.trailer) = (None, false);
        self.doc_start = self.offset;
        // White space alone between documents of a stream is harmless; in a file it is a bomb.
        if blank && !self.stop_at_limit {
            return;
        }
        self.report_too_large();
    }

    fn report_too_large(&mut self) {
        self.doc_start = self.stream_offset();
        if self.skipping_doc {
            return;
        }
        self.skipping_doc = true;
        self.ready.push_back(Err(InputError::TooLarge { path: self.path.clone(), limit: self.max_doc }));
        if self.stop_at_limit {
            self.eof = true;
        }
    }
}

struct Header {
    /// Its length, up to and including the `[`.
    len: usize,
    /// The depth of the array's elements.
    depth: u32,
}

/// `[` (a bare array) or `{"Records":[` (a log file), with white space, at the start of `b`.
fn array_header(b: &[u8]) -> Option<Header> {
    if b[0] == b'[' {
        return Some(Header { len: 1, depth: 1 });
    }
    let ws = |b: &[u8], at: usize| at + b[at..].iter().take_while(|c| c.is_ascii_whitespace()).count();
    let at = ws(b, 1);
    let at = b[at..].starts_with(b"\"Records\"").then_some(at + 9)?;
    let at = ws(b, at);
    let at = (b.get(at) == Some(&b':')).then_some(at + 1)?;
    let at = ws(b, at);
    (b.get(at) == Some(&b'[')).then_some(Header { len: at + 1, depth: 2 })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a stream gives: each part's records (the `eventName`s of a parse of it, or `?` for a
    /// part that does not parse), and each error's kind.
    fn cut(stream: &[u8], part: usize, max_doc: u64, max_record: usize) -> (Vec<String>, Vec<String>) {
        let mut parts = Parts::new(stream, PathBuf::from("s"), part, max_doc, max_record);
        let (mut names, mut errors) = (Vec::new(), Vec::new());
        while let Some(p) = parts.next_part() {
            match p {
                Ok(p) => {
                    for doc in serde_json::Deserializer::from_slice(&p.bytes).into_iter::<serde_json::Value>() {
                        let Ok(doc) = doc else {
                            names.push("?".to_string());
                            break;
                        };
                        let records = match doc.get("Records").or(Some(&doc)) {
                            Some(serde_json::Value::Array(a)) => a.clone(),
                            _ => vec![doc.clone()],
                        };
                        names.extend(records.iter().map(|r| r["eventName"].as_str().unwrap_or("-").to_string()));
                    }
                }
                Err(e) => errors.push(format!("{e:?}").split([' ', '{']).next().unwrap().to_string()),
            }
        }
        (names, errors)
    }

    #[test]
    fn log_file_parts_are_log_files_for_the_splitter() {
        let records: Vec<String> =
            (0..6).map(|i| format!(r#"{{"eventName":"E{i}","pad":"{}"}}"#, "x".repeat(40))).collect();
        let stream = format!("{{\"Records\":[{}]}}", records.join(","));
        let mut parts = Parts::new(stream.as_bytes(), PathBuf::from("s"), 1, 1 << 20, 1 << 20);
        let mut count = 0;
        while let Some(part) = parts.next_part() {
            let part = part.unwrap();
            assert!(part.bytes.starts_with(br#"{"Records":["#) && part.bytes.ends_with(b"]}"));
            assert_eq!(part.prefix, 12);
            // Its own bytes are the stream's at its place (one line: the column is the offset).
            let own = &part.bytes[12..part.bytes.len() - 2];
            assert!(stream.as_bytes()[part.column..].starts_with(own));
            count += 1;
        }
        assert!(count > 2, "{count} parts");
    }

    #[test]
    fn a_restart_after_the_limit_leaves_no_stale_cut() {
        // A document that ended, a broken line, then a stretch over the limit: no panic, the
        // complete document is handed out, and the limit reported.
        let mut stream = b"{\"a\":\n[1,2]}".to_vec();
        stream.extend(std::iter::repeat_n(b'x', 300));
        let (_, errors) = cut(&stream, 1 << 20, 100, 1 << 20);
        assert!(errors.contains(&"TooLarge".to_string()), "{errors:?}");
    }

    #[test]
    fn documents_before_the_limit_are_kept() {
        let mut stream = b"{\"eventName\":\"A\"}\n{\"eventName\":\"B\"}\n".to_vec();
        stream.extend(std::iter::repeat_n(b'x', 300));
        let (names, errors) = cut(&stream, 1 << 20, 100, 1 << 20);
        assert_eq!(names, ["A", "B"]);
        assert_eq!(errors, ["TooLarge"]);
    }

    #[test]
    fn a_log_file_over_the_limit_drops_its_rest_in_step_and_the_next_document_is_read() {
        let records: Vec<String> = (0..12).map(|i| format!(r#"{{"eventName":"E{i}"}}"#)).collect();
        let stream = format!("{{\"Records\":[{}]}}\n{{\"eventName\":\"Z\"}}\n", records.join(","));
        let (names, errors) = cut(stream.as_bytes(), 64, 100, 1 << 20);
        assert_eq!(errors, ["TooLarge"]);
        assert_eq!(names.last().map(String::as_str), Some("Z"), "{names:?}");
        assert!(names.iter().all(|n| n.starts_with('E') || n == "Z"), "{names:?}");
        assert!(names.len() > 2 && names.len() < 13, "{names:?}");
    }

    #[test]
    fn a_log_file_without_its_closing_brace_is_an_error_and_the_rest_is_read() {
        let stream =
            b"{\"Records\":[{\"eventName\":\"A\"}]\n{\"Records\":[{\"eventName\":\"B\"}]}\n{\"eventName\":\"C\"}\n";
        for part in [1, 8, 1 << 20] {
            let (names, errors) = cut(stream, part, 1 << 20, 1 << 20);
            assert_eq!(names, ["A", "B", "C"], "part {part}");
            assert_eq!(errors, ["Syntax"], "part {part}");
        }
        // At the end of the stream, and an unclosed array, too.
        for stream in
            [&b"{\"Records\":[{\"eventName\":\"A\"}]"[..], b"{\"Records\":[", b"{\"Records\":[{\"eventName\":\"A\"},"]
        {
            let (names, errors) = cut(stream, 1 << 20, 1 << 20, 1 << 20);
            assert!(
                errors == ["Syntax"] || names.contains(&"?".to_string()),
                "{:?}: {names:?} {errors:?}",
                String::from_utf8_lossy(stream)
            );
        }
    }

    #[test]
    fn white_space_around_a_record_is_not_its_size() {
        for stream in [&b"[ {\"a\":\"12\"}]"[..], b"[{\"a\":\"12\"} ]", b"[\n  {\"a\":\"12\"},\n  {\"a\":\"34\"}\n]"] {
            let (names, errors) = cut(stream, 1 << 20, 1 << 20, 10);
            assert!(errors.is_empty(), "{:?}: {errors:?}", String::from_utf8_lossy(stream));
            assert!(!names.is_empty());
        }
        let (_, errors) = cut(b"[ {\"a\":\"123\"} ]", 1 << 20, 1 << 20, 10);
        assert_eq!(errors, ["RecordTooLarge"]);
    }
}
