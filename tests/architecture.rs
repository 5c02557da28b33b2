//! The shape ARCHITECTURE.md promises, checked from the source text: no import cycle between
//! the files of `src/`, `detail.rs` (the alert record) depends on nothing else in the crate,
//! and rules import only the prelude.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// `src/a/b.rs` or `src/a/b/mod.rs` → `a::b`; `src/lib.rs` → ``.
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(Path::new(ROOT).join("src")).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts.join("::")
}

/// Every `crate::x::y…` path in the text (doc comments and comments excluded), as written.
fn crate_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let tail = &rest[i + "crate::".len()..];
            let end = tail.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(tail.len());
            out.push(tail[..end].trim_end_matches(':').to_string());
            rest = &tail[end..];
        }
    }
    out
}

fn src_files() -> Vec<PathBuf> {
    walkdir::WalkDir::new(Path::new(ROOT).join("src"))
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs") && !p.components().any(|c| c.as_os_str() == "bin"))
        .collect()
}

/// The file-level dependency graph: module → the modules (files) it names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let files = src_files();
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    let mut graph = BTreeMap::new();
    for f in &files {
        let me = module_of(f);
        let text = std::fs::read_to_string(f).unwrap();
        // Unit tests inside a file may reach anywhere; only the code that ships counts.
        let text = text.split("#[cfg(test)]").next().unwrap_or(&text);
        let mut deps = BTreeSet::new();
        for path in crate_paths(text) {
            // The longest prefix of the path that is a file's module.
            let segs: Vec<&str> = path.split("::").collect();
            if let Some(m) = (1..=segs.len()).rev().map(|n| segs[..n].join("::")).find(|m| modules.contains(m))
                && m != me
                && !me.is_empty()
            {
                deps.insert(m);
            }
        }
        graph.insert(me, deps);
    }
    graph
}

/// A cycle in the graph, as the list of modules around it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == m) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        stack.push(m.to_string());
        for d in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(d, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|m| visit(m, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_import_cycle_between_files() {
    let graph = graph();
    assert!(graph.len() > 20, "{graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_alert_record_is_data_only() {
    let graph = graph();
    assert_eq!(graph["detail"], BTreeSet::new(), "detail.rs must not depend on the rest of the crate");
}

#[test]
fn the_checker_reads_paths_and_finds_cycles() {
    assert_eq!(crate_paths("use crate::cloudtrail::event::{Event, FieldError};"), ["cloudtrail::event"]);
    assert_eq!(crate_paths("x // crate::engine in a comment"), Vec::<String>::new());
    // The shape this project had before: detail -> rule -> detail.
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let mut g = BTreeMap::new();
    g.insert("detail".to_string(), set(&["rule", "event"]));
    g.insert("rule".to_string(), set(&["detail"]));
    g.insert("event".to_string(), set(&[]));
    assert_eq!(find_cycle(&g), Some(vec!["detail".into(), "rule".into(), "detail".into()]));
    g.insert("rule".to_string(), set(&["event"]));
    assert_eq!(find_cycle(&g), None);
}

#[test]
fn rules_import_only_the_prelude() {
    for e in walkdir::WalkDir::new(Path::new(ROOT).join("rules")).into_iter().filter_map(Result::ok) {
        if e.path().extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        for path in crate_paths(&text) {
            assert!(
                path == "prelude" || path.is_empty(),
                "{}: crate::{path} (rules use only the prelude)",
                e.path().display()
            );
        }
    }
}
