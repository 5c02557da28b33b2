//! The `trailwarden` command: `replay`, `rules`, `pattern`, `completions`, `man`. Wiring only: the
//! command line is `trailwarden::cli`.

// Replay allocates per alert on every core; mimalloc's per-thread heaps cost a fraction of glibc's
// malloc there (README, Performance). The library itself leaves the allocator to its caller.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    trailwarden::cli::main()
}
