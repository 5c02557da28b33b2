//! The checks of the fuzz target, shared with `tests/fuzz_regressions.rs`: bytes → events →
//! details → rendered email, through every reader the input can reach.
//!
//! The input is read as a file would be (gzip or plain, any shape: log file, array, envelope,
//! JSON lines, GuardDuty and Security Hub findings), as standard input is (cut into parts), and
//! as the Lambda reads one event (a CloudTrail record or a findings event); every
//! alert found is rendered and the email must pass `render::check_email`. Limits are set low
//! (1 MiB a file, 64 KiB a record) so a gzip bomb or a huge record in the input must stop at them.

use std::path::Path;
use std::sync::OnceLock;

use trailwarden::cloudtrail::input;
use trailwarden::cloudtrail::stream::Parts;
use trailwarden::notify::render::{check_email, render};
use trailwarden::replay::{FileReport, Replay};
use trailwarden::{Config, Engine, Event};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(Config::default()).expect("the default configuration is valid"))
}

fn check(report: &FileReport) {
    for group in trailwarden::notify::render::per_event(&report.details) {
        let email = render(group, "fuzz <&>").expect("a group of alerts always renders");
        if let Err(problem) = check_email(&email) {
            panic!("{problem}\n{}", email.html);
        }
    }
}

/// Panics when anything is wrong.
pub fn run(data: &[u8]) {
    let scan = Replay { max_file_bytes: 1 << 20, max_record_bytes: 64 << 10, ..Replay::new(engine()) };
    let path = Path::new("fuzz.json");

    // As a file.
    let mut buf = Vec::new();
    if input::read_stream_into(data, path, &mut buf, scan.max_file_bytes).is_ok() {
        check(&scan.scan_bytes(path, &buf));
    }

    // As standard input, cut into small parts (the parts and their scans, without the threads).
    if let Ok((reader, _)) = input::decompressed(data) {
        let mut parts = Parts::new(reader, path.to_path_buf(), 64, scan.max_file_bytes, scan.max_record_bytes);
        while let Some(part) = parts.next_part() {
            if let Ok(part) = part {
                // At most the file limit, one read past it (64 bytes here), and `[`...`]`.
                assert!(part.bytes.len() as u64 <= scan.max_file_bytes + 64 + 2, "a part over the limit");
                check(&scan.scan_bytes(path, &part.bytes));
            }
        }
    }

    // As the Lambda reads a findings event (or any findings document).
    if let Ok(text) = std::str::from_utf8(data)
        && trailwarden::findings::read::holds_findings(text)
    {
        let mut alerts = Vec::new();
        for finding in trailwarden::findings::read::document(text).into_iter().flatten() {
            alerts.extend(engine().evaluate_finding(&finding).evaluation.details);
        }
        if !alerts.is_empty() {
            let email = render(&alerts, "fuzz").expect("alerts render");
            check_email(&email).unwrap_or_else(|p| panic!("{p}"));
        }
    }

    // As the Lambda reads one EventBridge event.
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(raw) = input::parse_single(text)
        && let Ok(event) = Event::from_raw(&raw)
    {
        let eval = engine().evaluate(&event);
        if !eval.details.is_empty() {
            let email = render(&eval.details, "fuzz").expect("alerts render");
            check_email(&email).unwrap_or_else(|p| panic!("{p}"));
        }
    }
}
