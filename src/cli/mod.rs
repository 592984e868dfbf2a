//! The command line: argument definitions and one module per subcommand. Each subcommand
//! returns an [`Outcome`]; errors are returned to `main`, which maps both to exit codes.

mod client;
mod docs;
mod expect_args;
mod filter_cmd;
mod grade;
mod info;
mod interfaces;
mod lab;
mod live;
mod output;
mod replay;
mod server;
mod signals;
mod spec_cmd;

use std::io::IsTerminal;

use clap::{CommandFactory, FromArgMatches, Subcommand};

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

/// The first commands to try: after `labcap --help`, and what `labcap` alone prints.
const FIRST_STEPS: &str = "\
Start with:
  labcap grade --spec tugas1 --class fixtures/class   grade a class of submissions
  labcap replay FILE                                  list and analyse a capture
  labcap replay FILE -Y 'tcp.port==32434' --expect-handshake --expect-echo
                                                      check a lab task (exit 1 on FAIL)
  labcap interfaces                                   where a live capture can listen
  labcap tcp --port 10000                             capture live (Ctrl-C ends it)
Every command has --help (labcap replay --help has examples).";

/// labcap: capture, decode, analyse and check a network-programming lab's traffic.
#[derive(clap::Parser, Debug)]
#[command(name = "labcap", version, about, long_about = None, after_help = FIRST_STEPS)]
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
    /// What to do (none: a short usage and the first commands to try).
    #[command(subcommand)]
    pub command: Option<Command>,
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
    /// List the interfaces a live capture can use, numbered, with their addresses (tshark -D).
    Interfaces(interfaces::InterfacesArgs),
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
    /// Print a shell completion script, e.g. `labcap completions bash > /etc/bash_completion.d/labcap`.
    Completions(docs::CompletionsArgs),
    /// Print the manual page (roff), e.g. `labcap man | man -l -`, or `labcap man replay`.
    Man(docs::ManArgs),
}

/// labcap's version and the version of the libpcap it runs with
/// (`0.1.0, libpcap version 1.10.3 (with TPACKET_V3)`).
fn version() -> &'static str {
    // Made once per process: clap wants a 'static text.
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        format!(
            "{}, {}",
            env!("CARGO_PKG_VERSION"),
            crate::source::libpcap_version()
        )
    })
}

/// The command-line definition as parsed, documented and completed: the clap definitions
/// with the version of the libpcap this binary runs with.
pub fn command() -> clap::Command {
    Cli::command().version(version())
}

/// Parses the process's command line (exits with clap's message on an error, `--help`,
/// `--version`).
pub fn parse() -> Cli {
    parse_from(std::env::args_os())
}

/// Parses `args` (the program name first).
pub fn parse_from<I, T>(args: I) -> Cli
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let matches = command()
        .try_get_matches_from(&args)
        .unwrap_or_else(|e| exit_with(e, &args));
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let (Some(Command::Replay(args)), Some(("replay", m))) =
        (&mut cli.command, matches.subcommand())
    {
        args.in_command_line_order(m);
    }
    cli
}

/// Exits with clap's message (help, version, or a usage error). clap quotes arguments as they
/// were typed; when one holds a control character the message is printed plain and escaped,
/// so that a pasted escape sequence cannot drive the terminal.
fn exit_with(e: clap::Error, args: &[std::ffi::OsString]) -> ! {
    let unsafe_arg = args
        .iter()
        .any(|a| crate::report::escape::escape_text(&a.to_string_lossy()) != a.to_string_lossy());
    if !unsafe_arg || !e.use_stderr() {
        e.exit();
    }
    let text = crate::report::escape::escape_lines(&e.render().to_string());
    eprint!("{text}");
    std::process::exit(e.exit_code());
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
    let Some(command) = cli.command else {
        // As clap does for a missing subcommand (exit 2), but with something to type.
        anyhow::bail!(
            "no command given.\n\n{FIRST_STEPS}\n\nUsage: labcap <COMMAND> (labcap --help lists them all)"
        );
    };
    match command {
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
        Command::Interfaces(args) => interfaces::run(args),
        Command::Completions(args) => docs::completions(args),
        Command::Man(args) => docs::man(args),
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
    let broken = Some(std::io::ErrorKind::BrokenPipe);
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().map(|e| e.kind()) == broken
            // serde_json's error does not give its I/O error as its source.
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == broken
    })
}
