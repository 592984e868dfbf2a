//! `labcap replay FILE...`: each file through the pipeline, then its report and checks.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;

use super::{parse_filter, ExpectArgs, Outcome};
use crate::pipeline::{Pipeline, PipelineOptions};
use crate::report::{json, text};
use crate::source::FileSource;

/// Arguments of `labcap replay`.
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// Capture files (pcap or pcapng).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Wireshark display filter, e.g. 'tcp.port==10000' or 'udp.port==53'.
    #[arg(short = 'Y', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,
    /// Print only the tables, checks and counts (no packet list, timelines or payload).
    #[arg(long)]
    pub summary: bool,
    /// How to show each connection's payload.
    #[arg(long, value_enum, default_value = "text")]
    pub payload: text::PayloadStyle,
    /// Print one JSON document (an array of them for several files) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also decode DNS on this port (besides 53; repeatable).
    #[arg(long, value_name = "PORT")]
    pub dns_port: Vec<u16>,
    /// What the capture must show.
    #[command(flatten)]
    pub expect: ExpectArgs,
}

/// Replays every file; a file that cannot be read is reported and makes the exit code 2
/// after the others were replayed.
pub fn run(args: ReplayArgs) -> anyhow::Result<Outcome> {
    let filter = args.filter.as_deref().map(parse_filter).transpose()?;
    let expectations = args.expect.expectations();
    let mut options = PipelineOptions {
        filter,
        list: !args.summary && !args.json,
        ..Default::default()
    };
    options.dns.ports.extend(&args.dns_port);
    options.tcp.needles = expectations
        .payloads
        .iter()
        .map(|t| t.as_bytes().to_vec())
        .collect();
    if args.summary {
        options.tcp.max_events = 0;
    }
    let color = std::io::stdout().is_terminal();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut outcome = Outcome::Pass;
    let mut errors = Vec::new();
    let mut documents = Vec::new();
    for path in &args.files {
        let name = path.display().to_string();
        let mut pipeline = Pipeline::new(options.clone());
        if args.files.len() > 1 && !args.json {
            writeln!(out, "== {name}")?;
        }
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
        let error = read.err().map(|e| e.to_string());
        let analysis = pipeline.finish();
        let checks = expectations.evaluate(&analysis);
        if checks.iter().any(|c| !c.passed) {
            outcome = Outcome::Fail;
        }
        if args.json {
            documents.push(json::document(&name, &analysis, &checks, error.as_deref()));
        } else {
            let origin = analysis.stats.first_ts.unwrap_or_default();
            if !analysis.connections.is_empty() {
                writeln!(
                    out,
                    "\n{}",
                    text::connections_table(&analysis.connections, origin)
                )?;
                if !args.summary {
                    for c in &analysis.connections {
                        writeln!(
                            out,
                            "\n{}",
                            text::connection_detail(c, origin, args.payload).trim_end()
                        )?;
                    }
                }
            }
            if !analysis.dns.transactions.is_empty() {
                writeln!(
                    out,
                    "\n{}",
                    text::dns_table(&analysis.dns.transactions, origin)
                )?;
            }
            if !checks.is_empty() {
                write!(out, "\n{}", text::checks(&checks, color))?;
            }
            writeln!(out, "\n{}", text::summary(&name, &analysis))?;
        }
        if let Some(e) = error {
            errors.push(e);
        }
    }
    if args.json {
        let doc = if documents.len() == 1 {
            documents.remove(0)
        } else {
            serde_json::Value::Array(documents)
        };
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    }
    out.flush()?;
    match errors.len() {
        0 => Ok(outcome),
        _ => Err(anyhow::anyhow!("{}", errors.join("\nlabcap: "))),
    }
}
