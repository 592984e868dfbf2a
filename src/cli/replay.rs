//! `labcap replay FILE...`: each file through the pipeline, then its report and checks.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use super::output::ReportArgs;
use super::{parse_filter, Outcome};
use crate::pipeline::{self, Analysis, Pipeline, PipelineOptions};
use crate::report::json;
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

/// Replays every file; a file that cannot be read is reported and makes the exit code 2
/// after the others were replayed.
pub fn run(args: ReplayArgs) -> anyhow::Result<Outcome> {
    let filter = args.filter.as_deref().map(parse_filter).transpose()?;
    let report = &args.report;
    let expectations = report.expect.expectations();
    let options = report.pipeline_options(filter, &expectations);
    let color = std::io::stdout().is_terminal();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut outcome = Outcome::Pass;
    let mut errors = Vec::new();
    // Several files make a JSON array, written a document at a time.
    let array = report.json && args.files.len() > 1;
    if array {
        write!(out, "[")?;
    }
    for (index, path) in args.files.iter().enumerate() {
        let name = path.display().to_string();
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
        let checks = expectations.evaluate(&analysis);
        if checks.iter().any(|c| !c.passed) {
            outcome = Outcome::Fail;
        }
        if report.json {
            if array {
                write!(out, "{}", if index == 0 { "\n" } else { ",\n" })?;
            }
            let doc = json::Document {
                file: &name,
                analysis: &analysis,
                checks: &checks,
                error: error.as_deref(),
            };
            serde_json::to_writer_pretty(&mut out, &doc)?;
        } else {
            report.write_text(&mut out, &name, &analysis, &checks, color)?;
        }
        if let Some(e) = error {
            errors.push(e);
        }
    }
    if array {
        write!(out, "\n]")?;
    }
    if report.json {
        writeln!(out)?;
    }
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
