//! Replays CloudTrail files through every rule, offline: for tuning rules and hunting in old logs.
//! The same command as `trailwarden replay` (`trailwarden::cli`).
//!
//! cargo run --release --example replay -- [OPTIONS] PATH...

// Replay allocates per alert on every core; mimalloc's per-thread heaps cost a fraction of glibc's
// malloc there (README, Performance). The library itself leaves the allocator to its caller.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    trailwarden::cli::replay_example_main()
}
