//! `labcap grade --spec SPEC SUBMISSION... | --class DIR`: every submission graded against a
//! spec, printed as a class table (or the checks, JSON, CSV) and written as JUnit and as web
//! pages.

use crate::analysis::memory::MemCap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::Outcome;
use crate::grade::{self, ClassReport, EvidenceLimits, GradeOptions, Submission};
use crate::report::text::{self, Style, Tone};
use crate::report::{csv, grade_text, html, junit};
use crate::spec::Spec;

/// Arguments of `labcap grade`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  labcap grade --spec tugas1 --class submissions/\n  labcap grade --spec tugas2.toml ani/ budi/ --detail\n  labcap grade --spec tugas1 --class submissions/ --csv > grades.csv\n  labcap grade --spec tugas1 --class submissions/ --html report/\n\nExit status: 0 every task passed, 1 some task failed, 2 the spec or the command is wrong."
)]
pub struct GradeArgs {
    /// The spec: a built-in name (tugas1) or a spec file (see `labcap spec show tugas1`).
    #[arg(long, value_name = "FILE|NAME")]
    pub spec: String,
    /// Submission folders (a student each, named after the folder).
    #[arg(value_name = "SUBMISSION")]
    pub submissions: Vec<PathBuf>,
    /// A class folder: each subfolder is a student's submission.
    #[arg(long, value_name = "DIR")]
    pub class: Option<PathBuf>,
    /// Print every task's checks, student by student, after the table.
    #[arg(long)]
    pub detail: bool,
    /// Print one JSON document instead of text.
    #[arg(long, conflicts_with_all = ["csv", "detail"])]
    pub json: bool,
    /// Print CSV (a row per student, a column per task) instead of text.
    #[arg(long, conflicts_with = "detail")]
    pub csv: bool,
    /// Also write JUnit XML (a test case per task) to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write the report as web pages into DIR (created if needed): DIR/index.html for
    /// the class, a page per student with each task's checks and sequence diagrams.
    #[arg(long, value_name = "DIR")]
    pub html: Option<PathBuf>,
    /// Captures analysed at once (default: the number of cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// The memory cap of each capture's analysis (64M by default; see `replay --memcap`):
    /// a check on a connection or query evicted under it cannot pass.
    #[arg(long, value_name = "SIZE", value_parser = MemCap::parse, default_value = "64M")]
    pub memcap: MemCap,
}

/// Grades and prints.
pub fn run(args: GradeArgs, style: Style) -> anyhow::Result<Outcome> {
    let spec = Spec::load(&args.spec)?;
    let mut submissions: Vec<Submission> = Vec::new();
    if let Some(class) = &args.class {
        submissions.extend(Submission::class(class)?);
    }
    for dir in &args.submissions {
        if !dir.is_dir() {
            anyhow::bail!(
                "{}: not a folder (a submission is a folder of captures)",
                dir.display()
            );
        }
        submissions.push(Submission::from_dir(dir));
    }
    if submissions.is_empty() {
        anyhow::bail!("nothing to grade: give submission folders, or --class DIR");
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let options = GradeOptions {
        // The pages show what each task looked at: keep it only for them.
        evidence: args.html.is_some().then(EvidenceLimits::default),
        memcap: args.memcap,
    };
    let report = grade::grade_with(&spec, &submissions, jobs, options);
    if let Some(path) = &args.junit {
        std::fs::write(path, junit::grades(&report))
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    }
    if let Some(dir) = &args.html {
        write_html(dir, &report)?;
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else if args.csv {
        write!(out, "{}", csv::grades(&report))?;
    } else {
        write_text(&mut out, &report, args.detail, style)?;
    }
    out.flush()?;
    Ok(if report.all_passed() {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}

/// Writes the web pages of `report` into `dir`.
fn write_html(dir: &Path, report: &ClassReport) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
    let pages = html::pages(report);
    for (name, page) in &pages {
        let path = dir.join(name);
        std::fs::write(&path, page)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    }
    eprintln!(
        "labcap: {} written, with {}",
        crate::report::escape::escape_text(&dir.join(html::INDEX).display().to_string()),
        crate::checks::plural(pages.len() - 1, "student page")
    );
    Ok(())
}

fn write_text(
    out: &mut impl Write,
    report: &ClassReport,
    detail: bool,
    style: Style,
) -> std::io::Result<()> {
    // A terminal's width; 80 columns in a pipe or a file.
    let width = style.width.unwrap_or(grade_text::WIDTH);
    writeln!(
        out,
        "{}\nspec {}, {} graded\n",
        report.spec.title,
        report.spec.source,
        crate::checks::plural(report.students.len(), "submission")
    )?;
    write!(
        out,
        "{}",
        grade_text::class_table(report, width, style.color)
    )?;
    for s in &report.students {
        if !s.errors.is_empty() && !detail {
            let line = format!("{}: {}", s.student, s.errors.join("; "));
            // A capture missing or unreadable: a warning.
            for line in grade_text::wrap(&line, width, "    ").lines() {
                writeln!(out, "{}", text::paint(line, Tone::Warn, style.color))?;
            }
        }
    }
    if detail {
        for s in &report.students {
            writeln!(
                out,
                "\n== {} ({}/{})",
                s.student, s.points, report.points_possible
            )?;
            write!(out, "{}", grade_text::student_detail(s, style.color))?;
        }
    }
    Ok(())
}
