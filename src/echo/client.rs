//! The echo client: connect, send the payload (all of it, like `sendall`, optionally in paced
//! pieces), read the echo back in `recv_chunk` pieces while sending, and compare it byte for byte.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::Log;
use crate::report::escape::escape_bytes;

/// What to send where.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Host name or address of the server.
    pub server: String,
    /// Its port.
    pub port: u16,
    /// The bytes to send.
    pub payload: Vec<u8>,
    /// Bytes per `recv` of the echo (the lab's 16).
    pub recv_chunk: usize,
    /// Give up when connecting or waiting for the echo takes longer.
    pub timeout: Duration,
    /// Send in 32-byte pieces with this pause between them (to keep a connection open longer,
    /// as in lab task 4); `None` sends everything at once.
    pub pause: Option<Duration>,
    /// Log lines.
    pub log: Log,
}

/// How the echo came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Echo {
    /// The server's address.
    pub server: SocketAddr,
    /// The local address used.
    pub local: SocketAddr,
    /// Bytes sent.
    pub sent: usize,
    /// Bytes received.
    pub received: usize,
    /// Index of the first byte that differs, or `None` when the echo matches.
    pub mismatch: Option<usize>,
}

impl Echo {
    /// True when every byte came back unchanged.
    pub fn matches(&self) -> bool {
        self.mismatch.is_none() && self.sent == self.received
    }
}

/// Why no echo could be obtained, with what to do about it.
#[derive(Debug)]
pub struct ClientError(pub String);

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ClientError {}

/// Runs one exchange.
pub fn exchange(config: &ClientConfig) -> Result<Echo, ClientError> {
    let log = config.log;
    let target = format!("('{}', {})", config.server, config.port);
    log.info(&format!("connecting to {target}"));
    let mut stream = connect(config)?;
    let server = stream.peer_addr().map_err(|e| io_error(config, e))?;
    let local = stream.local_addr().map_err(|e| io_error(config, e))?;
    log.info(&format!("sending b'{}'", escape_bytes(&config.payload)));
    stream
        .set_read_timeout(Some(config.timeout))
        .map_err(|e| io_error(config, e))?;
    let mut writer = stream.try_clone().map_err(|e| io_error(config, e))?;
    let payload = &config.payload;
    let pause = config.pause;
    let result = std::thread::scope(|scope| {
        // Send and receive at once: a large payload would otherwise fill both socket buffers.
        let sender = scope.spawn(move || -> io::Result<()> {
            match pause {
                None => writer.write_all(payload),
                Some(pause) => {
                    for (i, piece) in payload.chunks(32).enumerate() {
                        if i > 0 {
                            std::thread::sleep(pause);
                        }
                        writer.write_all(piece)?;
                    }
                    Ok(())
                }
            }
        });
        let received = receive(&mut stream, payload, config);
        let sent = sender
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("sender panicked")));
        (sent, received)
    });
    log.info("closing");
    let _ = stream.shutdown(Shutdown::Both);
    match result {
        (Err(e), _) => Err(ClientError(format!(
            "sending to {server} failed: {e} (the server closed the connection early?)"
        ))),
        (Ok(()), Err(e)) => Err(e),
        (Ok(()), Ok((received, mismatch))) => Ok(Echo {
            server,
            local,
            sent: payload.len(),
            received,
            mismatch,
        }),
    }
}

/// Reads the echo until as many bytes as were sent came back, the server closed, or the
/// timeout passed; compares as it goes. Returns the count and the first differing index.
fn receive(
    stream: &mut TcpStream,
    expected: &[u8],
    config: &ClientConfig,
) -> Result<(usize, Option<usize>), ClientError> {
    let mut buf = vec![0u8; config.recv_chunk.max(1)];
    let mut received = 0;
    let mut mismatch = None;
    let started = Instant::now();
    while received < expected.len() {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                config.log.info(&format!("b'{}'", escape_bytes(&buf[..n])));
                if mismatch.is_none() {
                    mismatch = buf[..n]
                        .iter()
                        .enumerate()
                        .find(|&(i, b)| expected.get(received + i) != Some(b))
                        .map(|(i, _)| received + i);
                }
                received += n;
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(ClientError(format!(
                    "no echo from {}:{} for {:.1} s ({received} of {} bytes came back); is the server an echo server?",
                    config.server,
                    config.port,
                    started.elapsed().as_secs_f64(),
                    expected.len()
                )));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(config, e)),
        }
    }
    Ok((received, mismatch))
}

/// Connects to the first address of the server that accepts, IPv4 first (like the lab's
/// AF_INET socket), explaining a refusal.
fn connect(config: &ClientConfig) -> Result<TcpStream, ClientError> {
    let mut addrs: Vec<SocketAddr> = (config.server.as_str(), config.port)
        .to_socket_addrs()
        .map_err(|e| {
            ClientError(format!(
                "cannot resolve {:?}: {e}; use an address such as 172.16.16.101, or check the name with `labcap info {}`",
                config.server, config.server
            ))
        })?
        .collect();
    addrs.sort_by_key(|a| !a.is_ipv4());
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, config.timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some((addr, e)),
        }
    }
    let Some((addr, e)) = last else {
        return Err(ClientError(format!("{:?} has no address", config.server)));
    };
    Err(ClientError(match e.kind() {
        ErrorKind::ConnectionRefused => {
            let local = addr.ip().is_loopback();
            let mut text = format!(
                "connection refused by {addr} ({}): nothing listens on port {} there",
                config.server, config.port
            );
            if local {
                text.push_str(&format!(
                    ".\n  {} is this machine. If the server runs on another machine (the lab's server is mesin1), \
                     connect to that machine's lab address instead: --server 172.16.16.101 --port {}",
                    config.server, config.port
                ));
            } else {
                text.push_str(&format!(
                    ".\n  Is the server running on {} and listening on port {} (and on 0.0.0.0, not only 127.0.0.1)?",
                    addr.ip(),
                    config.port
                ));
            }
            text
        }
        ErrorKind::TimedOut | ErrorKind::WouldBlock => format!(
            "no answer from {addr} within {:.0} s: the host is down or a firewall drops the SYN; check the address and the link",
            config.timeout.as_secs_f64()
        ),
        _ => format!("cannot connect to {addr}: {e} (check the address and that this machine has a route to it)"),
    }))
}

fn io_error(config: &ClientConfig, e: io::Error) -> ClientError {
    ClientError(format!("{}:{}: {e}", config.server, config.port))
}
