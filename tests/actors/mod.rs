//! Fixtures with another actor, for the tests of who acted (`noise.rs`, `people_only.rs`).

/// A fixture under testdata/events, by its path there.
pub fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!("{}/testdata/events/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The security-group fixture every actor test varies.
pub const SG: &str = "ec2-sg-ingress-open-to-world/fires_all_protocols.json";

/// `text` (a bare record) with its `userIdentity` replaced.
pub fn with_identity(text: &str, identity: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
    v["userIdentity"] = serde_json::from_str(identity).unwrap();
    v.to_string()
}
