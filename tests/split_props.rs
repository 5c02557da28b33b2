//! The SIMD record splitter agrees with serde_json on every log file serde_json accepts, and
//! never panics on anything else.

use proptest::prelude::*;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use trailwarden::cloudtrail::split::split_records;

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

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        tricky_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((tricky_string(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn record() -> impl Strategy<Value = Value> {
    prop::collection::vec((tricky_string(), value()), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect()))
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
            }
            if let Some(theirs) = serde_split(&damaged) {
                prop_assert_eq!(ours, theirs);
            }
        }
    }
}
