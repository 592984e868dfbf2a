//! The `labcap` binary: parse arguments, run, map the outcome to an exit code
//! (0 pass, 1 a check failed, 2 an error).

use std::process::ExitCode;

use labcap::cli::{run, Outcome};

fn main() -> ExitCode {
    // glibc raises its mmap threshold each time a large block is freed, after which the
    // analyzers' large tables come from the heap, which then keeps what eviction frees (RSS
    // 95 MiB under a 64 MiB cap): a fixed threshold gives large blocks back when freed.
    // SAFETY: mallopt only sets an allocator parameter, before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 * 1024);
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
