//! `labcap replay FILE...`: each file through the pipeline, then its report and checks.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use super::output::{CaptureReport, ReportArgs};
use super::{parse_filter, Outcome};
use crate::pipeline::{self, Analysis, Pipeline, PipelineOptions};
use crate::report::escape::sanitize;
use crate::source::{FileSource, SourceError};

/// Arguments of `labcap replay`.
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// Capture files (pcap or pcapng).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Wireshark display filter, e.g. 'tcp.port==10000' or 'udp.port==53'.
    #[arg(short = 'Y', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,
    /// Report and expectations.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Replays every file; a file that cannot be read is reported (its checks are not evaluated:
/// nothing passes on a capture that was not read) and makes the exit code 2 after the others
/// were replayed.
pub fn run(args: ReplayArgs) -> anyhow::Result<Outcome> {
    let filter = args.filter.as_deref().map(parse_filter).transpose()?;
    let report = &args.report;
    let expectations = report.expect.expectations();
    let options = report.pipeline_options(filter, &expectations);
    let mut printer = report.printer(args.files.len(), std::io::stdout().is_terminal());
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut outcome = Outcome::Pass;
    let mut errors = Vec::new();
    printer.begin(&mut out)?;
    for path in &args.files {
        let name = sanitize(&path.display().to_string());
        if args.files.len() > 1 && !report.json {
            writeln!(out, "== {name}")?;
        }
        let (analysis, read) = if options.list {
            list_and_analyse(path, &options, &mut out)?
        } else {
            // Nothing to print per packet: TCP analysis runs on a second core.
            let (mut analyses, read) = pipeline::analyse_file(path, std::slice::from_ref(&options));
            (analyses.pop().unwrap_or_default(), read)
        };
        let error = read.err().map(|e| e.to_string());
        let checks = match &error {
            None => expectations.evaluate(&analysis),
            Some(_) => Vec::new(),
        };
        if checks.iter().any(|c| !c.passed) {
            outcome = Outcome::Fail;
        }
        // A file that could not be opened has no report, only its error.
        let opened = analysis.stats.packets > 0 || error.is_none();
        if opened || report.json {
            printer.capture(
                &mut out,
                &CaptureReport {
                    name: &name,
                    analysis: &analysis,
                    checks: &checks,
                    error: error.as_deref(),
                },
            )?;
        }
        if let Some(e) = error {
            errors.push(e);
        }
    }
    printer.end(&mut out)?;
    out.flush()?;
    match errors.len() {
        0 => Ok(outcome),
        _ => Err(anyhow::anyhow!("{}", errors.join("\nlabcap: "))),
    }
}

/// Replays one file frame by frame, printing each matched packet's line as it goes.
fn list_and_analyse(
    path: &Path,
    options: &PipelineOptions,
    out: &mut impl Write,
) -> anyhow::Result<(Analysis, Result<(), SourceError>)> {
    let mut pipeline = Pipeline::new(options.clone());
    let mut write_error = None;
    let read = FileSource::open(path).and_then(|mut source| {
        source.for_each_frame(&mut |frame| {
            if let Some(line) = pipeline.push(&frame) {
                if let Err(e) = writeln!(out, "{line}") {
                    write_error = Some(e);
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        })
    });
    if let Some(e) = write_error {
        return Err(e.into());
    }
    Ok((pipeline.finish(), read))
}
