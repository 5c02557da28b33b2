//! CloudTrail log objects as an input: which objects a queue message names, and which keys are
//! log files.
//!
//! An organisation trail delivers every account's log files to one bucket. The bucket tells of
//! each new object through S3 event notifications, S3's EventBridge "Object Created" events or
//! CloudTrail's own SNS notification; any of them may reach the function's SQS queue wrapped in
//! an SNS envelope. [`read_notice`] reads every one of those shapes into the objects to read and
//! the ones skipped, with the reason: digest files, other services' keys, S3's test event. The
//! objects themselves are read by the ordinary readers (`cloudtrail::input`, `cloudtrail::stream`).

use serde::Deserialize;
use serde_json::Value;

#[cfg(feature = "aws")]
pub mod s3;

/// Where log objects are read from: S3's GetObject in the function ([`s3::S3Objects`]).
pub trait ObjectStore: Send + Sync {
    /// The object's bytes, as stored (gzip for a log file), or why they could not be read.
    fn get(&self, object: &ObjectRef) -> impl Future<Output = Result<Vec<u8>, String>> + Send;
}

/// One object a notice names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub bucket: String,
    /// The key as S3 stores it (URL-decoded where the notice encoded it).
    pub key: String,
    /// Its size, when the notice gives it.
    pub size: Option<u64>,
}

/// Why an object or a whole message is not read. None of them is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// S3's `s3:TestEvent`, sent when a notification is configured.
    TestEvent,
    /// A CloudTrail digest file (`CloudTrail-Digest/`): hashes, no events.
    Digest,
    /// CloudTrail Insights events (`CloudTrail-Insight/`): no rule reads them.
    Insight,
    /// A key under `AWSLogs/` that is not a CloudTrail log file (Config, ELB, VPC flow logs...),
    /// or a key not ending in `.json.gz` / `.json`.
    NotCloudTrail,
    /// An event that does not create an object (a deletion, a restore...).
    NotCreated,
    /// Outside the configured prefix.
    OutsidePrefix,
    /// A log file of an account not among those configured.
    OtherAccount,
    /// A log file of a region not among those asked for.
    OtherRegion,
    /// A log file delivered on a day too far from the time window to hold its events.
    OutsideWindow,
}

impl Skip {
    pub fn reason(self) -> &'static str {
        match self {
            Skip::TestEvent => "S3's test event",
            Skip::Digest => "a CloudTrail digest file (no events)",
            Skip::Insight => "CloudTrail Insights events (no rule reads them)",
            Skip::NotCloudTrail => "not a CloudTrail log file",
            Skip::NotCreated => "not an object creation",
            Skip::OutsidePrefix => "outside the configured prefix",
            Skip::OtherAccount => "an account not among those configured",
            Skip::OtherRegion => "a region not among those asked for",
            Skip::OutsideWindow => "delivered too far from the time window",
        }
    }
}

/// What one queue message holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Notice {
    pub objects: Vec<ObjectRef>,
    /// What was skipped (a key, or the message for a test event) and why.
    pub skipped: Vec<(String, Skip)>,
}

impl Notice {
    /// Keeps the log files of `accounts` only (all of them when `accounts` is empty), by the
    /// account their keys name.
    pub fn only_accounts(mut self, accounts: &[String]) -> Self {
        if accounts.is_empty() {
            return self;
        }
        let (kept, other): (Vec<ObjectRef>, Vec<ObjectRef>) = std::mem::take(&mut self.objects)
            .into_iter()
            .partition(|o| key_place(&o.key).is_some_and(|(account, _)| accounts.iter().any(|a| a == account)));
        self.objects = kept;
        self.skipped.extend(other.into_iter().map(|o| (o.key, Skip::OtherAccount)));
        self
    }
}

/// A message that is none of the shapes a notice comes in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an S3 or CloudTrail object notification: {0}")]
pub struct NoticeError(pub String);

/// Reads a queue message's body: an S3 event notification, an EventBridge "Object Created"
/// event, or CloudTrail's SNS notification (`{"s3Bucket", "s3ObjectKey": [...]}`), each bare or
/// in an SNS envelope. Objects under `prefix` (if any) that are CloudTrail log files are kept.
pub fn read_notice(body: &str, prefix: Option<&str>) -> Result<Notice, NoticeError> {
    let value: Value = serde_json::from_str(body).map_err(|e| NoticeError(format!("invalid JSON: {e}")))?;
    read_value(&value, prefix, 0)
}

fn read_value(value: &Value, prefix: Option<&str>, depth: u8) -> Result<Notice, NoticeError> {
    let mut notice = Notice::default();
    let keep = |notice: &mut Notice, bucket: &str, key: String, size: Option<u64>| match classify_key(&key, prefix) {
        Ok(()) => notice.objects.push(ObjectRef { bucket: bucket.to_string(), key, size }),
        Err(skip) => notice.skipped.push((key, skip)),
    };
    // SNS envelope: the message is a JSON string.
    if value.get("Type").and_then(Value::as_str) == Some("Notification")
        && let Some(message) = value.get("Message").and_then(Value::as_str)
    {
        if depth > 0 {
            return Err(NoticeError("an SNS envelope inside another".into()));
        }
        let inner: Value =
            serde_json::from_str(message).map_err(|e| NoticeError(format!("SNS message: invalid JSON: {e}")))?;
        return read_value(&inner, prefix, depth + 1);
    }
    // S3's test event.
    if value.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        notice.skipped.push(("s3:TestEvent".into(), Skip::TestEvent));
        return Ok(notice);
    }
    // CloudTrail's own notification.
    if let (Some(bucket), Some(keys)) = (value.get("s3Bucket").and_then(Value::as_str), value.get("s3ObjectKey")) {
        let keys = keys.as_array().ok_or_else(|| NoticeError("`s3ObjectKey` is not a list".into()))?;
        for key in keys {
            let key = key.as_str().ok_or_else(|| NoticeError("an `s3ObjectKey` entry is not a string".into()))?;
            keep(&mut notice, bucket, key.to_string(), None);
        }
        return Ok(notice);
    }
    // S3's EventBridge event (delivered to SQS by a rule).
    if value.get("source").and_then(Value::as_str) == Some("aws.s3") {
        let detail_type = value.get("detail-type").and_then(Value::as_str).unwrap_or_default();
        let detail: EbDetail = serde_json::from_value(value.get("detail").cloned().unwrap_or_default())
            .map_err(|e| NoticeError(format!("`detail`: {e}")))?;
        match detail_type {
            // EventBridge gives the key as stored, not URL-encoded.
            "Object Created" => keep(&mut notice, &detail.bucket.name, detail.object.key, detail.object.size),
            _ => notice.skipped.push((detail.object.key, Skip::NotCreated)),
        }
        return Ok(notice);
    }
    // S3 event notifications.
    if let Some(records) = value.get("Records").and_then(Value::as_array) {
        for (i, record) in records.iter().enumerate() {
            let record: S3Record =
                serde_json::from_value(record.clone()).map_err(|e| NoticeError(format!("`Records[{i}]`: {e}")))?;
            if record.event_source != "aws:s3" {
                return Err(NoticeError(format!("`Records[{i}]` is from `{}`, not S3", record.event_source)));
            }
            let key = url_decode(&record.s3.object.key)
                .ok_or_else(|| NoticeError(format!("`Records[{i}].s3.object.key` is not URL-encoded text")))?;
            match record.event_name.starts_with("ObjectCreated:") {
                true => keep(&mut notice, &record.s3.bucket.name, key, record.s3.object.size),
                false => notice.skipped.push((key, Skip::NotCreated)),
            }
        }
        return Ok(notice);
    }
    Err(NoticeError("no `Records`, `s3ObjectKey`, S3 EventBridge event or SNS envelope".into()))
}

#[derive(Deserialize)]
struct Bucket {
    name: String,
}

#[derive(Deserialize)]
struct Object {
    key: String,
    size: Option<u64>,
}

#[derive(Deserialize)]
struct EbDetail {
    bucket: Bucket,
    object: Object,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct S3Record {
    event_source: String,
    event_name: String,
    s3: S3Entity,
}

#[derive(Deserialize)]
struct S3Entity {
    bucket: Bucket,
    object: Object,
}

/// Whether `key` is a CloudTrail log file to read (under `prefix`, if one is set).
///
/// CloudTrail writes `[prefix/]AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/name.json.gz`;
/// digests go under `CloudTrail-Digest/`, Insights events under `CloudTrail-Insight/`.
pub fn classify_key(key: &str, prefix: Option<&str>) -> Result<(), Skip> {
    if let Some(prefix) = prefix.filter(|p| !p.is_empty())
        && !key.starts_with(prefix)
    {
        return Err(Skip::OutsidePrefix);
    }
    let parts: Vec<&str> = key.split('/').collect();
    if parts.contains(&"CloudTrail-Digest") {
        return Err(Skip::Digest);
    }
    if parts.contains(&"CloudTrail-Insight") {
        return Err(Skip::Insight);
    }
    let logs = parts.iter().position(|p| *p == "AWSLogs");
    let trail = parts.iter().position(|p| *p == "CloudTrail");
    match (logs, trail) {
        (Some(l), Some(t)) if l < t && (key.ends_with(".json.gz") || key.ends_with(".json")) => Ok(()),
        _ => Err(Skip::NotCloudTrail),
    }
}

/// The account and region a log file's key names
/// (`AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/...`), when it follows CloudTrail's layout.
pub fn key_place(key: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = key.split('/').collect();
    let t = parts.iter().position(|p| *p == "CloudTrail")?;
    let account = *parts.get(t.checked_sub(1)?)?;
    let region = *parts.get(t + 1)?;
    crate::analysis::names::is_account_id(account).then_some((account, region))
}

/// S3 event notifications give keys form-encoded: `+` for a space, `%XX` for other bytes.
fn url_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = [bytes.next()?, bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            b => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AWSLogs/o-abc123/111122223333/CloudTrail/eu-west-1/2026/01/03/111122223333_CloudTrail_eu-west-1_20260103T0700Z_5fc6.json.gz";

    fn s3_notification(key: &str, event: &str) -> String {
        serde_json::json!({"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-west-1",
            "eventTime": "2026-01-03T07:05:00.000Z", "eventName": event,
            "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": "org-trail", "arn": "arn:aws:s3:::org-trail"},
                   "object": {"key": key, "size": 1234, "eTag": "x", "sequencer": "0A"}}
        }]})
        .to_string()
    }

    fn sns(message: &str) -> String {
        serde_json::json!({"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:eu-west-1:111122223333:t",
                           "Message": message, "Timestamp": "2026-01-03T07:05:00.000Z"})
        .to_string()
    }

    fn object(key: &str, size: Option<u64>) -> ObjectRef {
        ObjectRef { bucket: "org-trail".into(), key: key.into(), size }
    }

    #[test]
    fn every_shape_names_the_object_bare_or_in_an_sns_envelope() {
        let eventbridge = serde_json::json!({
            "version": "0", "detail-type": "Object Created", "source": "aws.s3", "account": "111122223333",
            "detail": {"version": "0", "bucket": {"name": "org-trail"}, "object": {"key": KEY, "size": 1234},
                       "reason": "PutObject"}})
        .to_string();
        let cloudtrail = serde_json::json!({"s3Bucket": "org-trail", "s3ObjectKey": [KEY]}).to_string();
        for (body, size) in
            [(s3_notification(KEY, "ObjectCreated:Put"), Some(1234)), (eventbridge, Some(1234)), (cloudtrail, None)]
        {
            for body in [body.clone(), sns(&body)] {
                let notice = read_notice(&body, None).unwrap();
                assert_eq!(notice.objects, vec![object(KEY, size)], "{body}");
                assert!(notice.skipped.is_empty());
            }
        }
    }

    #[test]
    fn skips_are_named_and_are_not_errors() {
        let digest = KEY.replace("/CloudTrail/", "/CloudTrail-Digest/").replace(".json.gz", "_Digest.json.gz");
        let config = KEY.replace("/CloudTrail/", "/Config/");
        let insight = KEY.replace("/CloudTrail/", "/CloudTrail-Insight/");
        let test =
            r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-01-03T07:05:00.000Z","Bucket":"org-trail"}"#;
        let cases = [
            (s3_notification(&digest, "ObjectCreated:Put"), Skip::Digest),
            (s3_notification(&config, "ObjectCreated:Put"), Skip::NotCloudTrail),
            (s3_notification(&insight, "ObjectCreated:Put"), Skip::Insight),
            (s3_notification(KEY, "ObjectRemoved:Delete"), Skip::NotCreated),
            (test.to_string(), Skip::TestEvent),
            (sns(test), Skip::TestEvent),
        ];
        for (body, skip) in cases {
            let notice = read_notice(&body, None).unwrap();
            assert!(notice.objects.is_empty(), "{body}");
            assert_eq!(notice.skipped.iter().map(|s| s.1).collect::<Vec<_>>(), vec![skip], "{body}");
        }
        let notice = read_notice(&s3_notification(KEY, "ObjectCreated:Put"), None).unwrap();
        assert_eq!(notice.only_accounts(&["444455556666".into()]).skipped, vec![(KEY.to_string(), Skip::OtherAccount)]);
        let notice = read_notice(&s3_notification(KEY, "ObjectCreated:Put"), None).unwrap();
        assert_eq!(notice.only_accounts(&["111122223333".into()]).objects.len(), 1);
        let notice = read_notice(&s3_notification(KEY, "ObjectCreated:Put"), Some("other/")).unwrap();
        assert_eq!(notice.skipped, vec![(KEY.to_string(), Skip::OutsidePrefix)]);
        let prefixed = format!("trails/{KEY}");
        let notice = read_notice(&s3_notification(&prefixed, "ObjectCreated:Put"), Some("trails/")).unwrap();
        assert_eq!(notice.objects, vec![object(&prefixed, Some(1234))]);
    }

    #[test]
    fn s3_keys_are_url_decoded_and_eventbridge_keys_taken_as_they_are() {
        let notice = read_notice(&s3_notification("AWSLogs/1/CloudTrail/a+b%2Bc%3A.json", "ObjectCreated:Put"), None);
        assert_eq!(notice.unwrap().objects[0].key, "AWSLogs/1/CloudTrail/a b+c:.json");
        let bad = read_notice(&s3_notification("AWSLogs/%zz", "ObjectCreated:Put"), None).unwrap_err();
        assert!(bad.to_string().contains("not URL-encoded"), "{bad}");
    }

    #[test]
    fn what_is_not_a_notice_is_an_error_saying_what() {
        for (body, says) in [
            ("{", "invalid JSON"),
            (r#"{"detail-type":"AWS API Call via CloudTrail"}"#, "no `Records`"),
            (r#"{"s3Bucket":"b","s3ObjectKey":"k"}"#, "not a list"),
            (
                r#"{"Records":[{"eventSource":"aws:sqs","eventName":"x","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}"#,
                "not S3",
            ),
            (r#"{"Type":"Notification","Message":"nope"}"#, "SNS message"),
        ] {
            let e = read_notice(body, None).unwrap_err().to_string();
            assert!(e.contains(says), "{body}: {e}");
        }
    }

    #[test]
    fn a_key_names_its_account_and_region() {
        assert_eq!(key_place(KEY), Some(("111122223333", "eu-west-1")));
        assert_eq!(
            key_place("AWSLogs/111122223333/CloudTrail/us-east-1/2026/x.json.gz"),
            Some(("111122223333", "us-east-1"))
        );
        assert_eq!(key_place("AWSLogs/CloudTrail/us-east-1/x.json.gz"), None);
    }
}
