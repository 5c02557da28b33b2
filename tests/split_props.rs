//! The SIMD record splitter agrees with serde_json on every log file serde_json accepts (the
//! records, and each record's top-level `eventName`), and never panics on anything else.

use proptest::prelude::*;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;
use trailwarden::cloudtrail::split::{object_entries, split_named, split_records};

#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(borrow, rename = "Records")]
    records: Vec<&'a RawValue>,
}

/// What serde_json says the records are, when the text is a log file of objects.
fn serde_split(text: &str) -> Option<Vec<&str>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let doc = Doc::deserialize(&mut de).ok()?;
    de.end().ok()?;
    let keys: Value = serde_json::from_str(text).ok()?;
    if keys.as_object()?.len() != 1 {
        return None;
    }
    doc.records.iter().all(|r| r.get().starts_with('{')).then(|| doc.records.iter().map(|r| r.get()).collect())
}

fn tricky_string() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => Just('"'), 4 => Just('\\'), 2 => Just('{'), 2 => Just('}'), 2 => Just('['), 2 => Just(']'),
            1 => Just(','), 1 => Just('\n'), 1 => Just('é'), 1 => Just('😀'), 8 => Just('a'),
        ],
        0..150,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

/// Keys, now and then `eventName` (at any depth, and so before or after the record's own).
fn key() -> impl Strategy<Value = String> {
    prop_oneof![6 => tricky_string(), 1 => Just("eventName".to_string())]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i32>().prop_map(Value::from),
        3 => tricky_string().prop_map(Value::String),
        1 => Just(Value::from("eventName")),
        1 => Just(Value::from("StopLogging")),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn record() -> impl Strategy<Value = Value> {
    prop::collection::vec((key(), value()), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect()))
}

/// A record's entries in order, key and value text, as serde_json reads them.
fn serde_entries(text: &str) -> Vec<(String, &str)> {
    struct Entries;
    impl<'de> serde::de::Visitor<'de> for Entries {
        type Value = Vec<(String, &'de str)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                out.push((k, v.get()));
            }
            Ok(out)
        }
    }
    serde_json::Deserializer::from_str(text).deserialize_map(Entries).unwrap()
}

/// What the structural pass gives for a record's text, collected.
fn our_entries(text: &str) -> Option<Vec<(String, &str)>> {
    let mut out = Vec::new();
    object_entries(text, |k, v| out.push((k.to_string(), v)))?;
    Some(out)
}

/// The record's top-level `eventName` when it is a string written without escapes: what the
/// splitter must find (anything else it leaves to a parse).
fn plain_name(record: &Value) -> Option<&str> {
    let name = record.get("eventName")?.as_str()?;
    (serde_json::to_string(name).unwrap() == format!("\"{name}\"")).then_some(name)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn agrees_with_serde_json(records in prop::collection::vec(record(), 0..8), pretty in any::<bool>()) {
        let doc = serde_json::json!({ "Records": records });
        let text = if pretty { serde_json::to_string_pretty(&doc).unwrap() } else { serde_json::to_string(&doc).unwrap() };
        let ours = split_records(&text);
        let theirs = serde_split(&text);
        prop_assert_eq!(&ours, &theirs);
        prop_assert!(ours.is_some());
        let named = split_named(&text).unwrap();
        for (logged, record) in named.iter().zip(&records) {
            let text = logged.text().unwrap();
            prop_assert_eq!(logged.name, plain_name(record), "{}", text);
            // The entries without a parse: serde_json's, or none at all when a key is escaped.
            let theirs = serde_entries(text);
            let escaped = theirs.iter().any(|(k, _)| serde_json::to_string(k).unwrap() != format!("\"{k}\""));
            prop_assert_eq!(our_entries(text), (!escaped).then_some(theirs), "{}", text);
        }
    }

    #[test]
    fn damaged_files_never_panic_and_never_disagree(
        records in prop::collection::vec(record(), 1..5),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        byte in prop_oneof![Just(b'"'), Just(b'\\'), Just(b'{'), Just(b'}'), Just(b']'), Just(b','), Just(b' ')],
    ) {
        let text = serde_json::to_string(&serde_json::json!({ "Records": records })).unwrap();
        let mut bytes = text.into_bytes();
        let at = flip.index(bytes.len());
        if bytes[at].is_ascii() {
            bytes[at] = byte;
        }
        bytes.truncate(cut.index(bytes.len() + 1).max(1));
        let Ok(damaged) = String::from_utf8(bytes) else { return Ok(()) };
        if let Some(ours) = split_records(&damaged) {
            for r in &ours {
                prop_assert!(r.starts_with('{') && r.ends_with('}'), "record {:?}", r);
                // Never panics; on a record serde_json reads, gives its entries or nothing.
                let entries = our_entries(r);
                if serde_json::from_str::<serde_json::Map<String, Value>>(r).is_ok()
                    && let Some(entries) = entries
                {
                    prop_assert_eq!(entries, serde_entries(r));
                }
            }
            if let Some(theirs) = serde_split(&damaged) {
                prop_assert_eq!(ours, theirs);
            }
        }
    }
}
