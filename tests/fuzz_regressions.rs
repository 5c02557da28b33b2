//! The fuzz target's checks (`fuzz/pipeline_check.rs`) over its committed seeds and over every
//! input in `tests/data/fuzz/`: the crashes and near-misses fuzzing found or was built to find
//! (bombs, deep nesting, oversized records, broken JSON lines, odd envelopes), kept as
//! regression tests.

#[path = "../fuzz/pipeline_check.rs"]
mod pipeline_check;

use std::path::Path;

fn inputs(dir: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn the_regression_inputs_pass_the_fuzz_checks() {
    let files = inputs("tests/data/fuzz");
    assert!(files.len() >= 5);
    for path in files {
        let data = std::fs::read(&path).unwrap();
        if let Err(panic) = std::panic::catch_unwind(|| pipeline_check::run(&data)) {
            panic!("{}: {:?}", path.display(), panic.downcast_ref::<String>());
        }
    }
}

#[test]
fn the_fuzz_seeds_pass_the_fuzz_checks() {
    let seeds: Vec<_> = inputs("fuzz/corpus/pipeline")
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("seed-")))
        .collect();
    assert!(seeds.len() > 100, "{} seeds", seeds.len());
    for path in seeds {
        pipeline_check::run(&std::fs::read(&path).unwrap());
    }
}
