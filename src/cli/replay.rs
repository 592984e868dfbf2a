//! `labcap replay FILE...`: each file through the pipeline, then its report and checks (and,
//! with `--diagram`, the selected connections drawn as an SVG sequence diagram).

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use super::output::{CaptureReport, ReportArgs};
use super::{parse_filter, Outcome};
use crate::analysis::tcp::Connection;
use crate::pipeline::{self, Analysis, Pipeline, PipelineOptions};
use crate::report::diagram::{self, DiagramOptions};
use crate::report::escape::sanitize;
use crate::report::text::Style;
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
    /// Also draw the TCP connections the filter selects as a sequence (ladder) diagram, one
    /// below the other, into FILE (SVG; one capture file only).
    #[arg(long, value_name = "FILE.svg")]
    pub diagram: Option<PathBuf>,
    /// Draw only this connection (its tcp.stream, as the connections table numbers it;
    /// repeatable).
    #[arg(long, value_name = "N", requires = "diagram")]
    pub diagram_stream: Vec<u32>,
    /// Report and expectations.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Connections drawn in one diagram when `--diagram-stream` does not choose.
const DIAGRAM_CONNECTIONS: usize = 10;
/// Payload bytes kept of each segment for the diagram.
const DIAGRAM_PREVIEW: usize = 64;

/// Replays every file; a file that cannot be read is reported (its checks are not evaluated:
/// nothing passes on a capture that was not read) and makes the exit code 2 after the others
/// were replayed.
pub fn run(args: ReplayArgs, style: Style) -> anyhow::Result<Outcome> {
    let filter = args.filter.as_deref().map(parse_filter).transpose()?;
    let report = &args.report;
    let expectations = report.expect.expectations();
    let mut options = report.pipeline_options(filter, &expectations);
    let diagram_options = DiagramOptions::default();
    if args.diagram.is_some() {
        if args.files.len() > 1 {
            anyhow::bail!("--diagram draws the connections of one capture file; give one");
        }
        // The diagram needs each segment, and the first bytes of its payload.
        options.tcp.max_events = options.tcp.max_events.max(diagram_options.max_arrows);
        options.tcp.segment_preview = DIAGRAM_PREVIEW;
    }
    let mut printer = report.printer(args.files.len(), style);
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
        if let (Some(svg), true) = (&args.diagram, opened) {
            out.flush()?;
            write_diagram(
                svg,
                &analysis,
                &args.diagram_stream,
                diagram_options.clone(),
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

/// Draws the connections `streams` names (all the analysis kept, up to
/// [`DIAGRAM_CONNECTIONS`], when none) into the SVG file `path`.
fn write_diagram(
    path: &Path,
    analysis: &Analysis,
    streams: &[u32],
    mut options: DiagramOptions,
) -> anyhow::Result<()> {
    let selected = &analysis.connections;
    let chosen: Vec<&Connection> = if streams.is_empty() {
        let shown = selected.len().min(DIAGRAM_CONNECTIONS);
        let more = analysis.tcp.connections.saturating_sub(shown as u64);
        if more > 0 {
            options.notes.push(format!(
                "{more} more selected connections not drawn: choose with --diagram-stream N or \
                 narrow the filter."
            ));
        }
        selected.iter().take(shown).collect()
    } else {
        streams
            .iter()
            .map(|&n| {
                selected.iter().find(|c| c.stream == n).ok_or_else(|| {
                    let some: Vec<String> = selected
                        .iter()
                        .take(20)
                        .map(|c| c.stream.to_string())
                        .collect();
                    anyhow::anyhow!(
                        "--diagram-stream {n}: no such connection among those the filter \
                         selects (streams: {}{})",
                        if some.is_empty() {
                            "none".to_string()
                        } else {
                            some.join(", ")
                        },
                        if selected.len() > some.len() {
                            ", …"
                        } else {
                            ""
                        }
                    )
                })
            })
            .collect::<anyhow::Result<_>>()?
    };
    if chosen.is_empty() {
        anyhow::bail!(
            "--diagram: no TCP connection to draw (the filter selects none); {} not written",
            path.display()
        );
    }
    let origin = analysis.stats.first_ts.unwrap_or_default();
    std::fs::write(path, diagram::standalone(&chosen, origin, &options))
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    eprintln!(
        "labcap: {} written ({})",
        path.display(),
        crate::checks::plural(chosen.len(), "connection")
    );
    Ok(())
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
