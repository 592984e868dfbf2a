//! The command line: argument definitions and one module per subcommand. Each subcommand
//! returns an [`Outcome`]; errors are returned to `main`, which maps both to exit codes.

mod client;
mod expect_args;
mod filter_cmd;
mod grade;
mod info;
mod lab;
mod live;
mod output;
mod replay;
mod server;
mod signals;
mod spec_cmd;

use std::io::IsTerminal;

use clap::{Parser, Subcommand};

use crate::report::text::Style;

pub use expect_args::ExpectArgs;

/// Whether the checks a command ran passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything passed (or nothing was checked).
    Pass,
    /// At least one expectation failed.
    Fail,
}

/// labcap: capture, decode, analyse and check a network-programming lab's traffic.
#[derive(Parser, Debug)]
#[command(name = "labcap", version, about, long_about = None)]
pub struct Cli {
    /// Colour PASS (green), FAIL (red) and warnings (yellow): auto colours a terminal unless
    /// NO_COLOR is set.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value = "auto",
        global = true
    )]
    pub color: ColorWhen,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Read capture files (pcap or pcapng), list and analyse their packets, check expectations.
    Replay(replay::ReplayArgs),
    /// Show the libpcap (BPF) expression a display filter compiles to.
    Filter(filter_cmd::FilterArgs),
    /// Capture TCP live, list segments as they come, then report and check as replay does.
    ///
    /// Examples: `labcap tcp --port 32434 --expect-handshake` (Ctrl-C ends it), or
    /// `labcap tcp --port 10000 --expect-echo -- labcap client --server 172.16.16.101`.
    Tcp(live::LiveArgs),
    /// Capture DNS live (port 53, UDP and TCP), then report transactions and check them.
    ///
    /// Example: `labcap dns --expect-rcode www.espnfc.cosm=NXDOMAIN -- python3 socket_info.py`.
    Dns(live::LiveArgs),
    /// The lab's echo server: recv 32 bytes, send them back (concurrent; --sequential as the lab's).
    Server(server::ServerArgs),
    /// The lab's echo client: send a message or a file, check the echo byte for byte.
    Client(client::ClientArgs),
    /// The lab's three machines as network namespaces: up, run the assignment, check, down.
    Lab(lab::LabArgs),
    /// Grade submissions (folders of captures) against an assignment spec: a class at once.
    Grade(grade::GradeArgs),
    /// Assignment specs: show a built-in one, check a file, list the expectation terms.
    Spec(spec_cmd::SpecArgs),
    /// This host's name and addresses, and HOSTs looked up (A, AAAA) with timing (lab task 1).
    Info(info::InfoArgs),
}

/// When to colour the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set (to anything but nothing).
    Auto,
    /// Always, even into a pipe or a file, NO_COLOR or not.
    Always,
    /// Never.
    Never,
}

impl ColorWhen {
    /// Whether to colour output that goes to a terminal (`terminal`) or not, with NO_COLOR
    /// set to a non-empty value (`no_color`) or not.
    pub fn enabled(self, terminal: bool, no_color: bool) -> bool {
        match self {
            ColorWhen::Auto => terminal && !no_color,
            ColorWhen::Always => true,
            ColorWhen::Never => false,
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let style = style(cli.color);
    match cli.command {
        Command::Replay(args) => replay::run(args, style),
        Command::Filter(args) => filter_cmd::run(args),
        Command::Info(args) => info::run(args),
        Command::Server(args) => server::run(args),
        Command::Lab(args) => lab::run(args, style),
        Command::Grade(args) => grade::run(args, style),
        Command::Spec(args) => spec_cmd::run(args),
        Command::Client(args) => client::run(args),
        Command::Tcp(args) => live::run(args, live::Kind::Tcp, style),
        Command::Dns(args) => live::run(args, live::Kind::Dns, style),
    }
}

/// How text output is drawn, decided once for every subcommand: colour as `color` says
/// (auto: on a terminal, unless NO_COLOR is set), and on a terminal the tables fitted to its
/// width; otherwise every table column at full width.
pub fn style(color: ColorWhen) -> Style {
    let terminal = std::io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Style {
        color: color.enabled(terminal, no_color),
        width: terminal.then(terminal_width),
    }
}

/// The terminal's width (of stdout), or `COLUMNS` when it cannot be asked, or 80.
fn terminal_width() -> usize {
    let asked = comfy_table::Table::new()
        .width()
        .map(usize::from)
        .filter(|&w| w > 0);
    asked
        .or_else(|| {
            std::env::var("COLUMNS")
                .ok()?
                .trim()
                .parse()
                .ok()
                .filter(|&w| w > 0)
        })
        .unwrap_or(80)
}

/// Parses a display filter, or explains the error with a caret under the column.
pub fn parse_filter(text: &str) -> anyhow::Result<crate::filter::Filter> {
    crate::filter::Filter::parse(text).map_err(|e| {
        anyhow::anyhow!(
            "invalid filter:\n  {}",
            e.explain(text).replace('\n', "\n  ")
        )
    })
}

/// True when the error is a closed stdout (`labcap … | head`), which is not a failure.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
