//! Full-output tests of the replay command line: the real binary, its stdout, stderr and exit code.
#![cfg(feature = "cli")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn replay_bin() -> PathBuf {
    example_bin("replay")
}

/// `cargo test` builds the examples next to the test binaries' `deps/` folder.
fn example_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} not built: run plain `cargo test` (it builds the examples)", bin.display());
    // `cargo test --test replay_cli` alone does not rebuild examples: refuse to test a stale one.
    let built = std::fs::metadata(&bin).unwrap().modified().unwrap();
    // Its own source and the library's: another example's edit does not make this one stale.
    let own = format!("examples/{name}.rs");
    let newest = ["src", "rules", "templates", own.as_str()]
        .iter()
        .flat_map(|d| walkdir::WalkDir::new(Path::new(ROOT).join(d)))
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs" || x == "html" || x == "txt"))
        .filter_map(|e| e.metadata().ok()?.modified().ok())
        .max()
        .unwrap();
    assert!(
        built >= newest,
        "{} is older than the sources: run `cargo build --example {name}` or plain `cargo test`",
        bin.display()
    );
    bin
}

fn replay(args: &[&str]) -> Output {
    // No COLUMNS from the caller's shell: the goldens are the unfitted table.
    Command::new(replay_bin()).args(args).current_dir(ROOT).env("NO_COLOR", "1").env_remove("COLUMNS").output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The summary's last line carries a time and a rate; everything else must match exactly.
fn masked(stderr: &[u8]) -> String {
    text(stderr)
        .lines()
        .map(|l| match l.find(" in ") {
            Some(i) if l.ends_with(" records/s)") => format!("{} in <elapsed>", &l[..i]),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Compares with `tests/golden/NAME`; `UPDATE_GOLDEN=1` rewrites it (review the diff).
fn golden(name: &str, actual: &str) {
    let path = Path::new(ROOT).join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(actual, expected, "output differs from {} (UPDATE_GOLDEN=1 to accept)", path.display());
}

#[test]
fn testdata_as_json_lines() {
    let out = replay(&["--format", "jsonl", "testdata/"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in ["rule_id", "severity", "title", "event_id", "event_name", "event_time", "account_id", "region"] {
            assert!(v[key].as_str().is_some_and(|s| !s.is_empty()), "{key} missing in {line}");
        }
    }
    golden("testdata.jsonl", &stdout);
    golden("testdata.summary", &masked(&out.stderr));
}

#[test]
fn testdata_as_a_table() {
    let out = replay(&["testdata/"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    golden("testdata.table", &text(&out.stdout));
}

#[test]
fn the_table_fits_the_terminal_one_row_per_event_in_time_order_and_json_lines_keep_the_text() {
    let run = |columns: &str| {
        Command::new(replay_bin()).arg("testdata/").current_dir(ROOT).env("COLUMNS", columns).output().unwrap()
    };
    for columns in [80usize, 120, 200] {
        let out = run(&columns.to_string());
        assert_eq!(out.status.code(), Some(0));
        let table = text(&out.stdout);
        let widest = table.lines().map(|l| l.chars().count()).max().unwrap();
        assert!(widest <= columns, "{widest} columns at COLUMNS={columns}");
    }
    // Rows in time order, one per event: each row's first line is the event's time.
    let table = text(&run("120").stdout);
    let times: Vec<&str> = table
        .lines()
        .filter_map(|l| l.strip_prefix("│ "))
        .map(|l| l.split(' ').next().unwrap())
        .filter(|t| t.len() >= 20 && t.as_bytes()[4] == b'-' && t.contains('T'))
        .collect();
    assert!(times.len() > 100, "{}", times.len());
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "rows out of time order");
    let jsonl = text(&replay(&["--format", "jsonl", "testdata/"]).stdout);
    let events: std::collections::BTreeSet<(String, String)> = jsonl
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| (v["event_time"].as_str().unwrap().to_string(), v["event_id"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(times.len(), events.len(), "one row per event");
    // The table wraps a long summary; the JSON lines keep it whole, on one line.
    let long = "Lambda function stratus-red-team-lambda-layer-simpleLambda now runs layers";
    assert!(jsonl.contains(long) && !table.contains(long));
}

#[test]
fn the_summary_lists_the_rules_that_saw_events_and_all_of_them_on_request() {
    let path = "testdata/events/cloudtrail-trail-deleted";
    let seen = text(&replay(&[path]).stderr);
    let rows = |s: &str| s.lines().filter(|l| l.starts_with(' ') && !l.contains("severity")).count();
    assert_eq!(rows(&seen), 1, "{seen}");
    assert!(seen.contains(" cloudtrail-trail-deleted "), "{seen}");
    let more = trailwarden::registry().len() - 1;
    assert!(seen.contains(&format!("{more} more rules saw no event (--summary all lists every rule)")), "{seen}");
    let all = text(&replay(&["--summary", "all", path]).stderr);
    assert_eq!(rows(&all), trailwarden::registry().len(), "{all}");
    assert!(!all.contains("more rules saw no event"));
}

#[test]
fn the_first_documented_command_shows_every_firing_fixture_s_alert() {
    // `cargo run --example replay testdata/`: a fixture that needs live state has its answers in
    // `NAME.facts` beside it, and replay reads them for that file.
    let out = replay(&["--summary", "all", "testdata/"]);
    let summary = text(&out.stderr);
    let alerts: std::collections::BTreeMap<&str, u64> = summary
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols.len() == 4).then(|| (cols[0], cols[3].parse().unwrap_or(0)))
        })
        .collect();
    let events = Path::new(ROOT).join("testdata/events");
    let mut checked = 0;
    for rule in trailwarden::registry() {
        let dir = events.join(rule.id);
        let fires = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(Result::ok).any(|e| e.file_name().to_string_lossy().starts_with("fires_")))
            .unwrap_or(false);
        if fires {
            assert!(alerts.get(rule.id).copied().unwrap_or(0) > 0, "{} has a firing fixture and no alert", rule.id);
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
    // Files that are not input are counted, with the reason.
    assert!(
        summary.contains("skipped in the folders: 8 facts (each answers the questions of the input file beside it)"),
        "{summary}"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.log"), "not a trail").unwrap();
    std::fs::copy(
        Path::new(ROOT).join("testdata/events/cloudtrail-trail-deleted/fires_stratus.json"),
        dir.path().join("a.json"),
    )
    .unwrap();
    let out = replay(&[dir.path().to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("skipped in the folders: 1 not a log format (.json, .jsonl, .json.gz, .jsonl.gz)"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(0), "a skipped file is no error");
}

#[test]
fn bad_input_is_reported_by_file_and_record_and_the_rest_is_read() {
    let out = replay(&["--format", "jsonl", "tests/data/bad-input"]);
    assert_eq!(out.status.code(), Some(2));
    let alerts: Vec<serde_json::Value> = text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // good.json.gz (2), not_a_record.json (1), truncated.json (1 before the cut), wrong_types.jsonl (1).
    assert_eq!(alerts.len(), 5);
    golden("bad-input.stderr", &masked(&out.stderr));
}

#[test]
fn only_the_named_rules_run() {
    let out = replay(&["--format", "jsonl", "--rule", "cloudtrail-trail-deleted", "testdata/events/"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("\"rule_id\":\"cloudtrail-trail-deleted\""));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cloudtrail-trail-deleted") && !stderr.contains("ec2-ami-shared"), "{stderr}");
}

#[test]
fn bad_usage_exits_1_with_a_message() {
    let out = replay(&["--rule", "no-such-rule", "testdata/"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "error: unknown rule id `no-such-rule` (list them with --list-rules)\n");
    let out = replay(&["--format", "xml", "testdata/"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("invalid value 'xml'"), "{}", text(&out.stderr));
    let out = replay(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("required"), "{}", text(&out.stderr));
    let out = replay(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn config_file_changes_the_allowlist_and_bad_config_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("trailwarden.toml");
    std::fs::write(&cfg, "ingress_allowed_ports = \"22,80,443\"\n").unwrap();
    let fixture = "testdata/events/ec2-sg-ingress-open-to-world/fires_stratus_port22_cidr_with_host_bits.json";
    let out = replay(&["--format", "jsonl", fixture]);
    assert_eq!(text(&out.stdout).lines().count(), 1);
    let out = replay(&["--format", "jsonl", "--config", cfg.to_str().unwrap(), fixture]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "", "tcp/22 is allowlisted now");

    std::fs::write(&cfg, "# ports\ningress_allowed_ports = \"22,ssh\"\n").unwrap();
    let out = replay(&["--config", cfg.to_str().unwrap(), fixture]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("trailwarden.toml") && stderr.contains("`ssh`"), "{stderr}");
    std::fs::write(&cfg, "# ports\ningress_allowed_ports = [22\n").unwrap();
    let stderr = text(&replay(&["--config", cfg.to_str().unwrap(), fixture]).stderr);
    assert!(stderr.contains("line 2"), "{stderr}");
}

#[test]
fn s3_layout_archive_works_as_downloaded() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03/14");
    let digests = dir.path().join("AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/03/14");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::create_dir_all(&digests).unwrap();
    let record =
        std::fs::read_to_string(Path::new(ROOT).join("testdata/events/cloudtrail-trail-deleted/fires_stratus.json"))
            .unwrap();
    let body = format!("{{\"Records\":[{record},{record}]}}");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, body.as_bytes()).unwrap();
    std::fs::write(logs.join("111122223333_CloudTrail_eu-west-1_20260314T0925Z_abc.json.gz"), gz.finish().unwrap())
        .unwrap();
    std::fs::write(
        digests.join("111122223333_CloudTrail-Digest_eu-west-1_20260314T0925Z.json.gz"),
        b"{\"digestStartTime\":\"x\"}",
    )
    .unwrap();
    std::fs::write(logs.join("README.txt"), b"not a log").unwrap();
    let out = replay(&["--format", "jsonl", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 2);
    assert!(
        text(&out.stderr).contains("1 files, 2 records, 2 alerts, 0 suppressed, 0 input errors"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_missing_path_is_an_input_error() {
    let out = replay(&["testdata/events/cloudtrail-trail-deleted", "no/such/file.json"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error: no/such/file.json: cannot read: No such file or directory"), "{stderr}");
    assert!(text(&out.stdout).contains("cloudtrail-trail-deleted"));
}

#[test]
fn list_rules_prints_the_registry() {
    let out = replay(&["--list-rules"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "accessanalyzer-analyzer-deleted\tmedium\tDeleteAnalyzer\tIAM Access Analyzer deleted");
    assert!(lines.contains(
        &"backup-recovery-deleted\thigh\tDeleteRecoveryPoint,DeleteBackupVault,DeleteBackupPlan\tAWS Backup recovery point, vault or plan deleted"
    ));
    assert_eq!(lines.len(), trailwarden::registry().len());
}

#[test]
fn html_previews_are_written_one_per_event() {
    let dir = tempfile::tempdir().unwrap();
    let out = replay(&[
        "--html",
        dir.path().to_str().unwrap(),
        "--no-group",
        "--account-name",
        "prod",
        "testdata/events/ec2-sg-ingress-open-to-world",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names.len(), 10, "{names:?}");
    assert_eq!(names[0], "0001-e3b0c442-98fc-41c4-9a1b-000000000003.html");
    let txt = std::fs::read_to_string(dir.path().join("0001-e3b0c442-98fc-41c4-9a1b-000000000003.txt")).unwrap();
    assert!(txt.starts_with("Subject: [CRITICAL] Security group sg-0a1b2c3d4e5f60718 opened all traffic to 0.0.0.0/0 | prod | 111122223333\n\n"), "{txt}");
    let html = std::fs::read_to_string(dir.path().join(&names[0])).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<title>[CRITICAL] Security group"), "{html}");
}

#[test]
fn suppressed_alerts_are_listed_with_their_entry_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("suppressions.toml");
    std::fs::write(
        &file,
        "[[suppress]]\nrule = \"ec2-sg-ingress-open-to-world\"\nresource = \"sg-0a1b2c3d4e5f60718\"\nreason = \"bastion\"\n\n\
         [[suppress]]\nrule = \"ec2-sg-*\"\nreason = \"stale\"\nexpires = 2001-01-01\n",
    )
    .unwrap();
    let fixtures = "testdata/events/ec2-sg-ingress-open-to-world";
    let args = ["--format", "jsonl", "--suppressions", file.to_str().unwrap(), fixtures];
    let out = replay(&args);
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(
            "warning: suppression #2 (line 6) rule=ec2-sg-*: stale expired on 2001-01-01; it no longer suppresses\n"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("10 files, 10 records, 1 alerts, 4 suppressed, 0 input errors"), "{stderr}");
    assert_eq!(text(&out.stdout).lines().count(), 1);

    let out = replay(&[&["--show-suppressed"][..], &args].concat());
    let lines: Vec<serde_json::Value> = text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let suppressed: Vec<&serde_json::Value> = lines.iter().filter(|v| v.get("suppressed_by").is_some()).collect();
    assert_eq!(suppressed.len(), 4);
    assert_eq!(
        suppressed[0]["suppressed_by"],
        "suppression #1 (line 1) rule=ec2-sg-ingress-open-to-world resource=sg-0a1b2c3d4e5f60718: bastion"
    );
    assert_eq!(suppressed[0]["rule_id"], "ec2-sg-ingress-open-to-world");

    let out = replay(&["--show-suppressed", "--suppressions", file.to_str().unwrap(), fixtures]);
    let table = text(&out.stdout);
    assert!(table.contains("suppressed:") && table.contains("suppression #1 (line 1)"), "{table}");
}

#[test]
fn facts_answer_the_rules_questions() {
    // The fixture alone, without the facts beside it: the questions are unknown, and it is quiet.
    let dir = tempfile::tempdir().unwrap();
    let alone = dir.path().join("fires_rdp_open.json");
    std::fs::copy(Path::new(ROOT).join("testdata/events/ec2-sg-created-open-to-world/fires_rdp_open.json"), &alone)
        .unwrap();
    let alone = alone.to_str().unwrap();
    let out = replay(&["--format", "jsonl", alone]);
    assert_eq!((out.status.code(), text(&out.stdout).as_str()), (Some(0), ""), "unknown: quiet");
    let facts = "testdata/events/ec2-sg-created-open-to-world/fires_rdp_open.facts";
    let out = replay(&["--format", "jsonl", "--facts", facts, alone]);
    let alert: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["summary"], "Security group sg-0c1d2e3f4a5b60001 was created open to the internet on tcp/3389");
    // In place, the facts beside it answer for it.
    let fixture = "testdata/events/ec2-sg-created-open-to-world/fires_rdp_open.json";
    let out = replay(&["--format", "jsonl", fixture]);
    assert_eq!(
        text(&out.stdout),
        text(&replay(&["--format", "jsonl", "--facts", facts, alone]).stdout).replace(alone, fixture)
    );
    let out = replay(&["--facts", "Cargo.toml", fixture]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("error: facts file Cargo.toml: expected value at line 1"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn print_event_pattern_is_the_registry_s_patterns() {
    let out = replay(&["--print-event-pattern"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected = trailwarden::cloudtrail::pattern::event_patterns(
        trailwarden::registry(),
        trailwarden::cloudtrail::pattern::MAX_PATTERN_CHARS,
    );
    assert_eq!(printed, serde_json::Value::Array(expected));
}

#[test]
fn standard_input_reads_like_the_files_it_came_from() {
    // `cat testdata/**/*.json.gz`-style: each file gzip-compressed, the members one after another.
    // The files with facts beside them are left out: a stream has nothing beside it.
    let (files, _) = trailwarden::cloudtrail::input::collect_files(&[Path::new(ROOT).join("testdata")]);
    let files: Vec<PathBuf> = files.into_iter().filter(|f| !f.with_extension("facts").exists()).collect();
    let mut stream = Vec::new();
    for f in &files {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &trailwarden::cloudtrail::input::read_file(f).unwrap()).unwrap();
        stream.extend(gz.finish().unwrap());
    }
    let mut child = Command::new(replay_bin())
        .args(["--format", "jsonl", "-"])
        .current_dir(ROOT)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &stream));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut args = vec!["--format".to_string(), "jsonl".to_string()];
    args.extend(files.iter().map(|f| f.to_str().unwrap().to_string()));
    let from_files = Command::new(replay_bin()).args(&args).current_dir(ROOT).output().unwrap();
    assert!(from_files.stdout.len() > 100_000);
    assert_eq!(text(&out.stdout), text(&from_files.stdout));
    assert!(text(&out.stderr).contains("\n1 files, "), "{}", text(&out.stderr));

    let out = replay(&["-", "testdata/"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("`-` (standard input) cannot be combined with other paths"));
}

#[test]
fn since_and_until_limit_the_events_and_bad_times_are_usage_errors() {
    let out = replay(&["--format", "jsonl", "--since", "2099-01-01", "testdata/"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert!(text(&out.stderr).contains("wanted records outside --since/--until"), "{}", text(&out.stderr));

    let all = text(&replay(&["--format", "jsonl", "testdata/"]).stdout);
    let out = replay(&["--format", "jsonl", "--since", "2000-01-01T00:00:00Z", "--until", "2099-12-31", "testdata/"]);
    assert_eq!(text(&out.stdout), all, "a window around everything keeps everything");

    let out = replay(&["--until", "soon", "testdata/"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("`soon` is not a time: use an RFC 3339 time"), "{}", text(&out.stderr));
}

/// Bytes a terminal acts on: ESC (CSI, OSC...), BEL (ends an OSC), CR (returns over a line),
/// the UTF-8 of U+009B (an 8-bit CSI) and of U+202E (reverses what follows).
fn assert_no_terminal_controls(what: &str, bytes: &[u8]) {
    for bad in [&b"\x1b"[..], b"\x07", b"\r", "\u{9b}".as_bytes(), "\u{202e}".as_bytes()] {
        assert!(
            !bytes.windows(bad.len()).any(|w| w == bad),
            "{what} carries {bad:?} raw:\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn hostile_text_never_reaches_the_terminal_raw() {
    const NAME: &str = "mal\u{1b}[31mlory\r\u{1b}]0;pwned\u{7}\u{9b}2J\u{202e}root";
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(ROOT).join("testdata/events/cloudtrail-trail-deleted/fires_stratus.json");
    let mut record: serde_json::Value = serde_json::from_slice(&std::fs::read(fixture).unwrap()).unwrap();
    record["userIdentity"]["userName"] = NAME.into();
    record["userIdentity"]["arn"] = format!("arn:aws:iam::847129010505:user/{NAME}").into();
    record["awsRegion"] = "eu-west-1\r\u{1b}[2J\u{1b}]0;title\u{1b}\\x".into();
    std::fs::write(dir.path().join("hostile.json"), record.to_string()).unwrap();
    // A file name is attacker-chosen too (an archive's keys), and errors quote it.
    std::fs::write(dir.path().join("evil\u{1b}[31m\r.json"), b"[1,").unwrap();
    let suppressions = dir.path().join("suppress.toml");
    std::fs::write(&suppressions, "[[suppress]]\nrule = \"cloudtrail-*\"\nreason = \"lab \\u001b[5m\\r\"\n").unwrap();
    let logs = dir.path().to_str().unwrap();

    let table = replay(&["--progress", "always", logs]);
    assert_eq!(table.status.code(), Some(2), "{}", text(&table.stderr));
    let stdout = text(&table.stdout);
    assert!(stdout.contains("mal lory root") && stdout.contains("eu-west-1 x"), "{stdout}");
    assert!(
        text(&table.stderr).contains("error: ") && text(&table.stderr).contains("evil .json"),
        "{}",
        text(&table.stderr)
    );
    let suppressed = replay(&["--show-suppressed", "--suppressions", suppressions.to_str().unwrap(), logs]);
    assert!(text(&suppressed.stdout).contains("suppressed:\n"), "{}", text(&suppressed.stdout));
    assert!(text(&suppressed.stdout).contains(": lab"), "{}", text(&suppressed.stdout));
    let jsonl = replay(&["--format", "jsonl", logs]);
    let alert: serde_json::Value = serde_json::from_slice(&jsonl.stdout).unwrap();
    assert_eq!(alert["actor"]["arn"], record["userIdentity"]["arn"], "escaped in JSON, the text itself is kept");
    for (run, out) in [("table", &table), ("suppressed table", &suppressed), ("jsonl", &jsonl)] {
        assert_no_terminal_controls(&format!("{run} stdout"), &out.stdout);
        assert_no_terminal_controls(&format!("{run} stderr"), &out.stderr);
    }
}

/// replay over testdata/ `times` times: 1.8 MB of JSON lines for 8, far more than a pipe holds.
fn many(times: usize) -> Vec<&'static str> {
    std::iter::repeat_n("testdata/", times).collect()
}

#[test]
fn a_closed_output_ends_the_run_quietly_and_successfully() {
    use std::io::BufRead;
    for format in ["jsonl", "table"] {
        let mut child = Command::new(replay_bin())
            .args([&["--format", format][..], &many(8)].concat())
            .current_dir(ROOT)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        for _ in 0..3 {
            let mut line = String::new();
            assert!(stdout.read_line(&mut line).unwrap() > 0);
        }
        drop(stdout); // `| head -3`
        let out = child.wait_with_output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{format}: {stderr}");
        assert!(!stderr.contains("Broken pipe") && !stderr.contains("error"), "{format}: {stderr}");
        assert!(!stderr.contains(" records, "), "{format}: the run stops without a summary: {stderr}");
    }
}

#[test]
fn a_closed_stderr_is_no_panic_and_the_output_is_whole() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader); // `2>&1 | head -0`, before replay writes a thing
    let out = Command::new(replay_bin())
        .args(["--format", "jsonl", "--progress", "always", "tests/data/bad-input"])
        .current_dir(ROOT)
        .stderr(writer)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(101), "panicked");
    assert_eq!(out.status.code(), Some(2), "input errors, as with a stderr open");
    assert_eq!(text(&out.stdout).lines().count(), 5);
}

fn make_corpus(args: &[&str]) -> String {
    let out = Command::new(example_bin("make_corpus")).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// Every file under `dir`, by path relative to it, with its bytes.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let name = e.path().strip_prefix(dir).unwrap().to_str().unwrap().to_string();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn the_benchmark_corpus_replays_whole_in_the_s3_layout_and_is_the_same_for_a_seed() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b, c] = ["a", "b", "c"].map(|n| dir.path().join(n));
    let printed = make_corpus(&["--events", "2500", "--noise", "0.5", "--fixtures", "--out", a.to_str().unwrap()]);
    assert!(printed.starts_with("files 3, records 2500, uncompressed bytes "), "{printed}");

    let out = replay(&["--format", "jsonl", a.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("\n3 files, 2500 records, ") && stderr.contains(" 0 input errors"), "{stderr}");
    assert!(text(&out.stdout).lines().count() > 10, "half the records are attacks and their twins");

    let files = tree(&a);
    let mut per_file = Vec::new();
    for (name, _) in &files {
        let parts: Vec<&str> = name.split('/').collect();
        let [logs, account, trail, region, y, m, d, file] = parts[..] else { panic!("{name}: not the S3 layout") };
        assert_eq!((logs, trail), ("AWSLogs", "CloudTrail"), "{name}");
        assert!(account.len() == 12 && account.bytes().all(|c| c.is_ascii_digit()), "{name}");
        let stamp = format!("{y}{m}{d}T");
        let prefix = format!("{account}_CloudTrail_{region}_{stamp}");
        let rest = file.strip_prefix(&prefix).and_then(|r| r.strip_suffix(".json.gz"));
        let [time, rand] = rest.map(|r| r.split('_').collect::<Vec<_>>()).as_deref().unwrap_or(&[])[..] else {
            panic!("{name}: not <account>_CloudTrail_<region>_<time>_<rand>.json.gz")
        };
        assert!(time.len() == 5 && time.ends_with('Z') && rand.len() == 16, "{name}");
        let log: serde_json::Value =
            serde_json::from_slice(&trailwarden::cloudtrail::input::read_file(&a.join(name)).unwrap()).unwrap();
        let records = log["Records"].as_array().unwrap();
        for r in records {
            assert_eq!((r["recipientAccountId"].as_str(), r["awsRegion"].as_str()), (Some(account), Some(region)));
        }
        per_file.push(records.len());
    }
    per_file.sort();
    assert_eq!(per_file, [500, 1000, 1000]);

    make_corpus(&["--events", "2500", "--noise", "0.5", "--fixtures", "--out", b.to_str().unwrap()]);
    assert!(tree(&b) == files, "the same seed, the same archive");
    make_corpus(&["--events", "2500", "--noise", "0.5", "--fixtures", "--seed", "8", "--out", c.to_str().unwrap()]);
    assert!(tree(&c) != files, "another seed, another archive");

    // Without --fixtures, only the Stratus trail's records: a detonation's noise around fewer attacks.
    let d = dir.path().join("d");
    make_corpus(&["--events", "2500", "--out", d.to_str().unwrap()]);
    let alerts = |p: &Path| text(&replay(&["--format", "jsonl", p.to_str().unwrap()]).stdout).lines().count();
    let (with, without) = (alerts(&a), alerts(&d));
    assert!(without > 0 && without < with, "trail only {without}, with fixtures {with}");
}

#[test]
fn the_benchmark_corpus_noise_is_read_only_calls_that_never_alert() {
    let dir = tempfile::tempdir().unwrap();
    make_corpus(&["--events", "1200", "--noise", "1", "--plain", "--out", dir.path().to_str().unwrap()]);
    let files = tree(dir.path());
    assert_eq!(files.len(), 2);
    let mut names = std::collections::BTreeSet::new();
    for (name, bytes) in &files {
        assert!(name.ends_with(".json"), "{name}: --plain");
        let log: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        for r in log["Records"].as_array().unwrap() {
            let event = r["eventName"].as_str().unwrap();
            assert!(["Describe", "Get", "List"].iter().any(|p| event.starts_with(p)) && r["readOnly"] == true, "{r}");
            names.insert(event.to_string());
        }
    }
    assert!(names.len() > 5, "varied: {names:?}");
    let out = replay(&["--format", "jsonl", dir.path().to_str().unwrap()]);
    assert_eq!((out.status.code(), text(&out.stdout).as_str()), (Some(0), ""), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("\n2 files, 1200 records, 0 alerts"), "{}", text(&out.stderr));

    let out = Command::new(example_bin("make_corpus")).args(["--noise", "1.5", "--out", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("`1.5` is not a fraction from 0 to 1"), "{}", text(&out.stderr));
}

/// The issue's acceptance: GuardDuty and Security Hub EventBridge events, one a line. An alert
/// line for each finding that should alert, its `event_id` the finding's ARN; none for sample,
/// archived, suppressed, resolved, archived-record or below-threshold findings; no second line
/// for the same finding updated (a higher count) or forwarded by Security Hub, or answered by
/// Security Hub after its workflow was set to NOTIFIED; a second one when its severity rose.
#[test]
fn findings_alert_once_per_finding_and_triage_keeps_the_rest_quiet() {
    let out = replay(&["--format", "jsonl", "testdata/findings/eventbridge-findings.jsonl"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let alerts: Vec<serde_json::Value> = text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let got: Vec<(&str, &str, &str)> = alerts
        .iter()
        .map(|a| (a["event_id"].as_str().unwrap(), a["rule_id"].as_str().unwrap(), a["severity"].as_str().unwrap()))
        .collect();
    let backdoor = "arn:aws:guardduty:eu-west-1:111122223333:detector/52c1b5a8e8a2f4d6c7b9e0f1a2b3c4d5/finding/4ac6b0c2f0a1e1b7d9c3f3e0a2b1c4d5";
    assert_eq!(
        got,
        [
            (backdoor, "guardduty-ec2-backdoor", "high"),
            // The same finding, re-published at 9.0: its level rose to critical.
            (backdoor, "guardduty-ec2-backdoor", "critical"),
            (
                "arn:aws:guardduty:eu-west-1:111122223333:detector/52c1b5a8e8a2f4d6c7b9e0f1a2b3c4d5/finding/c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2",
                "securityhub-custom-action",
                "low"
            ),
            (
                "arn:aws:access-analyzer:eu-west-1:111122223333:analyzer/org-analyzer/arn:aws:s3:::finance-exports",
                "finding-unclassified",
                "high"
            ),
        ]
    );
    for a in &alerts {
        assert_eq!(a["origin"]["input"], "finding", "{a}");
    }
    assert_eq!(alerts[0]["origin"]["seen"], "DNS request for c2.badactor.example");
    assert_eq!(alerts[0]["origin"]["count"], 14);
    assert_eq!(
        alerts[0]["origin"]["console_url"],
        "https://eu-west-1.console.aws.amazon.com/guardduty/home?region=eu-west-1#/findings?macros=current&fId=4ac6b0c2f0a1e1b7d9c3f3e0a2b1c4d5"
    );
    let summary = text(&out.stderr);
    assert!(
        summary.contains(
            "14 records, 4 alerts, 0 suppressed, 7 findings kept quiet by triage, 3 repeated findings, 0 input errors"
        ),
        "{summary}"
    );
}

/// A finding that cannot be read is reported by file, record, line and field; the others are read.
#[test]
fn a_malformed_finding_is_named_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("findings.jsonl");
    let good = std::fs::read_to_string(
        Path::new(ROOT).join("testdata/events/guardduty-ec2-backdoor/fires_cc_activity_dns.json"),
    )
    .unwrap();
    let good: serde_json::Value = serde_json::from_str(&good).unwrap();
    let mut bad = good.clone();
    bad["detail"]["service"]["count"] = serde_json::json!("many");
    let mut no_arn = good.clone();
    no_arn["detail"].as_object_mut().unwrap().remove("arn");
    let lines = [bad.to_string(), good.to_string(), no_arn.to_string()].join("\n");
    std::fs::write(&path, lines).unwrap();
    let out = replay(&["--format", "jsonl", path.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(text(&out.stdout).lines().count(), 1, "{stderr}");
    assert!(
        stderr
            .contains("findings.jsonl: record 1 (line 1): field `detail.service.count`: invalid type: string \"many\""),
        "{stderr}"
    );
    assert!(stderr.contains("findings.jsonl: record 3 (line 3): field `detail.arn`: missing"), "{stderr}");
}

#[test]
fn plan_rehearses_the_response_without_aws() {
    let backdoor = "arn:aws:guardduty:eu-west-1:111122223333:detector/52c1b5a8e8a2f4d6c7b9e0f1a2b3c4d5/finding/4ac6b0c2f0a1e1b7d9c3f3e0a2b1c4d5";
    let plan = |extra: &[&str]| -> Vec<serde_json::Value> {
        let mut args = vec!["--plan"];
        args.extend_from_slice(extra);
        args.push("testdata/findings/eventbridge-findings.jsonl");
        let out = replay(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    // The default configuration: the instance-compromise actions for the High (then Critical)
    // backdoor finding, once each, and nothing for the sample, archived, suppressed, resolved,
    // Medium and Low findings of the file (nor for the Low custom action: below High).
    let lines = plan(&[]);
    let got: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|l| (l["finding_id"].as_str().unwrap(), l["action"].as_str().unwrap(), l["resource"].as_str().unwrap()))
        .collect();
    let want: Vec<(&str, &str, &str)> = [
        "ec2-tag",
        "ec2-protect",
        "ec2-snapshot",
        "ec2-capture-metadata",
        "ec2-detach-asg",
        "ec2-deregister-targets",
        "ec2-isolate",
    ]
    .into_iter()
    .map(|a| (backdoor, a, "i-0a1b2c3d4e5f60718"))
    .collect();
    assert_eq!(got, want);
    assert!(lines.iter().all(|l| l["rule_id"] == "guardduty-ec2-backdoor" && l["region"] == "eu-west-1"));

    // Termination is planned only when named and allowed; off plans nothing.
    let dir = tempfile::tempdir().unwrap();
    let config = |name: &str, toml: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, toml).unwrap();
        path.to_string_lossy().into_owned()
    };
    let named = config("named.toml", "respond_actions = [\"default\", \"ec2-terminate\"]\n");
    assert!(!plan(&["--config", &named]).iter().any(|l| l["action"] == "ec2-terminate"));
    let allowed =
        config("allowed.toml", "respond_actions = [\"default\", \"ec2-terminate\"]\nallow_terminate = true\n");
    assert_eq!(plan(&["--config", &allowed]).last().unwrap()["action"], "ec2-terminate");
    let off = config("off.toml", "respond = \"off\"\n");
    assert!(plan(&["--config", &off]).is_empty());
    let critical = config("critical.toml", "respond_min_severity = \"critical\"\n");
    // Only the re-published (Critical) delivery is planned, still once per action.
    assert_eq!(plan(&["--config", &critical]).len(), 7);
}

#[test]
fn a_gzip_bomb_beside_a_good_file_is_read_in_bounded_memory() {
    use std::io::Write;
    let gzip = |bytes: &[u8]| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    };
    // 2 GiB of one record's string, as 2,048 gzip members of 1 MiB each (about 2 MiB of gzip).
    let dir = tempfile::tempdir().unwrap();
    let member = gzip(&vec![b'a'; 1 << 20]);
    let mut bomb = gzip(br#"{"Records":[{"eventName":"DeleteTrail","padding":""#);
    for _ in 0..2048 {
        bomb.extend_from_slice(&member);
    }
    bomb.extend(gzip(br#""}]}"#));
    std::fs::write(dir.path().join("bomb.json.gz"), &bomb).unwrap();
    let good = Path::new(ROOT).join("testdata/events/cloudtrail-trail-deleted/fires_stratus.json");
    std::fs::copy(&good, dir.path().join("good.json")).unwrap();
    // The peak RSS of the replay process, as the kernel counts it (python3's getrusage).
    let out = Command::new("python3")
        .args([
            "-c",
            "import resource, subprocess, sys\n\
             r = subprocess.run(sys.argv[1:], capture_output=True)\n\
             sys.stdout.buffer.write(r.stdout)\n\
             sys.stderr.buffer.write(r.stderr)\n\
             print('peak-kib', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)",
        ])
        .arg(replay_bin())
        .args(["--format", "jsonl", "--progress", "never"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    let last = stdout.lines().last().unwrap();
    let [_, peak, code] = last.split(' ').collect::<Vec<_>>()[..] else { panic!("{last}") };
    let peak_mib = peak.parse::<u64>().unwrap() / 1024;
    // The good file's alert, and the bomb stopped at the file limit with the reason.
    assert_eq!(
        stdout.lines().filter(|l| l.contains("\"rule_id\":\"cloudtrail-trail-deleted\"")).count(),
        1,
        "{stdout}"
    );
    assert!(stderr.contains("bomb.json.gz: stopped after 512 MiB of decompressed data"), "{stderr}");
    assert_eq!(code, "2", "some input could not be read: {stderr}");
    // Before streaming, this run held 530 MB: the file was inflated whole up to the limit.
    assert!(peak_mib < 200, "peak RSS {peak_mib} MiB");
    eprintln!("peak RSS {peak_mib} MiB");
}

#[test]
fn the_installed_command_is_the_example_and_has_rules_pattern_completions_and_a_man_page() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_trailwarden"))
            .args(args)
            .current_dir(ROOT)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    // `trailwarden replay` is the example: the same output, summary and exit code.
    let (ours, example) =
        (run(&["replay", "--format", "jsonl", "testdata/"]), replay(&["--format", "jsonl", "testdata/"]));
    assert!(!ours.stdout.is_empty());
    assert_eq!(text(&ours.stdout), text(&example.stdout));
    assert_eq!(masked(&ours.stderr), masked(&example.stderr));
    assert_eq!(ours.status.code(), example.status.code());
    // `rules` and `pattern` are the example's `--list-rules` and `--print-event-pattern`.
    let rules = run(&["rules"]);
    assert!(rules.status.success());
    assert_eq!(text(&rules.stdout), text(&replay(&["--list-rules"]).stdout));
    assert_eq!(text(&rules.stdout).lines().count(), trailwarden::registry().len());
    assert_eq!(text(&run(&["pattern"]).stdout), text(&replay(&["--print-event-pattern"]).stdout));
    // Completions and the man page come from the same definition.
    let bash = text(&run(&["completions", "bash"]).stdout);
    assert!(bash.contains("_trailwarden") && bash.contains("--since") && bash.contains("replay"), "{bash}");
    let man = text(&run(&["man"]).stdout);
    assert!(man.contains(".TH trailwarden 1") && man.contains("replay"), "{man}");
    // A usage error names the problem and exits 1.
    let bad = run(&["replay", "--since", "yesterday", "testdata/"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("yesterday"), "{}", text(&bad.stderr));
}

#[test]
fn html_previews_group_one_actors_storm_into_a_digest() {
    // Alice opens six security groups in four minutes and stops CloudTrail in the middle: the
    // first alert at once, the Critical one at once, the other five in one digest.
    let input = tempfile::tempdir().unwrap();
    let base: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("testdata/events/ec2-sg-ingress-open-to-world/fires_high_port_range.json").unwrap(),
    )
    .unwrap();
    for i in 0..6 {
        let mut event = base.clone();
        event["eventID"] = format!("7f1c2e3d-0000-4000-8000-00000000000{i}").into();
        event["eventTime"] = format!("2026-03-14T09:{:02}:{:02}Z", 26 + (i * 45) / 60, (i * 45) % 60).into();
        event["requestParameters"]["groupId"] = format!("sg-0a1b2c3d4e5f6071{i}").into();
        std::fs::write(input.path().join(format!("sg{i}.json")), event.to_string()).unwrap();
    }
    let mut stop: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("testdata/events/cloudtrail-logging-stopped/fires_stratus.json").unwrap(),
    )
    .unwrap();
    let record = if stop.get("detail").is_some() { &mut stop["detail"] } else { &mut stop };
    record["userIdentity"] = base["userIdentity"].clone();
    record["recipientAccountId"] = "111122223333".into();
    record["eventTime"] = "2026-03-14T09:27:10Z".into();
    std::fs::write(input.path().join("stop.json"), stop.to_string()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = replay(&["--html", dir.path().to_str().unwrap(), input.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names[0].starts_with("0001-7f1c2e3d-0000-4000-8000-000000000000"), "{names:?}");
    let critical = std::fs::read_to_string(dir.path().join(&names[1])).unwrap();
    assert!(critical.starts_with("Subject: [CRITICAL] "), "{critical}");
    assert!(names[2].starts_with("0003-digest-storm-"), "{names:?}");
    let digest = std::fs::read_to_string(dir.path().join(&names[2])).unwrap();
    assert!(
        digest.starts_with("Subject: [HIGH] Digest: 5 more alert(s) by arn:aws:iam::111122223333:user/alice"),
        "{digest}"
    );
    for i in 1..6 {
        assert!(digest.contains(&format!("Resource: security-group sg-0a1b2c3d4e5f6071{i}")), "{digest}");
    }
    // --no-group: one email per event.
    let each = tempfile::tempdir().unwrap();
    replay(&["--html", each.path().to_str().unwrap(), "--no-group", input.path().to_str().unwrap()]);
    assert_eq!(std::fs::read_dir(each.path()).unwrap().count(), 14);
}
