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
use crate::report::escape::escape_text;
use crate::report::text::Style;
use crate::report::{follow, text};
use crate::source::{FileSource, PcapngWriter, SourceError};

/// Examples shown after `labcap replay --help`.
const EXAMPLES: &str = "\
Examples:
  labcap replay fixtures/mesin1.pcapng
      list every packet as tshark -r does, then connections, DNS, counts
  labcap replay capture.pcapng -Y 'tcp.port==32434' --expect-handshake --expect-echo --expect-close
      check a lab task: exit 0 if it all holds, 1 if a check failed, 2 if the file is bad
  labcap replay mesin2.pcapng -Y dns --summary --expect-rcode www.espnfc.cosm=NXDOMAIN
      only the tables and checks
  labcap replay big.pcapng.gz -Y 'tcp.flags.reset==1' -w resets.pcapng
      gzip or zstd captures are read as they are; -w keeps the matched packets
  tcpdump -r capture.pcap -w - | labcap replay -
      read a capture from a pipe
  labcap replay a.pcapng b.pcapng --json | jq '.[].tcp_totals'
      one JSON document per file, an array for several";

/// Arguments of `labcap replay`.
#[derive(clap::Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct ReplayArgs {
    /// Capture files: pcap or pcapng, plain or gzip- or zstd-compressed (recognised by their
    /// content); `-` reads standard input.
    #[arg(value_name = "FILE", required_unless_present = "read")]
    pub files: Vec<PathBuf>,
    /// A capture file to read, as tshark's -r (repeatable; read in command-line order with the
    /// FILEs).
    #[arg(short = 'r', long = "read-file", value_name = "FILE")]
    pub read: Vec<PathBuf>,
    /// Wireshark display filter, e.g. 'tcp.port==10000' or 'udp.port==53'.
    #[arg(short = 'Y', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,
    /// Read at most N packets of each file (tshark's -c).
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,
    /// Also draw the TCP connections the filter selects as a sequence (ladder) diagram, one
    /// below the other, into FILE (SVG; one capture file only).
    #[arg(long, value_name = "FILE.svg")]
    pub diagram: Option<PathBuf>,
    /// Draw only this connection (its tcp.stream, as the connections table numbers it;
    /// repeatable).
    #[arg(long, value_name = "N", requires = "diagram")]
    pub diagram_stream: Vec<u32>,
    /// Follow TCP stream N, as `tshark -z follow,tcp,ascii,N`: each side's bytes in time order,
    /// escaped and wrapped, instead of the tables (checks and counts still follow).
    #[arg(long, value_name = "N", conflicts_with_all = ["json", "diagram"])]
    pub follow: Option<u32>,
    /// Bytes the follow view shows at most (the rest is counted).
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024, requires = "follow")]
    pub follow_limit: usize,
    /// Write the packets the filter matched to this pcapng file (each frame's link type,
    /// interface and time kept; several FILEs go into one).
    #[arg(short = 'w', long = "write", value_name = "OUT.pcapng")]
    pub write: Option<PathBuf>,
    /// Report and expectations.
    #[command(flatten)]
    pub report: ReportArgs,
}

impl ReplayArgs {
    /// Puts the FILEs and the `-r` files into one list in command-line order (clap keeps the two
    /// apart; `matches` are this subcommand's).
    pub fn in_command_line_order(&mut self, matches: &clap::ArgMatches) {
        let mut all: Vec<(usize, PathBuf)> = Vec::new();
        for id in ["files", "read"] {
            if let (Some(at), Some(values)) =
                (matches.indices_of(id), matches.get_many::<PathBuf>(id))
            {
                all.extend(at.zip(values.cloned()));
            }
        }
        all.sort_by_key(|&(at, _)| at);
        self.files = all.into_iter().map(|(_, path)| path).collect();
        self.read.clear();
    }
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
    let inputs: Vec<&PathBuf> = args.files.iter().chain(&args.read).collect();
    let diagram_options = DiagramOptions::default();
    if let Some(stream) = args.follow {
        options.follow = Some((stream, args.follow_limit));
        options.list = false;
    }
    if args.diagram.is_some() {
        if inputs.len() > 1 {
            anyhow::bail!("--diagram draws the connections of one capture file; give one");
        }
        // The diagram needs each segment, and the first bytes of its payload.
        options.tcp.max_events = options.tcp.max_events.max(diagram_options.max_arrows);
        options.tcp.segment_preview = DIAGRAM_PREVIEW;
    }
    let mut writer = match &args.write {
        Some(path) if path.as_os_str() == "-" => {
            anyhow::bail!("-w -: the report goes to standard output; name a file to write to")
        }
        Some(path) => Some(PcapngWriter::new(path, 0)?),
        None => None,
    };
    let mut printer = report.printer(inputs.len(), style);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut outcome = Outcome::Pass;
    let mut errors = Vec::new();
    printer.begin(&mut out)?;
    for path in inputs.iter().copied() {
        let stdin = path.as_os_str() == "-";
        let name = if stdin {
            "stdin".to_string()
        } else {
            escape_text(&path.display().to_string()).into_owned()
        };
        if inputs.len() > 1 && !report.json {
            writeln!(out, "== {name}")?;
        }
        let source = if stdin {
            FileSource::stdin()
        } else {
            FileSource::open(path)
        };
        let (analysis, read) = match source {
            Err(e) => (Pipeline::new(options.clone()).finish(), Err(e)),
            Ok(mut source) => {
                if let Some(n) = args.count {
                    source.limit(n);
                }
                if options.list || writer.is_some() {
                    list_and_analyse(&mut source, &options, &mut out, writer.as_mut())?
                } else {
                    // Nothing to print per packet: TCP and DNS analysis run on threads of their own.
                    let (mut analyses, read) =
                        pipeline::analyse_source(&mut source, std::slice::from_ref(&options));
                    (analyses.pop().unwrap_or_default(), read)
                }
            }
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
        if let (Some(followed), true) = (&analysis.follow, opened) {
            let origin = analysis.stats.first_ts.unwrap_or_default();
            write!(
                out,
                "{}",
                follow::follow(followed, origin, style.width.unwrap_or(80))
            )?;
            if !checks.is_empty() {
                write!(out, "\n{}", text::checks(&checks, style.color))?;
            }
            writeln!(out, "\n{}", text::summary(&name, &analysis))?;
        } else if opened || report.json {
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
    if let Some(w) = writer {
        w.finish()?;
    }
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
        escape_text(&path.display().to_string()),
        crate::checks::plural(chosen.len(), "connection")
    );
    Ok(())
}

/// Replays one capture frame by frame, printing each matched packet's line as it goes (when
/// listing) and writing each matched frame to `writer`.
fn list_and_analyse(
    source: &mut FileSource,
    options: &PipelineOptions,
    out: &mut impl Write,
    mut writer: Option<&mut PcapngWriter>,
) -> anyhow::Result<(Analysis, Result<(), SourceError>)> {
    let mut pipeline = Pipeline::new(options.clone());
    let mut failed: Option<anyhow::Error> = None;
    let read = source.for_each_frame(&mut |frame| {
        let matched_before = pipeline.matched();
        let line = pipeline.push(&frame);
        if let Some(w) = writer.as_deref_mut() {
            if pipeline.matched() > matched_before {
                if let Err(e) = w.write(&frame) {
                    failed = Some(e);
                    return ControlFlow::Break(());
                }
            }
        }
        if let Some(line) = line {
            if let Err(e) = writeln!(out, "{line}") {
                failed = Some(e.into());
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    if let Some(e) = failed {
        return Err(e);
    }
    Ok((pipeline.finish(), read))
}
