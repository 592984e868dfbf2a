//! The command line: argument definitions and one module per subcommand. Each subcommand
//! returns an [`Outcome`]; errors are returned to `main`, which maps both to exit codes.

mod client;
mod filter_cmd;
mod info;
mod lab;
mod live;
mod output;
mod replay;
mod server;
mod signals;

use clap::{Parser, Subcommand};

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
    /// This host's name and addresses, and HOSTs looked up (A, AAAA) with timing (lab task 1).
    Info(info::InfoArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Replay(args) => replay::run(args),
        Command::Filter(args) => filter_cmd::run(args),
        Command::Info(args) => info::run(args),
        Command::Server(args) => server::run(args),
        Command::Lab(args) => lab::run(args),
        Command::Client(args) => client::run(args),
        Command::Tcp(args) => live::run(args, live::Kind::Tcp),
        Command::Dns(args) => live::run(args, live::Kind::Dns),
    }
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

/// The expectation flags, shared by replay and live capture.
#[derive(clap::Args, Debug, Default)]
pub struct ExpectArgs {
    /// Every connection (at least one) completed the 3-way handshake.
    #[arg(long)]
    pub expect_handshake: bool,
    /// Every connection was closed by FIN from both sides.
    #[arg(long)]
    pub expect_close: bool,
    /// Some client→server stream contains TEXT (repeatable).
    #[arg(long, value_name = "TEXT")]
    pub expect_payload: Vec<String>,
    /// Every connection that carried client data got exactly that data back.
    #[arg(long)]
    pub expect_echo: bool,
    /// Exactly N TCP connections.
    #[arg(long, value_name = "N")]
    pub expect_connections: Option<usize>,
    /// At least one connection was refused (SYN answered by RST).
    #[arg(long)]
    pub expect_refused: bool,
    /// No connection saw a RST.
    #[arg(long)]
    pub expect_no_rst: bool,
    /// Two connections were open at the same time (lab task 4).
    #[arg(long)]
    pub expect_concurrent: bool,
    /// NAME was looked up over DNS (repeatable).
    #[arg(long, value_name = "NAME")]
    pub expect_query: Vec<String>,
    /// NAME got a NOERROR response with at least one answer (repeatable).
    #[arg(long, value_name = "NAME")]
    pub expect_answer: Vec<String>,
    /// Every response for NAME carried RCODE, e.g. www.espnfc.cosm=NXDOMAIN (repeatable).
    #[arg(long, value_name = "NAME=RCODE", value_parser = parse_rcode_expectation)]
    pub expect_rcode: Vec<(String, u16)>,
    /// Every DNS query got a response.
    #[arg(long)]
    pub expect_no_unanswered: bool,
}

/// Parses `NAME=RCODE` (a mnemonic such as NXDOMAIN, or a number).
fn parse_rcode_expectation(text: &str) -> Result<(String, u16), String> {
    let (name, rcode) = text
        .rsplit_once('=')
        .ok_or("expected NAME=RCODE, e.g. www.espnfc.cosm=NXDOMAIN")?;
    let code = crate::wire::dns::rcode_from_name(rcode).ok_or_else(|| {
        format!("unknown response code {rcode:?}: use NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED or a number 0-15")
    })?;
    Ok((name.to_string(), code))
}

impl ExpectArgs {
    /// The expectations these flags ask for.
    pub fn expectations(&self) -> crate::checks::Expectations {
        crate::checks::Expectations {
            handshake: self.expect_handshake,
            close: self.expect_close,
            payloads: self.expect_payload.clone(),
            echo: self.expect_echo,
            connections: self.expect_connections,
            refused: self.expect_refused,
            no_rst: self.expect_no_rst,
            concurrent: self.expect_concurrent,
            dns: crate::checks::DnsExpectations {
                queries: self.expect_query.clone(),
                answers: self.expect_answer.clone(),
                rcodes: self.expect_rcode.clone(),
                no_unanswered: self.expect_no_unanswered,
            },
        }
    }
}
