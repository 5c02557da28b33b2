//! The floor under replay: decompress every file of an archive on every core with the same
//! reader and decompressor as replay (libdeflate, whole files), and nothing else. `benches/scale.sh` times it
//! beside replay over the same archive.
//!
//! cargo run --release --no-default-features --example gunzip_only -- PATH...

use rayon::prelude::*;
use std::cell::RefCell;

fn main() -> std::process::ExitCode {
    let paths: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let (files, errors) = trailwarden::cloudtrail::input::collect_files(&paths);
    let bytes: u64 = files
        .par_iter()
        .map(|path| {
            thread_local!(static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) });
            BUF.with_borrow_mut(|buf| {
                match trailwarden::cloudtrail::input::read_file_into(
                    path,
                    buf,
                    trailwarden::cloudtrail::input::MAX_FILE_BYTES,
                ) {
                    Ok(()) => buf.len() as u64,
                    Err(e) => {
                        eprintln!("error: {e}");
                        0
                    }
                }
            })
        })
        .sum();
    eprintln!("{} files, {bytes} bytes decompressed", files.len());
    match errors.is_empty() {
        true => std::process::ExitCode::SUCCESS,
        false => std::process::ExitCode::from(2),
    }
}
