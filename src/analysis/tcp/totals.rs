//! Totals over every reported connection, kept as connections finish so that checks hold for a
//! capture of any size while only the first connections are kept in detail.

use super::{Close, Connection};

/// Examples kept per finding.
const EXAMPLES: usize = 5;

/// How many connections had a finding, with the first few described.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Examples {
    /// Connections with the finding.
    pub count: u64,
    /// Descriptions of the first of them.
    pub first: Vec<String>,
}

impl Examples {
    /// Counts one more; describes it while fewer than the example limit are kept.
    pub fn add(&mut self, describe: impl FnOnce() -> String) {
        self.count += 1;
        if self.first.len() < EXAMPLES {
            self.first.push(describe());
        }
    }

    /// The examples joined by `sep`, with "and N more" when some were only counted.
    pub fn list(&self, sep: &str) -> String {
        let mut text = self.first.join(sep);
        let more = self.count - self.first.len() as u64;
        if more > 0 {
            text.push_str(&format!("{sep}and {more} more"));
        }
        text
    }
}

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
    pub without_handshake: Examples,
    /// Connections not closed by a FIN from both sides, and why.
    pub not_closed: Examples,
    /// Connections refused (SYN answered by RST).
    pub refused: Examples,
    /// Connections that saw a RST.
    pub reset: Examples,
    /// Connections that carried client data.
    pub carried_data: u64,
    /// Of those, the ones whose echo did not match, and how.
    pub echo_failed: Examples,
    /// The first two handshaked connections seen open at once.
    pub concurrent: Option<(String, String)>,
}

impl TcpTotals {
    /// Adds one finished connection.
    pub fn add(&mut self, c: &Connection) {
        self.connections += 1;
        self.packets += c.packets();
        self.bytes_to_server += c.c2s.bytes();
        self.bytes_to_client += c.s2c.bytes();
        self.retransmissions += c.retransmissions;
        let who = || format!("stream {} ({} → {})", c.stream, c.client, c.server);
        if !c.handshake {
            self.without_handshake.add(|| {
                let why = match (c.c2s.syn, c.refused()) {
                    (false, _) => "no SYN from the client in the capture".to_string(),
                    (true, true) => "refused: the SYN was answered by RST".to_string(),
                    (true, false) => format!("handshake incomplete (history {})", c.zeek.history),
                };
                format!("{}: {why}", who())
            });
        }
        if !(c.c2s.fin && c.s2c.fin && c.close() == Close::Fin) {
            self.not_closed.add(|| {
                let why = match (c.close(), c.c2s.fin, c.s2c.fin) {
                    (Close::Rst, _, _) => "reset (RST) instead of closed",
                    (_, false, false) => "no FIN from either side",
                    (_, true, false) => "no FIN from the server",
                    _ => "no FIN from the client",
                };
                format!("{}: {why}", who())
            });
        }
        if c.refused() {
            self.refused
                .add(|| format!("stream {} to {}", c.stream, c.server));
        }
        if c.c2s.rst || c.s2c.rst {
            self.reset.add(|| format!("stream {}", c.stream));
        }
        if c.c2s.bytes() > 0 || c.c2s.missing() > 0 {
            self.carried_data += 1;
            if !c.echo() {
                self.echo_failed.add(|| {
                    format!(
                        "stream {} sent {} bytes, got {} back{}",
                        c.stream,
                        c.c2s.bytes(),
                        c.s2c.bytes(),
                        if c.c2s.missing() + c.s2c.missing() > 0 {
                            " (bytes missing from the capture)"
                        } else {
                            " (different bytes)"
                        }
                    )
                });
            }
        }
    }
}
