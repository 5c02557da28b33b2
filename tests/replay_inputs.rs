//! Replay beyond files: standard input cut into parts, the size limits (one record, one file or
//! gzip bomb), and the `--since`/`--until` window. Library level; the command line is in
//! `replay_cli.rs`.

use std::io::Write;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use trailwarden::cloudtrail::input::{self, InputError};
use trailwarden::cloudtrail::stream::Parts;
use trailwarden::replay::{FileReport, Progress, Replay, TimeWindow};
use trailwarden::{Config, Engine};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn engine() -> Engine {
    Engine::new(Config::default()).unwrap()
}

/// Every input file under testdata/, decompressed, in replay's order.
fn testdata() -> Vec<(PathBuf, Vec<u8>)> {
    let (files, errors) = input::collect_files(&[Path::new(ROOT).join("testdata")]);
    assert!(errors.is_empty());
    files.into_iter().map(|f| (f.clone(), input::read_file(&f).unwrap())).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// The firing fixture of `cloudtrail-trail-deleted` (a real Stratus record): its text and its value.
fn trail_deleted() -> (String, serde_json::Value) {
    let path = Path::new(ROOT).join("testdata/events/cloudtrail-trail-deleted/fires_stratus.json");
    let text = std::fs::read_to_string(path).unwrap();
    let value = serde_json::from_str(&text).unwrap();
    (text, value)
}

/// (rule, event id) of every alert, in order.
fn alerts(reports: &[FileReport]) -> Vec<(String, String)> {
    reports.iter().flat_map(|r| &r.details).map(|d| (d.rule_id.to_string(), d.event_id.clone())).collect()
}

fn stream(scan: &Replay, bytes: &[u8]) -> Vec<FileReport> {
    let mut reports = Vec::new();
    scan.scan_stream(bytes, "<stdin>", &Progress::default(), |r| reports.push(r));
    reports
}

#[test]
fn a_stream_finds_what_the_files_find_plain_or_gzip_in_any_part_size() {
    let engine = engine();
    let scan = Replay::new(&engine);
    let files = testdata();
    // Through `scan_files`, which (like a stream) alerts once per finding across the run.
    let paths: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    let mut from_files: Vec<FileReport> = Vec::new();
    scan.scan_files(&paths, &Progress::default(), |r| from_files.push(r));
    let expected = alerts(&from_files);
    assert!(expected.len() > 100, "testdata holds many alerts");
    let records: u64 = from_files.iter().map(|r| r.records).sum();

    // `zcat *.json.gz`: documents one after another; `cat *.json.gz`: gzip members one after another.
    let mut plain = Vec::new();
    let mut gz = Vec::new();
    for (_, bytes) in &files {
        plain.extend_from_slice(bytes);
        plain.push(b'\n');
        gz.extend(gzip(bytes));
    }
    for part in [100, 4096, 1 << 20] {
        let scan = Replay { stream_part_bytes: part, ..scan };
        for input in [&plain, &gz] {
            let reports = stream(&scan, input);
            assert_eq!(alerts(&reports), expected, "part size {part}");
            assert_eq!(reports.iter().map(|r| r.records).sum::<u64>(), records);
            assert!(reports.iter().all(|r| r.errors.is_empty()), "part size {part}: {:?}", reports[0].errors);
            if part == 100 {
                assert!(reports.len() > 50, "small parts cut the stream: {}", reports.len());
            }
        }
    }
}

#[test]
fn stream_errors_name_the_line_and_record_from_the_stream_start() {
    let engine = engine();
    let scan = Replay { stream_part_bytes: 64, ..Replay::new(&engine) };
    let good =
        std::fs::read_to_string(Path::new(ROOT).join("testdata/events/cloudtrail-trail-deleted/fires_stratus.json"))
            .unwrap();
    let good: serde_json::Value = serde_json::from_str(&good).unwrap();
    let good = serde_json::to_string(&good).unwrap();
    // JSON lines: 300 good records, a broken line (an object left open), 300 more.
    let mut text = String::new();
    for _ in 0..300 {
        text += &good;
        text += "\n";
    }
    text += "{\"eventName\": \"DeleteTrail\", \"requestParameters\": {\n";
    for _ in 0..300 {
        text += &good;
        text += "\n";
    }
    let reports = stream(&scan, text.as_bytes());
    assert_eq!(reports.iter().map(|r| r.details.len()).sum::<usize>(), 600, "every good record alerts");
    let errors: Vec<String> = reports.iter().flat_map(|r| &r.errors).map(ToString::to_string).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("<stdin>: invalid JSON at line 301 "), "{}", errors[0]);
}

#[test]
fn a_record_over_the_limit_is_reported_and_skipped_and_the_rest_is_read() {
    let engine = engine();
    let (good, mut big) = trail_deleted();
    big["requestParameters"]["padding"] = "x".repeat(2 << 20).into();
    let big = serde_json::to_string(&big).unwrap();
    let scan = Replay::new(&engine);
    for text in [
        format!("{{\"Records\":[{good},{big},{good}]}}"),
        format!("[{good},{big},{good}]"),
        format!("{}\n{big}\n{}\n", good.replace('\n', " "), good.replace('\n', " ")),
    ] {
        let report = scan.scan_bytes(Path::new("big.json"), text.as_bytes());
        assert_eq!(report.records, 3);
        assert_eq!(report.details.len(), 2, "the records around it are read");
        let errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("big.json: record 2"), "{}", errors[0]);
        assert!(errors[0].ends_with("bytes, over the 1 MiB limit for one record; skipped"), "{}", errors[0]);
        assert!(matches!(report.errors[0], InputError::RecordTooLarge { record: 2, .. }));
    }
    // The limit is the caller's: with 4 MiB the record is read.
    let scan = Replay { max_record_bytes: 4 << 20, ..scan };
    let report = scan.scan_bytes(Path::new("big.json"), format!("[{good},{big}]").as_bytes());
    assert_eq!((report.details.len(), report.errors.len()), (2, 0));
}

#[test]
fn invalid_utf8_in_a_log_file_is_named_by_record_and_the_rest_is_read() {
    let engine = engine();
    let (good, mut wanted) = trail_deleted();
    wanted["userAgent"] = "BAD-BYTE-HERE".into();
    let wanted = serde_json::to_string(&wanted).unwrap();
    let mut unwanted: serde_json::Value = serde_json::from_str(&wanted).unwrap();
    unwanted["eventName"] = "DescribeTrails".into();
    let unwanted = serde_json::to_string(&unwanted).unwrap();
    let text = format!("{{\"Records\":[{good},{wanted},{unwanted},{good}]}}");
    // A byte that is never UTF-8 inside a string of records 2 and 3.
    let bytes = text.replace("BAD-BYTE-HERE", "\u{1}").into_bytes();
    let bytes: Vec<u8> = bytes.into_iter().map(|b| if b == 1 { 0xff } else { b }).collect();
    let whole = Replay::new(&engine).scan_bytes(Path::new("bad.json"), &bytes);
    // The same file streamed in parts of one record (as standard input or a large file is).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.json"), &bytes).unwrap();
    let parts = Replay { whole_file_bytes: 0, ..Replay::new(&engine) }.scan_file(&dir.path().join("bad.json"));
    for report in [whole, parts] {
        assert_eq!(report.records, 4);
        assert_eq!(report.details.len(), 2, "records 1 and 4 are read");
        let errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
        // Record 2 is wanted (DeleteTrail) and named; record 3 is a read no rule looks at.
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("bad.json: record 2"), "{}", errors[0]);
        assert!(errors[0].contains("invalid UTF-8 at byte"), "{}", errors[0]);
    }
}

#[test]
fn a_repeated_event_name_reads_the_same_in_a_log_file_and_alone() {
    // The first copy of a repeated top-level key counts, whether the splitter or a parse reads it.
    let engine = engine();
    let scan = Replay::new(&engine);
    let (_, good) = trail_deleted();
    let body = serde_json::to_string(&good).unwrap();
    let body = body.trim_start_matches('{');
    for (first, second, alerts) in [("DescribeTrails", "DeleteTrail", 0), ("DeleteTrail", "DescribeTrails", 1)] {
        let record =
            format!("{{\"eventName\":\"{first}\",{}", body.replace("\"DeleteTrail\"", &format!("\"{second}\"")));
        for text in [format!("{{\"Records\":[{record}]}}"), format!("[{record}]"), format!("{record}\n{record}\n")] {
            let report = scan.scan_bytes(Path::new("twice.json"), text.as_bytes());
            let n = if text.ends_with('\n') { 2 } else { 1 };
            assert_eq!(report.details.len(), alerts * n, "{first} then {second} in {text:.40}");
            assert!(report.errors.is_empty(), "{:?}", report.errors);
        }
    }
}

#[test]
fn a_control_character_in_a_wanted_record_s_string_is_an_error_naming_the_field() {
    let engine = engine();
    let (_, mut record) = trail_deleted();
    record["awsRegion"] = "us-east-1CONTROL".into();
    record["userIdentity"]["arn"] = "arn:aws:iam::1:user/aCONTROL".into();
    for (field, other) in [("awsRegion", "arn"), ("userIdentity", "awsRegion")] {
        let mut one = record.clone();
        if other == "arn" {
            one["userIdentity"]["arn"] = "arn:aws:iam::1:user/a".into();
        } else {
            one["awsRegion"] = "us-east-1".into();
        }
        let text =
            format!("{{\"Records\":[{}]}}", serde_json::to_string(&one).unwrap()).replace("CONTROL", "\u{1b}[31m");
        let report = Replay::new(&engine).scan_bytes(Path::new("ctl.json"), text.as_bytes());
        let errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
        assert_eq!((report.details.len(), errors.len()), (0, 1), "{field}: {errors:?}");
        assert!(errors[0].contains(field), "{}", errors[0]);
    }
}

#[test]
fn a_gzip_bomb_stops_at_the_file_limit_with_a_clear_error() {
    // 24 MiB of spaces inflate from about 24 KiB of gzip: three times the limit set below.
    let bomb = gzip(&vec![b' '; 24 << 20]);
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.json.gz");
    std::fs::write(&path, &bomb).unwrap();
    let engine = engine();
    let scan = Replay { max_file_bytes: 8 << 20, ..Replay::new(&engine) };
    let report = scan.scan_file(&path);
    let errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].ends_with("bomb.json.gz: stopped after 8 MiB of decompressed data, the limit for one file (a gzip bomb, or raise --max-file-size); the rest of it was not read"),
        "{}",
        errors[0]
    );
    // In a log file after two records: they are read, and the bomb stops the file.
    let (good_record, _) = trail_deleted();
    let head = format!("{{\"Records\":[{good_record},{good_record},");
    let path = dir.path().join("records-then-bomb.json.gz");
    std::fs::write(&path, [gzip(head.as_bytes()), bomb.clone()].concat()).unwrap();
    let report = scan.scan_file(&path);
    assert_eq!((report.records, report.details.len()), (2, 2));
    assert!(matches!(report.errors[..], [InputError::TooLarge { .. }]), "{:?}", report.errors);
    // The same bomb on standard input, between two good documents: both are still read.
    let good = gzip(
        &std::fs::read(Path::new(ROOT).join("testdata/events/cloudtrail-trail-deleted/fires_stratus.json")).unwrap(),
    );
    let stream_bytes = [good.clone(), gzip(b"{\"Records\":["), bomb, good].concat();
    let reports = stream(&scan, &stream_bytes);
    let errors: Vec<String> = reports.iter().flat_map(|r| &r.errors).map(ToString::to_string).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("<stdin>: stopped after 8 MiB"), "{errors:?}");
    assert_eq!(reports.iter().map(|r| r.details.len()).sum::<usize>(), 2, "the records on both sides");
}

#[test]
fn the_time_window_keeps_events_in_it_and_names_bad_times() {
    let engine = engine();
    let files = testdata();
    let all = Replay::new(&engine);
    let times: Vec<String> =
        files.iter().flat_map(|(p, b)| all.scan_bytes(p, b).details).map(|d| d.event_time).collect();
    let mut sorted = times.clone();
    sorted.sort();
    let (since, until) = (&sorted[sorted.len() / 4], &sorted[3 * sorted.len() / 4]);
    let window = TimeWindow::parse(Some(since), Some(until)).unwrap();
    let scan = Replay { window, ..all };
    let reports: Vec<FileReport> = files.iter().map(|(p, b)| scan.scan_bytes(p, b)).collect();
    let kept: Vec<&str> = reports.iter().flat_map(|r| &r.details).map(|d| d.event_time.as_str()).collect();
    let expected: Vec<&str> =
        times.iter().map(String::as_str).filter(|t| *t >= since.as_str() && *t < until.as_str()).collect();
    assert!(!expected.is_empty() && expected.len() < times.len());
    assert_eq!(kept, expected);
    assert!(reports.iter().map(|r| r.outside_window).sum::<u64>() > 0);

    // Dates are whole UTC days; nonsense is an error that says what is expected.
    let day = TimeWindow::parse(Some("2025-03-01"), Some("2025-03-01")).unwrap();
    assert_eq!(day.since.unwrap().to_string(), "2025-03-01T00:00:00Z");
    assert_eq!(day.until.unwrap().to_string(), "2025-03-02T00:00:00Z");
    let err = TimeWindow::parse(Some("last tuesday"), None).unwrap_err().to_string();
    assert!(err.contains("`last tuesday` is not a time"), "{err}");

    // A wanted record whose time cannot be read is named, not silently kept or dropped.
    let bad = r#"{"eventName":"DeleteTrail","eventSource":"cloudtrail.amazonaws.com","eventTime":"yesterday"}"#;
    let report = scan.scan_bytes(Path::new("t.json"), bad.as_bytes());
    let e = report.errors[0].to_string();
    assert!(e.contains("field `eventTime`: not an RFC 3339 time") && e.contains("--since/--until"), "{e}");
}

#[test]
fn the_window_skips_s3_days_far_outside_it_and_keeps_the_edges() {
    let window = TimeWindow::parse(Some("2025-03-10"), Some("2025-03-12")).unwrap();
    let key = |day: &str| PathBuf::from(format!("AWSLogs/111122223333/CloudTrail/us-east-1/{day}/x.json.gz"));
    for day in ["2025/03/09", "2025/03/10", "2025/03/12", "2025/03/13"] {
        assert!(window.may_hold(&key(day)), "{day}");
    }
    for day in ["2025/03/07", "2025/03/15", "2024/03/10"] {
        assert!(!window.may_hold(&key(day)), "{day}");
    }
    assert!(window.may_hold(Path::new("events/2020/01/01/x.json")), "not an S3 key: read it");
    assert!(TimeWindow::default().may_hold(&key("1999/01/01")));
}

fn record() -> impl Strategy<Value = String> + Clone {
    let text = prop::sample::select(vec!["a", "}", "]", "{", "[", ",", "\\\"", "\\\\", "\\n", " ", "é"]);
    let string = prop::collection::vec(text, 0..6).prop_map(|parts| format!("\"{}\"", parts.concat()));
    let leaf = prop_oneof![string.clone(), Just("1".to_string()), Just("null".to_string())];
    let value = leaf.prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((string.clone(), inner), 0..4).prop_map(|kv| format!(
                "{{{}}}",
                kv.iter().map(|(k, v)| format!("{k}:{v}")).collect::<Vec<_>>().join(",")
            )),
        ]
    });
    value.prop_map(|v| format!("{{\"eventName\":\"A\",\"x\":{v}}}"))
}

/// A bare record, a log file of several (CloudTrail's own layout or spaced out), or an array.
fn document() -> impl Strategy<Value = String> {
    let records = prop::collection::vec(record(), 0..5);
    let sep = prop::sample::select(vec![",", " ,\n ", ",\r\n"]);
    prop_oneof![
        record(),
        (records.clone(), sep.clone()).prop_map(|(r, s)| format!("{{\"Records\":[{}]}}", r.join(s))),
        (records.clone(), sep.clone()).prop_map(|(r, s)| format!("{{ \"Records\" :\n [ {} ] }}", r.join(s))),
        (records, sep).prop_map(|(r, s)| format!("[{}]", r.join(s))),
    ]
}

/// The records JSON text holds, in order: a log file's and an array's elements, or the documents.
fn records_of(text: &[u8]) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for doc in serde_json::Deserializer::from_slice(text).into_iter::<serde_json::Value>() {
        match doc.unwrap() {
            serde_json::Value::Object(mut o) if o.contains_key("Records") => {
                out.extend(o.remove("Records").unwrap().as_array().unwrap().iter().cloned())
            }
            serde_json::Value::Array(a) => out.extend(a),
            v => out.push(v),
        }
    }
    out
}

proptest! {
    /// Every record of the stream is in exactly one part, in order; each part alone reads
    /// without an error; and each part knows where its bytes were in the stream.
    #[test]
    fn parts_hold_every_record_once_and_know_where_they_were(
        docs in prop::collection::vec(document(), 1..12),
        seps in prop::collection::vec(prop::sample::select(vec!["", "\n", " \n\t", "\r\n"]), 12),
        part in 1usize..200,
    ) {
        let stream: String = docs.iter().zip(&seps).map(|(d, s)| format!("{d}{s}")).collect();
        let lines: Vec<usize> =
            std::iter::once(0).chain(stream.match_indices('\n').map(|(i, _)| i + 1)).collect();
        let mut parts = Parts::new(stream.as_bytes(), PathBuf::from("s"), part, 1 << 20, 1 << 20);
        let mut got = Vec::new();
        while let Some(p) = parts.next_part() {
            let p = p.unwrap();
            let mut items = 0;
            let errors = input::for_each_item(&p.bytes, |_| items += 1);
            prop_assert!(errors.is_empty(), "{:?} in {:?}", errors, String::from_utf8_lossy(&p.bytes));
            let records = records_of(&p.bytes);
            prop_assert_eq!(items, records.len());
            got.extend(records);
            // Its own bytes (past the `[` put before them, up to the `]` after) are the stream's there.
            // `{"Records":[` ... `]}` around records cut out of a log file, `[` ... `]` out of an array.
            let suffix = match p.prefix { 12 => 2, 1 => 1, _ => 0 };
            let own = &p.bytes[p.prefix..p.bytes.len() - suffix];
            let at = lines[p.line] + p.column;
            prop_assert!(stream.as_bytes()[at..].starts_with(own), "part {:?} is not at {}", String::from_utf8_lossy(own), at);
        }
        prop_assert_eq!(got, records_of(stream.as_bytes()));
    }
}

#[test]
fn a_file_read_in_parts_reads_as_it_does_whole() {
    let engine = engine();
    let whole = Replay::new(&engine);
    // Parts of 4 MiB from a file of any size: with no file read whole, every testdata file streams.
    let parts = Replay { whole_file_bytes: 0, ..whole };
    let (files, _) = input::collect_files(&[Path::new(ROOT).join("testdata"), Path::new(ROOT).join("tests/data")]);
    assert!(files.len() > 300, "{}", files.len());
    for path in &files {
        let (a, b) = (whole.scan_file(path), parts.scan_file(path));
        let ids =
            |r: &FileReport| r.details.iter().map(|d| (d.rule_id.to_string(), d.event_id.clone())).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b), "{}", path.display());
        let errors = |r: &FileReport| r.errors.iter().map(ToString::to_string).collect::<Vec<_>>();
        // One difference, by design: a stream skips a record over the limit without reading it,
        // so a broken one (2 MiB of `{`, then the end of the file) is reported for its size and
        // the file's end, where the whole file's parser stops at its first syntax error.
        if let [InputError::RecordTooLarge { .. }, InputError::Syntax { .. }] = b.errors[..]
            && let [InputError::Syntax { .. }] = a.errors[..]
        {
            assert_eq!((a.records, b.records), (0, 1), "{}", path.display());
            continue;
        }
        assert_eq!(a.records, b.records, "{}", path.display());
        assert_eq!(errors(&a), errors(&b), "{}", path.display());
    }
}

#[test]
fn a_log_file_streams_in_memory_bounded_by_the_record_not_the_file() {
    let (good, mut big) = trail_deleted();
    let good = good.replace('\n', " ");
    big["requestParameters"]["padding"] = "x".repeat(5 << 20).into();
    let big = serde_json::to_string(&big).unwrap();
    // 2,000 records (about 10 MiB) with a 5 MiB record in the middle.
    let mut text = String::from("{\"Records\":[");
    for i in 0..2000 {
        text += if i == 1000 { &big } else { &good };
        text += if i < 1999 { "," } else { "]}" };
    }
    let mut parts = Parts::new(text.as_bytes(), PathBuf::from("big.json"), 64 << 10, 512 << 20, 1 << 20);
    let (mut records, mut errors, mut held) = (0, Vec::new(), 0);
    while let Some(part) = parts.next_part() {
        held = held.max(parts.held());
        match part {
            Ok(p) => records += input::for_each_item(&p.bytes, |_| {}).is_empty() as usize * records_of(&p.bytes).len(),
            Err(e) => errors.push(e),
        }
    }
    assert_eq!(records, 1999);
    assert!(matches!(errors[..], [InputError::RecordTooLarge { size, .. }] if size == big.len()), "{errors:?}");
    assert!(held < 3 << 20, "held {held} bytes for a 10 MiB file with a 5 MiB record");
    // Through replay: the record is numbered in the file, and the others alert.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.json.gz");
    std::fs::write(&path, gzip(text.as_bytes())).unwrap();
    let engine = engine();
    let report = Replay { whole_file_bytes: 1 << 20, ..Replay::new(&engine) }.scan_file(&path);
    assert_eq!((report.records, report.details.len()), (2000, 1999));
    assert!(matches!(report.errors[..], [InputError::RecordTooLarge { record: 1001, .. }]), "{:?}", report.errors);
}

#[test]
fn a_bare_record_s_size_counts_the_fields_no_rule_reads() {
    let engine = engine();
    let padding = "x".repeat(2 << 20);
    let text = format!(
        r#"{{"eventName":"DeleteTrail","eventSource":"cloudtrail.amazonaws.com","unreadPadding":"{padding}"}}"#
    );
    let report = Replay::new(&engine).scan_bytes(Path::new("bare.json"), text.as_bytes());
    assert!(matches!(report.errors[..], [InputError::RecordTooLarge { record: 1, .. }]), "{:?}", report.errors);
}

#[test]
fn a_gz_file_that_is_not_gzip_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.json.gz");
    std::fs::write(&path, br#"{"Records":[]}"#).unwrap();
    let engine = engine();
    let report = Replay::new(&engine).scan_file(&path);
    let errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].ends_with("plain.json.gz: corrupt gzip data: the name ends in .gz but the file is not gzip data (no gzip magic bytes at the start)"), "{}", errors[0]);
}
