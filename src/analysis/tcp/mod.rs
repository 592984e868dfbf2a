//! TCP analysis: connections keyed by 4-tuple and numbered like Wireshark's `tcp.stream`,
//! relative sequence numbers, `tcp.analysis.*` findings, reassembly, echo check and Zeek state.

mod connection;
mod reassembly;
mod sequence;
mod state;

use std::collections::HashMap;

pub use connection::{Close, Connection, Event, Half};
pub use sequence::Findings;

pub use super::Endpoint;

use crate::wire::{Packet, TcpFlags};

/// Which way a segment went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the client to the server.
    ClientToServer,
    /// From the server to the client.
    ServerToClient,
}

impl Direction {
    /// `c2s` or `s2c`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::ClientToServer => "c2s",
            Direction::ServerToClient => "s2c",
        }
    }
}

/// Limits and inputs of the analysis.
#[derive(Clone, Debug)]
pub struct TcpConfig {
    /// Events kept per connection for timelines and JSON.
    pub max_events: usize,
    /// Payload bytes kept per direction for display.
    pub preview_bytes: usize,
    /// Bytes held per direction for out-of-order segments and per connection for the echo check.
    pub reassembly_limit: usize,
    /// Texts to look for in every stream (`--expect-payload`).
    pub needles: Vec<Vec<u8>>,
}

impl Default for TcpConfig {
    fn default() -> TcpConfig {
        TcpConfig {
            max_events: 10_000,
            preview_bytes: 64 * 1024,
            reassembly_limit: 4 << 20,
            needles: Vec::new(),
        }
    }
}

/// What the analysis says of one segment, for the packet list.
#[derive(Clone, Copy, Debug)]
pub struct SegmentInfo {
    /// `tcp.stream`.
    pub stream: u32,
    /// The event as recorded.
    pub event: Event,
}

type Key = (Endpoint, Endpoint);

fn key(a: Endpoint, b: Endpoint) -> Key {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// Tracks every TCP connection of a capture.
#[derive(Debug, Default)]
pub struct TcpAnalyzer {
    config: TcpConfig,
    table: HashMap<Key, usize>,
    connections: Vec<Connection>,
}

impl TcpAnalyzer {
    /// An analyzer with the given limits.
    pub fn new(config: TcpConfig) -> TcpAnalyzer {
        TcpAnalyzer {
            config,
            table: HashMap::new(),
            connections: Vec::new(),
        }
    }

    /// Feeds one packet; `matched` says whether the filter selected it. Returns the segment's
    /// stream and event for a TCP packet.
    pub fn on_packet(&mut self, packet: &Packet<'_>, matched: bool) -> Option<SegmentInfo> {
        let tcp = packet.tcp()?;
        let ip = packet.ip?;
        let src = Endpoint {
            ip: ip.src,
            port: tcp.src_port,
        };
        let dst = Endpoint {
            ip: ip.dst,
            port: tcp.dst_port,
        };
        let key = key(src, dst);
        let index = match self.table.get(&key) {
            Some(&i) if !self.connections[i].restarted_by(tcp.flags, tcp.seq) => i,
            _ => {
                let (client, server) = orient(src, dst, tcp.flags);
                let stream = self.connections.len() as u32;
                self.connections
                    .push(Connection::new(stream, client, server, packet.ts));
                self.table.insert(key, stream as usize);
                stream as usize
            }
        };
        let connection = &mut self.connections[index];
        let dir = if src == connection.client {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        let event = connection.on_segment(dir, tcp, packet.ts, matched, &self.config);
        Some(SegmentInfo {
            stream: connection.stream,
            event,
        })
    }

    /// How many matched connections have ended (FIN both ways, or RST).
    pub fn ended(&self) -> usize {
        self.connections
            .iter()
            .filter(|c| c.matched && c.ended())
            .count()
    }

    /// Ends the analysis: the connections any matched packet belongs to, by stream index.
    pub fn finish(mut self) -> Vec<Connection> {
        for connection in &mut self.connections {
            connection.finish(&self.config);
        }
        self.connections.retain(|c| c.matched);
        self.connections
    }
}

/// Who is the client: the SYN's sender, the SYN-ACK's receiver, or, for a connection seen
/// mid-way, the side with the higher (ephemeral) port.
fn orient(src: Endpoint, dst: Endpoint, flags: TcpFlags) -> (Endpoint, Endpoint) {
    let syn = flags.has(TcpFlags::SYN);
    let ack = flags.has(TcpFlags::ACK);
    if (syn && ack) || (!syn && src.port < dst.port) {
        (dst, src)
    } else {
        (src, dst)
    }
}
