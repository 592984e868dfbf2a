//! `labcap client`: the lab's echo client, with the echo checked byte for byte.

use std::path::PathBuf;
use std::time::Duration;

use super::Outcome;
use crate::echo::client::{exchange, ClientConfig};
use crate::echo::{Log, LAB_MESSAGE};
use crate::report::escape::escape_bytes;

/// Arguments of `labcap client`.
#[derive(clap::Args, Debug)]
pub struct ClientArgs {
    /// Server host name or address (the lab's server is mesin1, 172.16.16.101).
    #[arg(short, long, default_value = "localhost")]
    pub server: String,
    /// Server port.
    #[arg(short, long, default_value_t = 10000)]
    pub port: u16,
    /// Text to send (default: the lab's 46-byte message).
    #[arg(short, long, conflicts_with = "file")]
    pub message: Option<String>,
    /// Send this file's bytes instead.
    #[arg(short, long)]
    pub file: Option<PathBuf>,
    /// Bytes per recv when reading the echo (the lab's 16).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1 << 20))]
    pub recv_chunk: u32,
    /// Send in 32-byte pieces with this many milliseconds between them.
    #[arg(long, value_name = "MS")]
    pub pause: Option<u64>,
    /// Seconds to wait for the connection and for the echo.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// No log lines (the result line and errors still show).
    #[arg(short, long)]
    pub quiet: bool,
}

/// Sends, reads the echo, compares: exit 0 when it matches, 1 when it differs.
pub fn run(args: ClientArgs) -> anyhow::Result<Outcome> {
    let payload = match (&args.file, &args.message) {
        (Some(path), _) => std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?,
        (None, Some(m)) => m.clone().into_bytes(),
        (None, None) => LAB_MESSAGE.as_bytes().to_vec(),
    };
    let config = ClientConfig {
        server: args.server.clone(),
        port: args.port,
        payload,
        recv_chunk: args.recv_chunk as usize,
        timeout: Duration::from_secs_f64(args.timeout.clamp(0.1, 3600.0)),
        pause: args.pause.map(Duration::from_millis),
        log: if args.quiet { Log::Quiet } else { Log::Lab },
    };
    let echo = exchange(&config)?;
    if echo.matches() {
        println!(
            "echo OK: {} bytes sent from {} to {} came back unchanged",
            echo.sent, echo.local, echo.server
        );
        return Ok(Outcome::Pass);
    }
    let detail = match echo.mismatch {
        Some(at) => format!(
            "byte {at} differs (sent b'{}')",
            escape_bytes(
                config
                    .payload
                    .get(at..(at + 16).min(config.payload.len()))
                    .unwrap_or_default()
            )
        ),
        None => format!(
            "{} of {} bytes came back before the server closed",
            echo.received, echo.sent
        ),
    };
    println!("echo FAILED from {}: {detail}", echo.server);
    Ok(Outcome::Fail)
}
