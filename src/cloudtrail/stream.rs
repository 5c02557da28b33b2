//! Input of any size in bounded memory: a stream cut into parts of whole records.
//!
//! [`Parts`] reads a decompressed stream (standard input, a file or an S3 object too large to
//! inflate whole) and hands out parts that the ordinary readers take
//! ([`crate::cloudtrail::input::for_each_item`]), each ending where a record ends:
//!
//! - Inside a CloudTrail log file (`{"Records":[`, as CloudTrail writes it) or a bare array of
//!   records, parts are cut between the array's elements, and each part is the array `[...]` of
//!   the records it holds. Memory is bounded by the part size and the record limit, whatever the
//!   file's size: a record over the limit is skipped as it streams by, and reported. Keys a log
//!   file has after its `Records` array are skipped (CloudTrail writes none).
//! - Any other document (a bare record, an envelope, a findings document, a line of JSON lines)
//!   is kept whole, up to the file limit.
//!
//! A document (or a stretch between documents) over the file limit is reported as
//! [`InputError::TooLarge`]: a file stops there, standard input reads on after it.
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
    /// Bytes put before the stream's own (`[` before records cut out of an array).
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
    /// The rest of a log file after its `Records` array: dropped up to the document's end.
    trailer: bool,
    /// Dropping an element over the record limit: its size so far, and the line it started on.
    skipping_record: Option<(usize, usize)>,
    /// A document over the file limit was dropped: until one ends, another overflow is its rest.
    skipping_doc: bool,
    eof: bool,
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
            skipping_record: None,
            skipping_doc: false,
            eof: false,
            error: None,
            ready: VecDeque::new(),
        }
    }

    /// Bytes the cutter holds now (its buffer's capacity): about a read, a part and a record.
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
                return self.error.take().map(|source| match self.gzip {
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
        self.cut_closed(end, take, b"]")
    }

    /// [`Parts::cut`], closing an array's part with `close` (nothing at the end of a stream that
    /// ended inside the array, so the parser names the same place as for the whole file).
    fn cut_closed(&mut self, end: usize, take: usize, close: &[u8]) {
        let bytes = &self.buf[..end];
        if !bytes.iter().all(u8::is_ascii_whitespace) {
            let (bytes, prefix) = match self.array {
                Some(_) => ([b"[", bytes, close].concat(), 1),
                None => (bytes.to_vec(), 0),
            };
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
        if self.trailer || self.buf.is_empty() {
            self.buf.clear();
            return;
        }
        let end = self.buf.len();
        self.cut_closed(end, end, b"");
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
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' if self.depth == 0 && !self.trailer => {
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
                        self.trailer = self.depth > 0;
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
            if self.record_too_long(i) {
                i = self.scanned;
                continue;
            }
        }
        self.scanned = i.min(self.buf.len());
        // Also inside a long string, which the loop above crosses in one step.
        self.record_too_long(self.scanned);
        if let Some((size, _)) = &mut self.skipping_record {
            // The skipped record's bytes are counted and dropped as they stream by.
            *size += self.scanned;
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

    /// A document ended just before `end` (at depth 0): a place to cut.
    fn doc_ended(&mut self, end: usize) {
        self.scanned = end;
        self.skipping_doc = false;
        if self.trailer {
            self.trailer = false;
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
        self.ready.push_back(Err(InputError::RecordTooLarge {
            path: self.path.clone(),
            record: 1,
            line: Some(line),
            size: size + at,
            limit: self.max_record,
        }));
        self.drain(at + sep);
        true
    }

    /// Inside an array, the record being read has grown past the limit at `i`: the records
    /// before it go, and it is dropped as it streams by. Returns whether that happened.
    fn record_too_long(&mut self, i: usize) -> bool {
        if self.array.is_none() || self.skipping_record.is_some() {
            return false;
        }
        let start = self.boundary.map_or(0, |b| b + 1);
        if i - start <= self.max_record {
            return false;
        }
        self.scanned = i;
        if let Some(b) = self.boundary {
            self.cut(b, b + 1);
        }
        let n = i - start;
        let lead = self.buf[..n].iter().take_while(|c| c.is_ascii_whitespace());
        let line = self.line + 1 + lead.filter(|&&c| c == b'\n').count();
        self.skipping_record = Some((n, line));
        self.scanned = n;
        self.drain(n);
        true
    }

    /// The current document (or the stretch since the last one) is over the file limit.
    fn doc_too_large(&mut self) {
        if self.array.is_some() {
            // The records before the limit are read.
            if let Some(b) = self.boundary {
                self.cut(b, b + 1);
            }
        } else if !self.skipping_doc {
            // A broken line of JSON lines usually left a bracket open: cut before the last line
            // that starts a document and let the parser name the broken one.
            let restart = memchr::memmem::rfind(&self.buf[..self.scanned], b"\n{")
                .or_else(|| memchr::memmem::rfind(&self.buf[..self.scanned], b"\n["));
            if let Some(nl) = restart.filter(|&nl| nl > 0) {
                self.cut(nl + 1, nl + 1);
                (self.depth, self.in_string, self.escaped, self.scanned) = (0, false, false, 0);
                self.doc_start = self.offset;
                return;
            }
        }
        let blank = self.array.is_none() && self.buf.iter().all(u8::is_ascii_whitespace);
        let already = self.skipping_doc;
        self.buf.clear();
        (self.scanned, self.boundary, self.depth, self.in_string, self.escaped) = (0, None, 0, false, false);
        (self.array, self.trailer, self.skipping_record) = (None, false, None);
        self.doc_start = self.offset;
        // White space alone between documents of a stream is harmless; in a file it is a bomb.
        if (blank && !self.stop_at_limit) || already {
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
