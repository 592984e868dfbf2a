//! The `labcap` binary: parse arguments, run, map the outcome to an exit code
//! (0 pass, 1 a check failed, 2 an error).

use std::process::ExitCode;

use labcap::cli::{run, Outcome};

fn main() -> ExitCode {
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
