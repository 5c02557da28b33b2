//! Replay throughput against its floors, measured in one run (README, Performance; ARCHITECTURE.md, Invariants).
//!
//! Builds (once, cached under target/) a `make_corpus --events 200000` archive (the generator of
//! `examples/make_corpus.rs`, from this repository's testdata/) and measures, in
//! records/s: gunzip alone, serde_json into `IgnoredAny`, replay of the gzip archive on one core
//! and on every core, and replay of the same records as plain JSON. Prints the ratios at the end.
//!
//! `cargo bench --bench replay` (TRAILWARDEN_BENCH_EVENTS to change the corpus size).

use std::hint::black_box;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, Throughput};
use rayon::prelude::*;
use serde::de::IgnoredAny;
use trailwarden::cloudtrail::input;
use trailwarden::replay::Replay;
use trailwarden::{Config, Engine};

// The allocator the replay command uses (examples/replay.rs), so the bench measures what it runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../examples/make_corpus.rs"]
#[allow(dead_code)] // its `main`: this bench calls `generate` directly, with no cargo run inside cargo bench
mod make_corpus;

/// The rule library before issue #14 grew it (78 rules, one id a line): "before" in the same run.
const RULES_BEFORE_14: &str = include_str!("rules-before-14.txt");

fn corpus(events: usize) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    // Named for its generator: an archive an older tool left under the old name is not reused.
    let dir = target.join(format!("bench-corpus-trail-{events}"));
    if !dir.join(".complete").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let events = events.to_string();
        let args = ["make_corpus", "--events", &events, "--out"].map(std::ffi::OsStr::new);
        let cli = <make_corpus::Cli as clap::Parser>::parse_from(args.iter().copied().chain([dir.as_os_str()]));
        let written =
            make_corpus::generate(&cli).unwrap_or_else(|e| panic!("make_corpus into {}: {e:#}", dir.display()));
        eprintln!("corpus built: {} files, {} records in {}", written.files, written.records, dir.display());
        std::fs::write(dir.join(".complete"), b"").unwrap();
    }
    let (files, errors) = input::collect_files(&[dir]);
    assert!(errors.is_empty(), "{errors:?}");
    files
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

thread_local! {
    // Every measured pass decompresses into one reused buffer per thread, as replay's workers do.
    static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn main() {
    let events: usize = std::env::var("TRAILWARDEN_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let files = corpus(events);
    let gz: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let plain: Vec<Vec<u8>> = gz.iter().map(|b| gunzip(b)).collect();
    let engine = Engine::new(Config::default()).unwrap();
    let scan = Replay::new(&engine);
    // The same engine with only the rules the library had before #14: the "before" of this run.
    let earlier = Config {
        disabled_rules: trailwarden::registry()
            .iter()
            .map(|r| r.id)
            .filter(|id| !RULES_BEFORE_14.lines().any(|l| l == *id))
            .map(str::to_string)
            .collect(),
        ..Config::default()
    };
    let engine_before = Engine::new(earlier).unwrap();
    assert_eq!(engine_before.rules().len(), RULES_BEFORE_14.lines().count());
    let scan_before = Replay::new(&engine_before);
    let records: u64 = plain.iter().map(|b| scan.scan_bytes(Path::new("x"), b).records).sum();
    assert_eq!(records, events as u64);
    let alerts: usize = plain.iter().map(|b| scan.scan_bytes(Path::new("x"), b).details.len()).sum();
    let mb = |v: &[Vec<u8>]| v.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    eprintln!(
        "corpus: {} files, {records} records, {:.0} MB gzip, {:.0} MB JSON, {alerts} alerts, {} rules, {} threads",
        files.len(),
        mb(&gz),
        mb(&plain),
        engine.rules().len(),
        rayon::current_num_threads()
    );

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8))
        .configure_from_args();
    let mut g = c.benchmark_group("replay");
    g.throughput(Throughput::Elements(records));
    // Decompression alone into one reused buffer: streaming zlib-rs (the floor of every figure
    // before libdeflate, README, Performance), and libdeflate whole, as replay's workers now do it.
    let gunzip_pass = || {
        gz.iter()
            .map(|f| {
                BUF.with_borrow_mut(|buf| {
                    buf.clear();
                    flate2::read::MultiGzDecoder::new(&f[..]).read_to_end(buf).unwrap()
                })
            })
            .sum::<usize>()
    };
    let inflate_pass = || {
        gz.iter()
            .map(|f| {
                BUF.with_borrow_mut(|buf| {
                    input::bytes_into(f, Path::new("x"), buf, input::MAX_FILE_BYTES).unwrap();
                    buf.len()
                })
            })
            .sum::<usize>()
    };
    g.bench_function("gunzip_1core", |b| b.iter(gunzip_pass));
    g.bench_function("gunzip_libdeflate_1core", |b| b.iter(inflate_pass));
    g.bench_function("ignored_any_1core", |b| {
        b.iter(|| {
            for f in &plain {
                black_box(serde_json::from_slice::<IgnoredAny>(f).unwrap());
            }
        });
    });
    // What replay does per file: decompress, then scan every record through every rule.
    let replay_gz = |f: &Vec<u8>| {
        BUF.with_borrow_mut(|buf| {
            input::bytes_into(f, Path::new("x"), buf, input::MAX_FILE_BYTES).unwrap();
            scan.scan_bytes(Path::new("x"), buf).details.len()
        })
    };
    g.bench_function("replay_gzip_1core", |b| b.iter(|| gz.iter().map(replay_gz).sum::<usize>()));
    let replay_gz_before = |f: &Vec<u8>| {
        BUF.with_borrow_mut(|buf| {
            input::bytes_into(f, Path::new("x"), buf, input::MAX_FILE_BYTES).unwrap();
            scan_before.scan_bytes(Path::new("x"), buf).details.len()
        })
    };
    g.bench_function("replay_gzip_1core_rules_before_14", |b| {
        b.iter(|| gz.iter().map(replay_gz_before).sum::<usize>())
    });
    g.bench_function("replay_gzip_all_cores", |b| b.iter(|| gz.par_iter().map(replay_gz).sum::<usize>()));
    g.bench_function("replay_plain_1core", |b| {
        b.iter(|| plain.iter().map(|f| scan.scan_bytes(Path::new("x"), f).details.len()).sum::<usize>());
    });
    g.finish();

    // The organisation trail's object path (src/lambda/objects.rs): one real-sized log object,
    // GetObject's bytes from a local buffer, through `Replay::object_parts` as a 128 MB function
    // configures it (inflated whole up to 64 MiB), beside gunzip alone of the same object and the
    // same object streamed in parts (the path of an object over half the function's memory).
    let object = one_object(&plain[..40.min(plain.len())]);
    let object_records: u64 = 40.min(plain.len()) as u64 * (records / plain.len() as u64);
    let lambda = Replay { whole_file_bytes: 64 << 20, ..Replay::new(&engine) };
    let streamed = Replay { whole_file_bytes: 0, ..Replay::new(&engine) };
    eprintln!("object: {:.1} MB gzip, {object_records} records", object.len() as f64 / 1e6);
    let mut g = c.benchmark_group("object");
    g.throughput(Throughput::Elements(object_records));
    g.bench_function("gunzip_zlib_rs", |b| b.iter(|| gunzip(&object).len()));
    g.bench_function("lambda", |b| b.iter(|| lambda.scan_object(Path::new("x"), &object).details.len()));
    g.bench_function("streamed", |b| b.iter(|| streamed.scan_object(Path::new("x"), &object).details.len()));
    g.finish();
    c.final_summary();
    report_object(object_records);
    report(records);

    // The same ratios from passes taken in turn, so that a slow patch of a shared machine weighs
    // on both sides alike; the order rotates each round so no pass always follows another; the
    // median of the per-round ratios.
    let time = |f: &dyn Fn() -> usize| {
        let t = std::time::Instant::now();
        black_box(f());
        t.elapsed().as_secs_f64()
    };
    // Replay as it read gzip before libdeflate: streaming zlib-rs into the worker's buffer.
    let replay_zlib = |f: &Vec<u8>| {
        BUF.with_borrow_mut(|buf| {
            buf.clear();
            flate2::read::MultiGzDecoder::new(&f[..]).read_to_end(buf).unwrap();
            scan.scan_bytes(Path::new("x"), buf).details.len()
        })
    };
    let passes: [(&str, &dyn Fn() -> usize); 6] = [
        ("gunzip zlib-rs", &gunzip_pass),
        ("gunzip libdeflate", &inflate_pass),
        ("replay", &|| gz.iter().map(replay_gz).sum::<usize>()),
        ("replay, zlib-rs reader", &|| gz.iter().map(replay_zlib).sum::<usize>()),
        ("replay, rules before #14", &|| gz.iter().map(replay_gz_before).sum::<usize>()),
        ("replay, all cores", &|| gz.par_iter().map(replay_gz).sum::<usize>()),
    ];
    let rounds: usize = std::env::var("TRAILWARDEN_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(15);
    let mut times = vec![vec![0.0; passes.len()]; rounds];
    for (round, row) in times.iter_mut().enumerate() {
        for k in 0..passes.len() {
            let i = (k + round) % passes.len();
            row[i] = time(passes[i].1);
        }
    }
    let ratio = |num: usize, den: usize| {
        let mut v: Vec<f64> = times.iter().map(|t| t[num] / t[den]).collect();
        v.sort_by(f64::total_cmp);
        format!("{:.2}x  ({:.2}..{:.2})", v[v.len() / 2], v[0], v[v.len() - 1])
    };
    let (gzip, libdeflate, now, zlib, before, all) = (0, 1, 2, 3, 4, 5);
    println!("paired rounds ({rounds}, median; min..max), records/s of the first over the second");
    let rules = engine.rules().len();
    let rules_before = RULES_BEFORE_14.lines().count();
    println!("  replay ({rules} rules) / gunzip zlib-rs               {}", ratio(gzip, now));
    println!("  replay ({rules} rules) / gunzip libdeflate            {}", ratio(libdeflate, now));
    println!("  replay, zlib-rs reader / gunzip zlib-rs        {}", ratio(gzip, zlib));
    println!("  replay, rules before #14 ({rules_before}) / gunzip zlib-rs  {}", ratio(gzip, before));
    println!("  replay all cores / one core                    {}", ratio(now, all));
    println!("  gunzip libdeflate / gunzip zlib-rs             {}", ratio(gzip, libdeflate));
}

/// One log file of every record of `files` (a real-sized object, several MB of gzip).
fn one_object(files: &[Vec<u8>]) -> Vec<u8> {
    let mut records: Vec<serde_json::Value> = Vec::new();
    for f in files {
        let mut doc: serde_json::Value = serde_json::from_slice(f).unwrap();
        records.append(doc["Records"].as_array_mut().unwrap());
    }
    let json = serde_json::to_vec(&serde_json::json!({ "Records": records })).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &json).unwrap();
    gz.finish().unwrap()
}

/// Criterion's mean for `group/name` in this run, in nanoseconds.
fn mean_ns(group: &str, name: &str) -> Option<f64> {
    let root = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("criterion")
        .join(group);
    let text = std::fs::read_to_string(root.join(name).join("new/estimates.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

/// The object path's figures from criterion's estimates.
fn report_object(records: u64) {
    let ms = |name: &str| mean_ns("object", name).map(|ns| ns / 1e6);
    if let (Some(g), Some(l), Some(s)) = (ms("gunzip_zlib_rs"), ms("lambda"), ms("streamed")) {
        println!("\none object ({records} records), one core");
        println!("  gunzip alone (zlib-rs)                 {g:8.1} ms");
        let rate = |t: f64| records as f64 / (t / 1e3);
        println!(
            "  the function's path (whole, 128 MB)    {l:8.1} ms  {:.0} records/s, {:.2}x gunzip alone",
            rate(l),
            g / l
        );
        println!(
            "  streamed in parts (zlib-rs)            {s:8.1} ms  {:.0} records/s, {:.2}x gunzip alone",
            rate(s),
            g / s
        );
    }
}

/// Reads criterion's estimates back and prints records/s and the ratios we track.
fn report(records: u64) {
    let rate = |name: &str| mean_ns("replay", name).map(|ns| records as f64 / (ns / 1e9));
    let names = [
        "gunzip_1core",
        "ignored_any_1core",
        "replay_gzip_1core",
        "replay_gzip_all_cores",
        "replay_plain_1core",
        "gunzip_libdeflate_1core",
    ];
    let rates: Vec<Option<f64>> = names.iter().map(|n| rate(n)).collect();
    println!("\nrecords/s (this run)");
    for (n, r) in names.iter().zip(&rates) {
        if let Some(r) = r {
            println!("  {n:<24} {:>12.0}", r);
        }
    }
    if let [Some(gunzip), Some(ignored), Some(gz1), Some(gzn), Some(plain), Some(libdeflate)] = rates[..] {
        println!("ratios");
        println!("  replay gzip 1 core / gunzip alone   {:.2}x  (target >= 0.70)", gz1 / gunzip);
        println!("  replay gzip 1 core / gunzip libdeflate  {:.2}x", gz1 / libdeflate);
        println!("  replay gzip all cores / 1 core      {:.2}x  (target >= 1.80)", gzn / gz1);
        println!(
            "  replay plain 1 core / IgnoredAny    {:.2}x  ({:.0} records/s, target >= 500k)",
            plain / ignored,
            plain
        );
    }
}
