//! The `labcap` binary: parse arguments, run, map the outcome to an exit code
//! (0 pass, 1 a check failed, 2 an error).

use std::process::ExitCode;

use labcap::cli::{run, Outcome};

/// mimalloc, not glibc's malloc: the analyzers allocate and free a connection, a transaction or
/// a parser's buffer per flow, across threads, and glibc spent a tenth of the analysis in
/// malloc and free (the lab benchmark capture: 140 -> 120 ms).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its index in v3's `mi_option_t`, mimalloc.h of the
/// pinned libmimalloc-sys 0.1.49): how long freed memory is kept before it is given back to the
/// system, in milliseconds.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    // Freed memory goes back to the system after 2 ms instead of mimalloc's default second:
    // what eviction frees under the memory cap is not held on to (mix benchmark capture: RSS
    // 66 -> 52 MiB, same speed). Transparent huge pages are off for the process, whatever the
    // system's setting (mimalloc's `no_thp` feature only stops it asking for them): 2 MiB pages
    // partly used raised RSS to 80-120 MiB.
    // SAFETY: sets an allocator option (mimalloc reads it when it next purges), and a flag of
    // this process (prctl with integer arguments only).
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 2);
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    match run(labcap::cli::parse()) {
        Ok(Outcome::Pass) => ExitCode::from(0),
        Ok(Outcome::Fail) => ExitCode::from(1),
        Err(error) => {
            if labcap::cli::is_broken_pipe(&error) {
                return ExitCode::from(0);
            }
            // Escaped as a last guard: errors quote file names, filters and capture bytes.
            let text = labcap::report::escape::escape_lines(&format!("{error:#}"));
            eprintln!("labcap: {text}");
            ExitCode::from(2)
        }
    }
}
