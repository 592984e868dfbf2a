//! Totals over every reported connection, kept as connections finish so that checks hold for a
//! capture of any size while only the first connections are kept in detail. Findings are data:
//! the checks put them into words.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::{Close, Connection, Endpoint};
use crate::analysis::Examples;

/// The connection a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnRef {
    /// Its `tcp.stream`.
    pub stream: u32,
    /// Its client.
    pub client: Endpoint,
    /// Its server.
    pub server: Endpoint,
}

/// What was wrong with a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// No SYN from the client was captured.
    NoSyn,
    /// The SYN was answered by RST.
    Refused,
    /// The handshake did not complete; the Zeek history.
    Incomplete(String),
    /// Reset (RST) instead of closed.
    Reset,
    /// Neither side sent a FIN.
    NoFin,
    /// Only the client sent a FIN.
    NoServerFin,
    /// Only the server sent a FIN.
    NoClientFin,
    /// The server's bytes were not the client's.
    EchoDiffers {
        /// Client bytes.
        sent: u64,
        /// Server bytes.
        got: u64,
        /// Bytes were missing from the capture.
        missing: bool,
    },
}

/// A connection and what was wrong with it.
pub type Found = (ConnRef, Finding);

/// Totals over the reported connections.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpTotals {
    /// Connections reported.
    pub connections: u64,
    /// Packets in them.
    pub packets: u64,
    /// Payload bytes client → server.
    pub bytes_to_server: u64,
    /// Payload bytes server → client.
    pub bytes_to_client: u64,
    /// Segments flagged as retransmissions.
    pub retransmissions: u64,
    /// Connections without a complete 3-way handshake, and why.
    pub without_handshake: Examples<Found>,
    /// Connections not closed by a FIN from both sides, and why.
    pub not_closed: Examples<Found>,
    /// Connections refused (SYN answered by RST).
    pub refused: Examples<ConnRef>,
    /// Connections that saw a RST.
    pub reset: Examples<ConnRef>,
    /// Connections that carried client data.
    pub carried_data: u64,
    /// Of those, the ones whose echo did not match, and how.
    pub echo_failed: Examples<Found>,
    /// The first two handshaked connections seen open at once.
    pub concurrent: Option<(ConnRef, ConnRef)>,
    /// The most handshaked connections open at once.
    pub peak_concurrent: u64,
    /// Client addresses of handshaked connections (the first ones).
    pub clients: BTreeSet<IpAddr>,
    /// Connections whose SYN got no answer.
    pub no_reply: Examples<ConnRef>,
    /// How long the handshaked connections lasted, summed (for the mean).
    pub duration_sum: std::time::Duration,
    /// Connections closed early to stay within the memory cap: what is said of them above
    /// was cut short.
    pub evicted: Examples<ConnRef>,
}

/// Client addresses remembered.
const CLIENTS: usize = 4096;

/// The stream of an example connection (examples are kept lowest streams first).
fn ref_stream(r: &ConnRef) -> u32 {
    r.stream
}

/// The stream of an example finding.
fn found_stream(f: &Found) -> u32 {
    f.0.stream
}

impl TcpTotals {
    /// Adds one finished connection.
    pub fn add(&mut self, c: &Connection) {
        self.connections += 1;
        self.packets += c.packets();
        self.bytes_to_server += c.c2s.bytes();
        self.bytes_to_client += c.s2c.bytes();
        self.retransmissions += c.retransmissions;
        let conn = ConnRef {
            stream: c.stream,
            client: c.client,
            server: c.server,
        };
        if !c.handshake {
            self.without_handshake.add_lowest(
                c.stream,
                || {
                    let why = match (c.c2s.syn, c.refused()) {
                        (false, _) => Finding::NoSyn,
                        (true, true) => Finding::Refused,
                        (true, false) => Finding::Incomplete(c.zeek.history.as_str().to_string()),
                    };
                    (conn, why)
                },
                found_stream,
            );
        }
        if !(c.c2s.fin && c.s2c.fin && c.close() == Close::Fin) {
            self.not_closed.add_lowest(
                c.stream,
                || {
                    let why = match (c.close(), c.c2s.fin, c.s2c.fin) {
                        (Close::Rst, _, _) => Finding::Reset,
                        (_, false, false) => Finding::NoFin,
                        (_, true, false) => Finding::NoServerFin,
                        _ => Finding::NoClientFin,
                    };
                    (conn, why)
                },
                found_stream,
            );
        }
        if c.handshake {
            if self.clients.len() < CLIENTS {
                self.clients.insert(c.client.ip);
            }
            self.duration_sum += c.end.saturating_sub(c.start);
        }
        if c.evicted {
            self.evicted.add_lowest(c.stream, || conn, ref_stream);
        }
        if c.unanswered() {
            self.no_reply.add_lowest(c.stream, || conn, ref_stream);
        }
        if c.refused() {
            self.refused.add_lowest(c.stream, || conn, ref_stream);
        }
        if c.c2s.rst || c.s2c.rst {
            self.reset.add_lowest(c.stream, || conn, ref_stream);
        }
        if c.c2s.bytes() > 0 || c.c2s.missing() > 0 {
            self.carried_data += 1;
            if !c.echo() {
                self.echo_failed.add_lowest(
                    c.stream,
                    || {
                        let why = Finding::EchoDiffers {
                            sent: c.c2s.bytes(),
                            got: c.s2c.bytes(),
                            missing: c.c2s.missing() + c.s2c.missing() > 0,
                        };
                        (conn, why)
                    },
                    found_stream,
                );
            }
        }
    }
}
