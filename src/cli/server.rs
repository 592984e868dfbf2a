//! `labcap server`: the lab's echo server, concurrent unless `--sequential`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::Outcome;
use crate::echo::server::{bind, serve, ServerConfig};
use crate::echo::{raise_fd_limit, Log};

/// Arguments of `labcap server`.
#[derive(clap::Args, Debug)]
pub struct ServerArgs {
    /// Address to listen on (0.0.0.0: every interface, so other machines can connect).
    #[arg(long, default_value = "0.0.0.0")]
    pub bind: IpAddr,
    /// Port to listen on.
    #[arg(short, long, default_value_t = 10000)]
    pub port: u16,
    /// Bytes per recv, echoed back as one send (the lab's 32).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=1 << 20))]
    pub chunk: u32,
    /// Serve one connection at a time, like the lab's server.py (listen backlog 1).
    #[arg(long)]
    pub sequential: bool,
    /// Disconnect a client that sends nothing and takes no echo for this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub idle_timeout: u64,
    /// Disconnect a client that takes none of its echo for this many seconds (it sends but
    /// does not read).
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub write_timeout: u64,
    /// Disconnect a client connected this many seconds, however active (0: no limit).
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub max_client_time: u64,
    /// Clients served at once; when all are taken, a new client takes the place of the most
    /// idle connection of the address that holds the most.
    #[arg(long, default_value_t = 4096)]
    pub max_clients: usize,
    /// No log lines (errors still show).
    #[arg(short, long)]
    pub quiet: bool,
}

/// Serves until Ctrl-C.
pub fn run(args: ServerArgs) -> anyhow::Result<Outcome> {
    raise_fd_limit();
    let addr = SocketAddr::new(args.bind, args.port);
    let backlog = if args.sequential { 1 } else { 4096 };
    let listener = bind(addr, backlog).map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::AddrInUse => format!(
                "another program listens on port {} already (an earlier server?); stop it or use --port",
                args.port
            ),
            std::io::ErrorKind::AddrNotAvailable => format!(
                "{} is not an address of this machine; see `labcap info` for its addresses",
                args.bind
            ),
            std::io::ErrorKind::PermissionDenied => {
                "ports below 1024 need root or CAP_NET_BIND_SERVICE".to_string()
            }
            _ => "check the address and port".to_string(),
        };
        anyhow::anyhow!("cannot listen on {addr}: {e}\n  {hint}")
    })?;
    let config = ServerConfig {
        chunk: args.chunk as usize,
        sequential: args.sequential,
        idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
        write_timeout: Duration::from_secs(args.write_timeout.max(1)),
        max_client_time: (args.max_client_time > 0)
            .then(|| Duration::from_secs(args.max_client_time)),
        max_clients: args.max_clients.max(1),
        log: if args.quiet { Log::Quiet } else { Log::Lab },
    };
    let stats = serve(listener, &config, super::signals::stop_flag())?;
    let mut summary = format!(
        "labcap: served {}",
        crate::checks::plural(stats.connections, "connection")
    );
    if stats.evicted > 0 {
        summary += &format!(
            ", dropped {} to make room for new clients",
            crate::checks::plural(stats.evicted, "idle client")
        );
    }
    if stats.turned_away > 0 {
        summary += &format!(", turned away {} at the client limit", stats.turned_away);
    }
    if stats.refused > 0 {
        summary += &format!(", refused {} (no thread to serve them)", stats.refused);
    }
    eprintln!("{summary}");
    Ok(Outcome::Pass)
}
