//! bytes → events → details → rendered email; the checks are in `../pipeline_check.rs`.
#![no_main]

#[path = "../pipeline_check.rs"]
mod pipeline_check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| pipeline_check::run(data));
