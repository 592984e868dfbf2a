//! `labcap tcp` and `labcap dns`: capture live, print packets as they come, stop on Ctrl-C, a
//! count, a duration, a number of closed connections or the end of a command, then report and
//! check exactly as replay does.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::output::{CaptureReport, ReportArgs};
use super::{parse_filter, Outcome};
use crate::checks::Check;
use crate::pipeline::Pipeline;
use crate::report::escape::escape_text;
use crate::report::text::Style;

use crate::source::{LiveOptions, LiveSource, PcapngWriter};

/// How long to keep capturing after the command ends: its last ACKs are still in flight.
const DRAIN: Duration = Duration::from_millis(300);

/// Which traffic a live command is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `labcap tcp`: TCP connections.
    Tcp,
    /// `labcap dns`: DNS transactions.
    Dns,
}

/// Arguments of `labcap tcp` and `labcap dns`.
#[derive(clap::Args, Debug)]
pub struct LiveArgs {
    /// Interface to capture on (`any`: every interface, as Linux cooked frames).
    #[arg(short, long, default_value = "any")]
    pub iface: String,
    /// Only this port (tcp: tcp.port==N; dns: DNS on port N over UDP and TCP).
    #[arg(short, long)]
    pub port: Option<u16>,
    /// Wireshark display filter (combined with --port by "and").
    #[arg(short = 'Y', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,
    /// A libpcap filter for the kernel instead of the one compiled from the display filter.
    #[arg(long, value_name = "EXPR")]
    pub bpf: Option<String>,
    /// On `any`, capture Linux cooked v2 frames (interface index, protocol) instead of v1.
    #[arg(long)]
    pub sll2: bool,
    /// Write every captured frame to this pcapng file.
    #[arg(short = 'w', long = "write", value_name = "FILE.pcapng")]
    pub write: Option<PathBuf>,
    /// Stop after N matched packets.
    #[arg(short = 'c', long)]
    pub count: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// Stop once N connections have closed (FIN both ways or RST).
    #[arg(long, value_name = "N")]
    pub connections: Option<usize>,
    /// Report and expectations.
    #[command(flatten)]
    pub report: ReportArgs,
    /// A command to run once the capture is armed; the capture stops when it exits.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// Captures, reports and checks.
pub fn run(args: LiveArgs, kind: Kind, style: Style) -> anyhow::Result<Outcome> {
    let filter_text = display_filter(&args, kind);
    let filter = filter_text.as_deref().map(parse_filter).transpose()?;
    let report = &args.report;
    let expectations = report.expect.expectations();
    let mut options = report.pipeline_options(filter, &expectations);
    if let (Kind::Dns, Some(port)) = (kind, args.port) {
        options.dns.ports.add(port);
    }
    let options = options.with_dns_ports_in_filter();
    // What the kernel gets; the status line names the translation of `-Y` and says it is
    // widened by what may carry such packets (`labcap filter EXPR` prints all of it).
    let (bpf, shown) = match (&args.bpf, &options.filter) {
        (Some(raw), _) => (Some(raw.clone()), Some(format!("\"{}\"", escape_text(raw)))),
        (None, Some(f)) => (
            f.to_kernel_bpf().expr,
            f.to_bpf().expr.map(|e| {
                format!(
                    "\"{}\" + IP fragments, ICMP errors, tunnels",
                    escape_text(&e)
                )
            }),
        ),
        (None, None) => (None, None),
    };
    let mut live_options = LiveOptions::new(&args.iface);
    live_options.sll2 = args.sll2;
    live_options.bpf = bpf.clone();
    let mut source = LiveSource::open(&live_options)?;
    let mut writer = match &args.write {
        Some(path) => Some(PcapngWriter::create(
            path,
            source.link(),
            &args.iface,
            live_options.snaplen as u32,
        )?),
        None => None,
    };
    let stop = super::signals::stop_flag();
    eprintln!(
        "labcap: capturing on {} ({}){}; Ctrl-C stops",
        escape_text(source.iface()),
        source.link(),
        shown.map_or(String::new(), |b| format!(", kernel filter {b}"))
    );
    let mut child = spawn(&args.command)?;
    let started = Instant::now();
    let deadline = args
        .duration
        .map(|s| started + Duration::from_secs_f64(s.max(0.0)));
    let mut pipeline = Pipeline::new(options);
    let mut out = std::io::stdout().lock();
    let mut exit_status = None;
    let mut drain_until = None;
    let mut failure: Option<anyhow::Error> = None;
    loop {
        let mut written = Ok(());
        let polled = source.poll(Duration::from_millis(100), &mut |frame| {
            if let Some(w) = writer.as_mut() {
                if written.is_ok() {
                    written = w.write(&frame);
                }
            }
            if let Some(line) = pipeline.push(&frame) {
                let _ = writeln!(out, "{line}");
            }
            if args.count.is_some_and(|n| pipeline.matched() >= n) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        out.flush()?;
        if let Err(e) = polled {
            failure = Some(e.into());
            break;
        }
        if let Err(e) = written {
            failure = Some(e);
            break;
        }
        let now = Instant::now();
        if stop.load(Ordering::SeqCst)
            || deadline.is_some_and(|d| now >= d)
            || args.count.is_some_and(|n| pipeline.matched() >= n)
            || args
                .connections
                .is_some_and(|n| pipeline.ended_connections() >= n)
            || drain_until.is_some_and(|d| now >= d)
        {
            break;
        }
        if let Some(c) = child.as_mut() {
            if let Some(status) = c.try_wait()? {
                exit_status = Some(status);
                child = None;
                drain_until = Some(now + DRAIN);
            }
        }
    }
    if let Some(mut c) = child {
        // The capture ended first (count, connections, duration, Ctrl-C): give the command a
        // moment to finish on its own, then stop it; a stopped command is not judged.
        let until = Instant::now() + DRAIN;
        while exit_status.is_none() && Instant::now() < until {
            exit_status = c.try_wait()?;
            std::thread::sleep(Duration::from_millis(20));
        }
        if exit_status.is_none() {
            let _ = c.kill();
            let _ = c.wait();
            eprintln!(
                "labcap: stopped `{}`: it was still running when the capture ended",
                escape_text(&args.command.join(" "))
            );
        }
    }
    let stats = source.stats();
    if let Some(w) = writer {
        w.finish()?;
    }
    if let Some(e) = failure {
        return Err(e);
    }
    let analysis = pipeline.finish();
    let mut checks = expectations.evaluate(&analysis);
    if let Some(status) = exit_status {
        checks.push(Check {
            name: "command".into(),
            passed: status.success(),
            detail: format!("`{}` {status}", escape_text(&args.command.join(" "))),
        });
    }
    let name = format!("live:{}", escape_text(&args.iface));
    let mut printer = report.printer(1, style);
    printer.capture(
        &mut out,
        &CaptureReport {
            name: &name,
            analysis: &analysis,
            checks: &checks,
            error: None,
        },
    )?;
    out.flush()?;
    if let Some(s) = stats {
        eprintln!(
            "labcap: the kernel filter passed {} packets (loopback packets count twice); dropped: {} for want of buffer, {} by the interface",
            s.received, s.dropped, s.if_dropped
        );
    }
    Ok(if checks.iter().all(|c| c.passed) {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}

/// The display filter the flags make: `--port` and `-Y` joined by "and", or the kind's default.
fn display_filter(args: &LiveArgs, kind: Kind) -> Option<String> {
    let port = match (kind, args.port) {
        (Kind::Tcp, Some(p)) => Some(format!("tcp.port=={p}")),
        (Kind::Dns, p) => {
            let p = p.unwrap_or(53);
            Some(format!("udp.port=={p} || tcp.port=={p}"))
        }
        (Kind::Tcp, None) => args.filter.is_none().then(|| "tcp".to_string()),
    };
    match (port, &args.filter) {
        (Some(p), Some(f)) => Some(format!("({p}) && ({f})")),
        (Some(p), None) => Some(p),
        (None, f) => f.clone(),
    }
}

fn spawn(command: &[String]) -> anyhow::Result<Option<Child>> {
    let Some((program, rest)) = command.split_first() else {
        return Ok(None);
    };
    // `labcap … -- labcap client …` runs this very binary, installed or not.
    let path = match program.as_str() {
        "labcap" => std::env::current_exe().unwrap_or_else(|_| program.into()),
        _ => program.into(),
    };
    let child = Command::new(path)
        .args(rest)
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot run {program:?}: {e}"))?;
    Ok(Some(child))
}
