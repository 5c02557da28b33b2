//! Log objects read with S3's GetObject (SSE-KMS objects too: S3 decrypts them for a caller
//! allowed to use the key).

use super::{ObjectRef, ObjectStore};

/// GetObject through one client, refusing objects larger than a limit before reading them.
#[derive(Clone)]
pub struct S3Objects {
    client: aws_sdk_s3::Client,
    max_bytes: u64,
}

impl S3Objects {
    /// `max_bytes`: the largest object read (as stored, compressed). CloudTrail's log objects are
    /// a few MiB; the limit keeps a stray huge object from filling the function's memory.
    pub fn new(client: aws_sdk_s3::Client, max_bytes: u64) -> Self {
        S3Objects { client, max_bytes }
    }

    /// The largest object read, as stored.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }
}

impl ObjectStore for S3Objects {
    async fn get(&self, object: &ObjectRef) -> Result<Vec<u8>, String> {
        get_object(&self.client, object, self.max_bytes).await.map_err(|e| e.to_string())
    }
}

/// Why an object could not be read.
#[derive(Debug)]
pub enum Fetch {
    /// Worth trying again: throttling (`SlowDown`, 429), a 5xx, a timeout, a dropped connection.
    Retry(String),
    /// Not: the object is gone, denied (its KMS key too), archived (Glacier), or over the limit.
    Skip(String),
}

impl std::fmt::Display for Fetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fetch::Retry(what) | Fetch::Skip(what) => f.write_str(what),
        }
    }
}

/// GetObject, refusing an object larger than `most` (as stored) before reading it, and telling
/// errors worth a retry from those that are not.
pub async fn get_object(client: &aws_sdk_s3::Client, object: &ObjectRef, most: u64) -> Result<Vec<u8>, Fetch> {
    use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
    let over = |size: u64| {
        Fetch::Skip(format!("{size} bytes, over the {} limit for one object", crate::cloudtrail::input::mib(most)))
    };
    if let Some(size) = object.size.filter(|&s| s > most) {
        return Err(over(size));
    }
    let out = match client.get_object().bucket(&object.bucket).key(&object.key).send().await {
        Ok(out) => out,
        Err(e) => {
            let what = format!("GetObject: {}", aws_sdk_s3::error::DisplayErrorContext(&e));
            let status = e.raw_response().map(|r| r.status().as_u16());
            let throttled =
                matches!(e.code(), Some("SlowDown" | "RequestTimeout" | "Throttling" | "ThrottlingException"));
            return Err(match (&e, status) {
                (SdkError::ServiceError(_), Some(status))
                    if (400..500).contains(&status) && status != 429 && !throttled =>
                {
                    Fetch::Skip(what)
                }
                _ => Fetch::Retry(what),
            });
        }
    };
    if let Some(size) = out.content_length().filter(|&s| s as u64 > most) {
        return Err(over(size as u64));
    }
    let body = out.body.collect().await.map_err(|e| Fetch::Retry(format!("reading the object: {e}")))?;
    Ok(body.into_bytes().to_vec())
}

/// `s3://bucket/prefix` as (bucket, prefix); `None` for anything else.
pub fn parse_url(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| (bucket.to_string(), prefix.to_string()))
}

/// Which log files of a trail bucket to read.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    pub window: crate::replay::TimeWindow,
    /// Only these accounts (all when empty).
    pub accounts: Vec<String>,
    /// Only these regions (all when empty).
    pub regions: Vec<String>,
}

/// What a walk of the bucket found.
#[derive(Debug, Default)]
pub struct Listed {
    /// The log files to read, in key order.
    pub objects: Vec<ObjectRef>,
    /// ListObjectsV2 requests made.
    pub requests: u64,
    /// Key prefixes not listed: whole accounts, services, regions, years, months or days that
    /// the walk's filters rule out.
    pub pruned: u64,
    /// Objects listed and not read, with the reason.
    pub skipped: Vec<(String, super::Skip)>,
    /// For [`list_regions`]: the region folders (`.../CloudTrail/REGION/`) found, not listed.
    pub regions: Vec<String>,
}

/// Lists the CloudTrail log files under `s3://bucket/prefix`, one folder level at a time
/// (`AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/`), pruning every folder the walk's
/// accounts, regions and time window rule out before listing it; up to 16 listings at once.
pub async fn list(client: &aws_sdk_s3::Client, bucket: &str, prefix: &str, walk: &Walk) -> Result<Listed, String> {
    walk_tree(client, bucket, prefix, walk, false).await
}

/// Lists down to the region folders (`AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/`) the walk's
/// accounts and regions allow, without listing the days below them: what a backfill plans from.
pub async fn list_regions(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    walk: &Walk,
) -> Result<Listed, String> {
    walk_tree(client, bucket, prefix, walk, true).await
}

/// The walk of [`list`]; with `stop_at_regions`, region folders are kept, not listed.
async fn walk_tree(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    walk: &Walk,
    stop_at_regions: bool,
) -> Result<Listed, String> {
    let mut listed = Listed::default();
    let mut level = vec![prefix.to_string()];
    while !level.is_empty() {
        let mut next = Vec::new();
        for chunk in level.chunks(16) {
            let mut set = tokio::task::JoinSet::new();
            for p in chunk {
                let (client, bucket, p) = (client.clone(), bucket.to_string(), p.clone());
                set.spawn(async move { list_folder(&client, &bucket, &p).await });
            }
            while let Some(done) = set.join_next().await {
                let (folders, keys, requests) = done.map_err(|e| format!("listing: {e}"))??;
                listed.requests += requests;
                for folder in folders {
                    match worth_listing(&folder, walk) {
                        true if stop_at_regions && is_region_folder(&folder) => listed.regions.push(folder),
                        true => next.push(folder),
                        false => listed.pruned += 1,
                    }
                }
                for (key, size) in keys {
                    match wanted(&key, walk) {
                        Ok(()) => listed.objects.push(ObjectRef { bucket: bucket.to_string(), key, size }),
                        Err(skip) => listed.skipped.push((key, skip)),
                    }
                }
            }
        }
        level = next;
    }
    listed.objects.sort_by(|a, b| a.key.cmp(&b.key));
    listed.regions.sort();
    Ok(listed)
}

/// A folder's parts after `AWSLogs/` (and the organisation's `o-...` folder), or `None` outside
/// the trail layout.
fn trail_parts(folder: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = folder.trim_end_matches('/').split('/').collect();
    let logs = parts.iter().rposition(|p| *p == "AWSLogs")?;
    let mut rest = &parts[logs + 1..];
    if rest.first().is_some_and(|p| p.starts_with("o-")) {
        rest = &rest[1..];
    }
    Some(rest.to_vec())
}

/// Whether a folder is `.../AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/`.
fn is_region_folder(folder: &str) -> bool {
    trail_parts(folder).is_some_and(|rest| matches!(rest.as_slice(), [_, "CloudTrail", _]))
}

/// One folder's sub-folders and objects (every page).
async fn list_folder(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Result<(Vec<String>, Vec<(String, Option<u64>)>, u64), String> {
    let (mut folders, mut keys, mut requests) = (Vec::new(), Vec::new(), 0);
    let mut token = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .delimiter("/")
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| {
                format!("s3://{bucket}/{prefix}: ListObjectsV2: {}", aws_sdk_s3::error::DisplayErrorContext(&e))
            })?;
        requests += 1;
        folders.extend(page.common_prefixes().iter().filter_map(|p| p.prefix().map(str::to_string)));
        keys.extend(page.contents().iter().filter_map(|o| Some((o.key()?.to_string(), o.size().map(|s| s as u64)))));
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => return Ok((folders, keys, requests)),
        }
    }
}

/// Whether a folder (`.../`) may hold log files the walk wants, by what its path names so far.
fn worth_listing(folder: &str, walk: &Walk) -> bool {
    if folder.split('/').any(|p| p == "CloudTrail-Digest" || p == "CloudTrail-Insight") {
        return false;
    }
    let Some(rest) = trail_parts(folder) else { return true };
    let rest = rest.as_slice();
    let number = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<i16>().ok()).flatten()
    };
    match rest {
        [] => true,
        [account, ..] if !walk.accounts.is_empty() && !walk.accounts.iter().any(|a| a == account) => false,
        [_] => true,
        [_, service, ..] if *service != "CloudTrail" => false,
        [_, _] => true,
        [_, _, region, ..] if !walk.regions.is_empty() && !walk.regions.iter().any(|r| r == region) => false,
        [_, _, _] => true,
        [_, _, _, year, more @ ..] => {
            let Some(y) = number(year, 4) else { return true };
            let (first, last) = match more {
                [] => (jiff::civil::date(y, 1, 1), jiff::civil::date(y, 12, 31)),
                [month, more @ ..] => {
                    let Some(m) = number(month, 2).filter(|m| (1..=12).contains(m)) else { return true };
                    let first = jiff::civil::date(y, m as i8, 1);
                    match more {
                        [] => (first, first.last_of_month()),
                        [day, ..] => {
                            match number(day, 2).and_then(|d| jiff::civil::Date::new(y, m as i8, d as i8).ok()) {
                                Some(d) => (d, d),
                                None => return true,
                            }
                        }
                    }
                }
            };
            walk.window.may_hold_days(first, last)
        }
    }
}

/// Whether a listed object is a log file the walk wants.
pub(crate) fn wanted(key: &str, walk: &Walk) -> Result<(), super::Skip> {
    super::classify_key(key, None)?;
    if let Some((account, region)) = super::key_place(key) {
        if !walk.accounts.is_empty() && !walk.accounts.iter().any(|a| a == account) {
            return Err(super::Skip::OtherAccount);
        }
        if !walk.regions.is_empty() && !walk.regions.iter().any(|r| r == region) {
            return Err(super::Skip::OtherRegion);
        }
    }
    if !walk.window.may_hold(std::path::Path::new(key)) {
        return Err(super::Skip::OutsideWindow);
    }
    Ok(())
}

/// Replays objects on every core, a few per core at a time, each batch fetched concurrently
/// (on `runtime`) before it is scanned; reports in key order, as [`crate::replay::Replay::scan_files_until`].
pub fn scan_until(
    scan: &crate::replay::Replay,
    runtime: &tokio::runtime::Runtime,
    store: &S3Objects,
    objects: &[ObjectRef],
    progress: &crate::replay::Progress,
    each: impl FnMut(crate::replay::FileReport) -> std::ops::ControlFlow<()>,
) {
    let load = |chunk: &[ObjectRef]| {
        runtime.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for (i, object) in chunk.iter().enumerate() {
                let (store, object) = (store.clone(), object.clone());
                set.spawn(async move { (i, store.get(&object).await) });
            }
            let mut bodies: Vec<Option<Result<Vec<u8>, String>>> = (0..chunk.len()).map(|_| None).collect();
            while let Some(done) = set.join_next().await {
                match done {
                    Ok((i, body)) => bodies[i] = Some(body),
                    Err(e) => tracing::error!(error = %e, "an object fetch stopped"),
                }
            }
            bodies.into_iter().map(|b| b.unwrap_or_else(|| Err("the fetch stopped".into()))).collect::<Vec<_>>()
        })
    };
    let read = |object: &ObjectRef, body: Result<Vec<u8>, String>| {
        let path = std::path::PathBuf::from(format!("s3://{}/{}", object.bucket, object.key));
        match body {
            Ok(bytes) => scan.scan_object(&path, &bytes),
            Err(what) => crate::replay::FileReport {
                errors: vec![crate::cloudtrail::input::InputError::Io {
                    source: std::io::Error::other(what),
                    path: path.clone(),
                }],
                path,
                ..Default::default()
            },
        }
    };
    scan.scan_batches_until(objects, progress, load, read, each);
}
