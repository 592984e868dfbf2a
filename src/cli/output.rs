//! What replay and live capture share after the pipeline: the report options, the pipeline
//! options they imply, and the printer of each capture's report, chosen once from the flags.

use std::io::Write;

use super::ExpectArgs;
use crate::analysis::memory::MemCap;
use crate::analysis::messages::framing::FrameRule;
use crate::checks::{Check, Expectations};
use crate::filter::Filter;
use crate::pipeline::{Analysis, PipelineOptions};
use crate::report::text::{Style, Tone};
use crate::report::{grade_text, json, text};

/// Analyzers that run only when asked for (`--analyze`) or checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Extra {
    /// HTTP/1.x transactions.
    Http,
    /// TLS handshakes.
    Tls,
    /// UDP conversations.
    Udp,
    /// All of them.
    All,
}

/// How to analyse and report a capture (flags shared by `replay`, `tcp` and `dns`).
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Print only the tables, checks and counts (no packet list, timelines or payload).
    #[arg(long)]
    pub summary: bool,
    /// How to show each connection's payload.
    #[arg(long, value_enum, default_value = "text")]
    pub payload: text::PayloadStyle,
    /// Print one JSON document instead of text (an array of them for several files).
    #[arg(long)]
    pub json: bool,
    /// Connections kept in detail for the tables and JSON (DNS transactions: ten times as many);
    /// the rest are counted in the totals and the checks only, which keeps memory flat.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub detail_limit: usize,
    /// Also decode DNS on this port (besides 53; repeatable).
    #[arg(long, value_name = "PORT")]
    pub dns_port: Vec<u16>,
    /// Cut connections to PORTS into messages and pair requests with responses: PORTS is a
    /// port, a range (6665-6677) or `any`; FRAMING is crlf, lf, blank-line, length:2 or
    /// length:4, or two of them, requests first: 6666=crlf,blank-line (repeatable).
    #[arg(long, value_name = "PORTS=FRAMING", value_parser = FrameRule::parse)]
    pub frame: Vec<FrameRule>,
    /// Also run these analyzers and print their tables (TCP and DNS always run; a check that
    /// needs one runs it too): http, tls, udp, or all.
    #[arg(long, value_name = "LIST", value_enum, value_delimiter = ',')]
    pub analyze: Vec<Extra>,
    /// The memory cap of analysis state (64M by default): past it the quietest connections,
    /// DNS queries and UDP conversations are evicted, counted in the report, and the checks
    /// that needed them cannot pass. Units K, M, G.
    #[arg(long, value_name = "SIZE", value_parser = MemCap::parse, default_value = "64M")]
    pub memcap: MemCap,
    /// What the capture must show.
    #[command(flatten)]
    pub expect: ExpectArgs,
}

/// Where the report of each capture goes, chosen once from the flags (as ripgrep picks its
/// sink): text tables and checks, or JSON documents (an array of them for several captures).
pub enum Printer<'a> {
    /// Text for a terminal or a pipe.
    Text {
        /// The flags (payload style, summary).
        args: &'a ReportArgs,
        /// Colour and width.
        style: Style,
    },
    /// One JSON document per capture.
    Json {
        /// Several captures: an array.
        array: bool,
        /// Documents written so far.
        written: usize,
    },
}

/// One capture's report: what was read, the checks, and the error that stopped the source.
pub struct CaptureReport<'a> {
    /// The capture's name.
    pub name: &'a str,
    /// What the analysis found in what was read.
    pub analysis: &'a Analysis,
    /// The checks, evaluated only when the whole capture was read.
    pub checks: &'a [Check],
    /// Why the capture could not be read to its end.
    pub error: Option<&'a str>,
}

impl Printer<'_> {
    /// Starts the output of `captures` reports.
    pub fn begin(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        match self {
            Printer::Json { array: true, .. } => write!(out, "["),
            _ => Ok(()),
        }
    }

    /// Writes one capture's report.
    pub fn capture(&mut self, out: &mut impl Write, r: &CaptureReport<'_>) -> std::io::Result<()> {
        match self {
            Printer::Text { args, style } => {
                if let Some(e) = r.error {
                    let line = format!("labcap: {e}; its checks were not evaluated");
                    writeln!(out, "\n{}", text::paint(&line, Tone::Warn, style.color))?;
                }
                args.write_text(out, r.name, r.analysis, r.checks, *style)
            }
            Printer::Json { array, written } => {
                if *array {
                    write!(out, "{}", if *written == 0 { "\n" } else { ",\n" })?;
                }
                *written += 1;
                let doc = json::Document {
                    file: r.name,
                    analysis: r.analysis,
                    checks: r.checks,
                    error: r.error,
                };
                serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::from)?;
                if !*array {
                    writeln!(out)?;
                }
                Ok(())
            }
        }
    }

    /// Ends the output.
    pub fn end(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        match self {
            Printer::Json { array: true, .. } => writeln!(out, "\n]"),
            _ => Ok(()),
        }
    }
}

impl ReportArgs {
    /// The printer for `captures` reports, text drawn in `style`.
    pub fn printer(&self, captures: usize, style: Style) -> Printer<'_> {
        if self.json {
            Printer::Json {
                array: captures > 1,
                written: 0,
            }
        } else {
            Printer::Text { args: self, style }
        }
    }

    /// The pipeline options for `filter` and these flags.
    pub fn pipeline_options(
        &self,
        filter: Option<Filter>,
        expectations: &Expectations,
    ) -> PipelineOptions {
        let mut options = PipelineOptions {
            filter,
            list: !self.summary && !self.json,
            ..Default::default()
        };
        for &port in &self.dns_port {
            options.dns.ports.add(port);
        }
        options.tcp.max_connections = self.detail_limit;
        options.messages.rules = self.frame.clone();
        options.messages.max_exchanges = self.detail_limit.saturating_mul(10);
        options.dns.max_transactions = self.detail_limit.saturating_mul(10);
        options.expectations = expectations.clone();
        options.memcap = self.memcap;
        // What runs: TCP and DNS always, the others when asked for or checked.
        let wants = |x: Extra| self.analyze.contains(&x) || self.analyze.contains(&Extra::All);
        let checked = expectations.needs();
        options.needs.http = checked.http || wants(Extra::Http);
        options.needs.tls = checked.tls || wants(Extra::Tls);
        options.needs.udp = checked.udp || wants(Extra::Udp);
        options.needs.messages = !self.frame.is_empty();
        if self.summary || self.json {
            // Nothing shows the payload: keep none.
            options.tcp.preview_bytes = 0;
        }
        if self.summary {
            options.tcp.max_events = 0;
        }
        options
    }

    /// Writes the text report of one capture: tables, timelines, checks, counts.
    pub fn write_text(
        &self,
        out: &mut impl Write,
        name: &str,
        analysis: &Analysis,
        checks: &[Check],
        style: Style,
    ) -> std::io::Result<()> {
        let origin = analysis.stats.first_ts.unwrap_or_default();
        if !analysis.connections.is_empty() {
            writeln!(
                out,
                "\n{}",
                text::connections_table(&analysis.connections, origin, style)
            )?;
            if !self.summary {
                for c in &analysis.connections {
                    writeln!(
                        out,
                        "\n{}",
                        text::connection_detail(c, origin, self.payload, style.color).trim_end()
                    )?;
                }
            }
        }
        if !analysis.dns.transactions.is_empty() {
            writeln!(
                out,
                "\n{}",
                text::dns_table(&analysis.dns.transactions, origin, style)
            )?;
        }
        if !analysis.http.transactions.is_empty() {
            writeln!(
                out,
                "\n{}",
                text::http_table(&analysis.http.transactions, origin, style)
            )?;
        }
        if !analysis.tls.sessions.is_empty() {
            writeln!(out, "\n{}", text::tls_table(&analysis.tls.sessions, style))?;
        }
        if !analysis.udp.conversations.is_empty() {
            writeln!(
                out,
                "\n{}",
                text::udp_table(&analysis.udp.conversations, origin, style)
            )?;
        }
        if !analysis.messages.exchanges.is_empty() {
            writeln!(
                out,
                "\n{}",
                text::exchanges_table(&analysis.messages.exchanges, origin, style)
            )?;
        }
        if !checks.is_empty() {
            let checks = text::checks(checks, style.color);
            write!(out, "\n{}", fit_lines(&checks, style))?;
        }
        let summary = text::summary(name, analysis);
        write!(out, "\n{}", fit_lines(&summary, style))
    }
}

/// Each line of `text` broken at spaces to fit a terminal (the rest indented), as it is in a
/// pipe; ends with a newline.
fn fit_lines(text: &str, style: Style) -> String {
    text.lines()
        .map(|line| match style.width {
            Some(width) => grade_text::wrap(line, width, "    "),
            None => format!("{line}\n"),
        })
        .collect()
}
