//! `labcap lab up|run|down|check`: the three machines as namespaces, the assignment played and
//! graded, and the grading of captures made elsewhere.

use std::io::Write;
use std::path::PathBuf;

use super::Outcome;
use crate::grade::{self, Submission};
use crate::lab::{play, Lab};
use crate::report::escape::escape_text;
use crate::report::text::{Style, Tone};
use crate::report::{grade_text, text};
use crate::spec::Spec;

/// Arguments of `labcap lab`.
#[derive(clap::Args, Debug)]
pub struct LabArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: LabAction,
    /// Prefix of the namespace names (to run several labs side by side).
    #[arg(long, default_value = "", global = true)]
    pub prefix: String,
}

/// The lab's actions.
#[derive(clap::Subcommand, Debug)]
pub enum LabAction {
    /// Create mesin1/2/3 (172.16.16.101-103/24) on a bridge, each with DNS at 127.0.0.11.
    Up,
    /// Play tasks 1-4 while each machine captures on any, then grade the captures.
    Run {
        /// Where to write mesin1.pcapng, mesin2.pcapng, mesin3.pcapng.
        #[arg(long, default_value = "lab-captures")]
        out: PathBuf,
    },
    /// Grade the captures of mesin1, mesin2, mesin3 in DIR against Tugas 1 (the built-in spec
    /// tugas1; `labcap grade` takes any spec and a whole class).
    Check {
        /// The folder with the captures.
        dir: PathBuf,
    },
    /// Remove the namespaces and everything running in them.
    Down,
}

/// Runs a lab action.
pub fn run(args: LabArgs, style: Style) -> anyhow::Result<Outcome> {
    let lab = Lab::new(&args.prefix);
    // Written with `?`, not println!: a closed pipe (`| head`) ends the command quietly.
    let mut stdout = std::io::stdout();
    match args.action {
        LabAction::Up => {
            lab.up()?;
            writeln!(stdout, "lab up: mesin1 172.16.16.101, mesin2 172.16.16.102, mesin3 172.16.16.103 (DNS 127.0.0.11 in each)")?;
            writeln!(
                stdout,
                "  a shell on a machine: sudo ip netns exec {}mesin2 bash",
                escape_text(&lab.prefix)
            )?;
            Ok(Outcome::Pass)
        }
        LabAction::Down => {
            lab.down()?;
            writeln!(stdout, "lab down")?;
            Ok(Outcome::Pass)
        }
        LabAction::Run { out } => {
            // The lab plays on whether anyone reads its progress or not.
            let programs = play::play(&lab, &out, &mut |line| {
                let _ = writeln!(std::io::stdout(), "{line}");
            })?;
            let color = style.color;
            writeln!(stdout, "\nprograms:")?;
            write!(stdout, "{}", text::checks(&programs, color))?;
            let graded = report(&out, color)?;
            let passed = programs.iter().all(|c| c.passed) && graded;
            Ok(if passed { Outcome::Pass } else { Outcome::Fail })
        }
        LabAction::Check { dir } => Ok(if report(&dir, style.color)? {
            Outcome::Pass
        } else {
            Outcome::Fail
        }),
    }
}

/// Grades the captures in `dir` with the built-in Tugas 1 spec and prints the checks per
/// capture and task; true when all pass.
fn report(dir: &std::path::Path, color: bool) -> anyhow::Result<bool> {
    if !dir.is_dir() {
        anyhow::bail!(
            "{}: no such folder of captures",
            escape_text(&dir.display().to_string())
        );
    }
    let spec = Spec::load("tugas1")?;
    let report = grade::grade(&spec, &[Submission::from_dir(dir)], 2);
    let student = &report.students[0];
    let mut out = std::io::stdout();
    write!(out, "{}", grade_text::student_detail(student, color))?;
    let all = student.passed;
    writeln!(
        out,
        "\n{}",
        if all {
            text::paint(
                "every expectation of the assignment holds",
                Tone::Pass,
                color,
            )
        } else {
            text::paint(
                "some expectations failed (see FAIL above)",
                Tone::Fail,
                color,
            )
        }
    )?;
    Ok(all)
}
