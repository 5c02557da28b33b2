//! Builds a CloudTrail archive laid out as CloudTrail delivers it to S3, for the benchmarks
//! (`benches/replay.rs`, `benches/scale.sh`) and for replay at scale, from this repository alone.
//!
//! cargo run --release --example make_corpus -- --events N --out DIR [--plain] [--noise F] [--seed S]
//!
//! Records are drawn from the project's own CloudTrail records: the 310 Stratus Red Team
//! detonation records in `testdata/trails/` (see `testdata/README.md` for their attribution),
//! attacks among the noise around them as a detonation leaves it, and with `--fixtures` also every
//! fixture under `testdata/events/` (any input shape: bare record, array, log file, EventBridge
//! envelope; each an attack or its legitimate twin, so about a quarter of such an archive alerts). Each gets a fresh `eventID`, `requestID`, `eventTime` (3 s apart from
//! 2026-01-01), account, region and, when it was an IP address, `sourceIPAddress`; the rest of the
//! record is copied byte for byte, in its field order. They are written as CloudTrail log files
//! (`{"Records":[...]}`, `--per-file` records each) at
//! `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<stamp>_<rand>.json.gz`.
//!
//! `--noise F` makes a fraction F of the records read-only noise, which is most of a real trail:
//! varied copies (as above) of the real read-only `Describe*`, `Get*` and `List*` records.
//! The output is the same for the same options and `--seed`. Prints one line: files, records,
//! uncompressed bytes.
//!
//! `benches/replay.rs` builds its archive with this file's [`generate`], included as a module.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Parser;
use rayon::prelude::*;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

#[derive(Parser)]
#[command(about = "Build a CloudTrail archive in the S3 layout from trailwarden's own records")]
pub struct Cli {
    /// Records in the archive.
    #[arg(long, default_value_t = 100_000)]
    events: u64,
    /// Folder to write `AWSLogs/...` into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Records per log file (CloudTrail's own files hold up to about a thousand).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    per_file: u64,
    /// Accounts the records are spread over.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1000))]
    accounts: u64,
    /// Fraction of the records that are read-only noise (Describe*/Get*/List*), 0 to 1.
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    noise: f64,
    /// Also draw from every fixture under testdata/events (far more alerting records).
    #[arg(long)]
    fixtures: bool,
    /// Write `.json` log files instead of `.json.gz`.
    #[arg(long)]
    plain: bool,
    /// Seed of every random choice: the same seed, the same archive.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

fn fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!("`{s}` is not a fraction from 0 to 1")),
    }
}

const REGIONS: [&str; 4] = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"];
/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600;

/// One CloudTrail record as its top-level fields, in order: each name already as JSON, each value
/// its original text.
struct Record(Vec<(String, String, Box<RawValue>)>);

impl Record {
    fn get(&self, name: &str) -> Option<&RawValue> {
        self.0.iter().find(|(n, _, _)| n == name).map(|(_, _, v)| &**v)
    }

    fn str(&self, name: &str) -> Option<String> {
        serde_json::from_str(self.get(name)?.get()).ok()
    }

    /// The record with some top-level fields replaced (or added, at the end): `with` holds
    /// (name, JSON value) pairs.
    fn write(&self, out: &mut Vec<u8>, with: &[(&str, String)]) {
        out.push(b'{');
        let mut first = true;
        let mut field = |out: &mut Vec<u8>, key: &str, value: &str| {
            if !std::mem::take(&mut first) {
                out.push(b',');
            }
            out.extend_from_slice(key.as_bytes());
            out.push(b':');
            out.extend_from_slice(value.as_bytes());
        };
        for (name, key, value) in &self.0 {
            match with.iter().find(|(n, _)| n == name) {
                Some((_, new)) => field(out, key, new),
                None => field(out, key, value.get()),
            }
        }
        for (name, new) in with {
            if self.get(name).is_none() {
                field(out, &json(name), new);
            }
        }
        out.push(b'}');
    }
}

impl<'de> serde::Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Record;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a CloudTrail record (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
                let mut fields = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    let value: Box<RawValue> = map.next_value()?;
                    let key = json(&name);
                    fields.push((name, key, value));
                }
                Ok(Record(fields))
            }
        }
        d.deserialize_map(Fields)
    }
}

fn json(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// The records of one JSON document in any shape replay reads. Findings (GuardDuty, Security
/// Hub) are not CloudTrail records, and a trail archive has none: they are left out.
fn records_of(doc: &RawValue, into: &mut Vec<Record>) -> serde_json::Result<()> {
    if trailwarden::findings::read::holds_findings(doc.get()) {
        return Ok(());
    }
    if doc.get().trim_start().starts_with('[') {
        for item in serde_json::from_str::<Vec<Box<RawValue>>>(doc.get())? {
            records_of(&item, into)?;
        }
        return Ok(());
    }
    let record: Record = serde_json::from_str(doc.get())?;
    if let Some(records) = record.get("Records") {
        records_of(records, into)
    } else if let (Some(_), Some(detail)) = (record.get("detail-type"), record.get("detail")) {
        records_of(detail, into)
    } else {
        into.push(record);
        Ok(())
    }
}

/// Every record of the trails (and the fixtures, when asked), in a fixed order (so the seed
/// alone decides).
fn load(root: &Path, fixtures: bool) -> anyhow::Result<Vec<Record>> {
    let mut records = Vec::new();
    let dirs: &[&str] = if fixtures { &["testdata/events", "testdata/trails"] } else { &["testdata/trails"] };
    for dir in dirs {
        let mut files: Vec<PathBuf> = walkdir::WalkDir::new(root.join(dir))
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("reading {}", root.join(dir).display()))?
            .into_iter()
            .map(walkdir::DirEntry::into_path)
            .filter(|p| p.to_str().is_some_and(|s| s.ends_with(".json") || s.ends_with(".json.gz")))
            .collect();
        files.sort();
        for path in files {
            let raw = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let text = match path.extension().is_some_and(|e| e == "gz") {
                true => {
                    let mut text = Vec::new();
                    flate2::read::MultiGzDecoder::new(&raw[..])
                        .read_to_end(&mut text)
                        .with_context(|| format!("{}: not gzip", path.display()))?;
                    text
                }
                false => raw,
            };
            for doc in serde_json::Deserializer::from_slice(&text).into_iter::<Box<RawValue>>() {
                let doc = doc.with_context(|| format!("{}: not JSON", path.display()))?;
                records_of(&doc, &mut records).with_context(|| format!("{}: not CloudTrail", path.display()))?;
            }
        }
    }
    Ok(records)
}

/// A random version 4 UUID, as CloudTrail writes event and request ids.
fn uuid(rng: &mut fastrand::Rng) -> String {
    let n = (rng.u128(..) & !(0xf << 76) | (4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let h = format!("{n:032x}");
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// One log file to write: where, and the seed of its records.
struct File {
    first: u64,
    count: u64,
    account: String,
    region: &'static str,
    seed: u64,
}

fn main() -> anyhow::Result<()> {
    let written = generate(&Cli::parse())?;
    println!("files {}, records {}, uncompressed bytes {}", written.files, written.records, written.bytes);
    Ok(())
}

/// What [`generate`] wrote.
pub struct Written {
    pub files: u64,
    pub records: u64,
    /// Uncompressed.
    pub bytes: u64,
}

/// Writes the archive `cli` describes.
pub fn generate(cli: &Cli) -> anyhow::Result<Written> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = load(root, cli.fixtures)?;
    let noise: Vec<&Record> = base
        .iter()
        .filter(|r| {
            r.str("eventName").is_some_and(|n| ["Describe", "Get", "List"].iter().any(|p| n.starts_with(p)))
                && r.get("readOnly").is_some_and(|v| v.get() == "true")
        })
        .collect();
    if base.is_empty() || noise.is_empty() {
        bail!("no records (or no read-only ones for --noise) under {}/testdata", root.display());
    }
    let mut rng = fastrand::Rng::with_seed(cli.seed);
    let accounts: Vec<String> =
        (0..cli.accounts).map(|_| format!("{:012}", rng.u64(100_000_000_000..1_000_000_000_000))).collect();
    // Where each file goes and its own seed are drawn in order, so the files can then be built
    // on every core and the archive still depends on the seed alone.
    let files: Vec<File> = (0..cli.events.div_ceil(cli.per_file))
        .map(|n| File {
            first: n * cli.per_file,
            count: cli.per_file.min(cli.events - n * cli.per_file),
            account: accounts[rng.usize(..accounts.len())].clone(),
            region: REGIONS[rng.usize(..REGIONS.len())],
            seed: rng.u64(..),
        })
        .collect();
    let bytes = files
        .par_iter()
        .map(|file| write_file(cli, &base, &noise, file))
        .collect::<anyhow::Result<Vec<u64>>>()?
        .into_iter()
        .sum::<u64>();
    Ok(Written { files: files.len() as u64, records: cli.events, bytes })
}

/// Writes one log file; returns its uncompressed size.
fn write_file(cli: &Cli, base: &[Record], noise: &[&Record], file: &File) -> anyhow::Result<u64> {
    let mut rng = fastrand::Rng::with_seed(file.seed);
    let time = |i: u64| -> anyhow::Result<jiff::Timestamp> {
        Ok(jiff::Timestamp::from_second(START + 3 * i64::try_from(i)?)?)
    };
    let mut body = b"{\"Records\":[".to_vec();
    for i in file.first..file.first + file.count {
        let record = match rng.f64() < cli.noise {
            true => noise[rng.usize(..noise.len())],
            false => &base[rng.usize(..base.len())],
        };
        let mut with = vec![
            ("eventID", json(&uuid(&mut rng))),
            ("requestID", json(&uuid(&mut rng))),
            ("eventTime", json(&time(i)?.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())),
            ("recipientAccountId", json(&file.account)),
            ("awsRegion", json(file.region)),
        ];
        // Service names (`ec2.amazonaws.com`) stay; addresses are spread like a trail's.
        if record.str("sourceIPAddress").is_some_and(|ip| ip.starts_with(|c: char| c.is_ascii_digit())) {
            let ip = format!("{}.{}.{}.{}", rng.u8(1..255), rng.u8(1..255), rng.u8(1..255), rng.u8(1..255));
            with.push(("sourceIPAddress", json(&ip)));
        }
        if i > file.first {
            body.push(b',');
        }
        record.write(&mut body, &with);
    }
    body.extend_from_slice(b"]}");

    let when = time(file.first)?;
    let folder = cli
        .out
        .join("AWSLogs")
        .join(&file.account)
        .join("CloudTrail")
        .join(file.region)
        .join(when.strftime("%Y/%m/%d").to_string());
    std::fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
    let name = format!(
        "{}_CloudTrail_{}_{}_{:016x}.json{}",
        file.account,
        file.region,
        when.strftime("%Y%m%dT%H%MZ"),
        rng.u64(..),
        if cli.plain { "" } else { ".gz" }
    );
    let path = folder.join(name);
    let size = body.len() as u64;
    let data = match cli.plain {
        true => body,
        false => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            gz.write_all(&body)?;
            gz.finish()?
        }
    };
    std::fs::write(&path, data).with_context(|| format!("writing {}", path.display()))?;
    Ok(size)
}
