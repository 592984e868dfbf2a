//! Expectations on an analysis: each gives a [`Check`] that passed or failed, with the reason.
//! Pure code over the analysis; replay and live capture share it.

mod dns;

use crate::analysis::tcp::{Close, Connection};
use crate::pipeline::Analysis;

pub use dns::DnsExpectations;

/// What the user expects of a capture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectations {
    /// At least one connection, and every connection completed the 3-way handshake.
    pub handshake: bool,
    /// Every connection was closed by a FIN from both sides.
    pub close: bool,
    /// Some client→server stream contains each of these texts.
    pub payloads: Vec<String>,
    /// Every connection that carried client data got exactly that data back.
    pub echo: bool,
    /// Exactly this many connections.
    pub connections: Option<usize>,
    /// At least one connection was refused (SYN answered by RST).
    pub refused: bool,
    /// No connection saw a RST.
    pub no_rst: bool,
    /// Two handshaked connections overlapped in time.
    pub concurrent: bool,
    /// What the DNS transactions must show.
    pub dns: DnsExpectations,
}

/// The result of one expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// Which expectation (`handshake`, `payload "TEXT"`, …).
    pub name: String,
    /// Whether it held.
    pub passed: bool,
    /// Why, in a sentence.
    pub detail: String,
}

impl Expectations {
    /// True when nothing is expected.
    pub fn is_empty(&self) -> bool {
        *self == Expectations::default()
    }

    /// Evaluates every expectation against `analysis`.
    pub fn evaluate(&self, analysis: &Analysis) -> Vec<Check> {
        let conns = &analysis.connections;
        let mut checks = Vec::new();
        if self.handshake {
            checks.push(every(
                "handshake",
                conns,
                |c| c.handshake,
                |c| match (c.c2s.syn, c.refused()) {
                    (false, _) => "no SYN from the client in the capture".into(),
                    (true, true) => "refused: the SYN was answered by RST".into(),
                    (true, false) => format!("handshake incomplete (history {})", c.zeek.history),
                },
                "completed the 3-way handshake (SYN, SYN-ACK, ACK)",
            ));
        }
        if self.close {
            checks.push(every(
                "close",
                conns,
                |c| c.c2s.fin && c.s2c.fin && c.close() == Close::Fin,
                |c| match (c.close(), c.c2s.fin, c.s2c.fin) {
                    (Close::Rst, _, _) => "reset (RST) instead of closed".into(),
                    (_, false, false) => "no FIN from either side".into(),
                    (_, true, false) => "no FIN from the server".into(),
                    _ => "no FIN from the client".into(),
                },
                "closed with FIN from both sides",
            ));
        }
        for (index, text) in self.payloads.iter().enumerate() {
            let carriers: Vec<String> = conns
                .iter()
                .filter(|c| c.c2s.scan.found.get(index) == Some(&true))
                .map(|c| format!("stream {}", c.stream))
                .collect();
            checks.push(Check {
                name: format!("payload {text:?}"),
                passed: !carriers.is_empty(),
                detail: if carriers.is_empty() {
                    format!(
                        "no client→server stream of {} contains it",
                        plural(conns.len(), "connection")
                    )
                } else {
                    format!("sent by the client in {}", carriers.join(", "))
                },
            });
        }
        if self.echo {
            let carried: Vec<&Connection> = conns
                .iter()
                .filter(|c| c.c2s.bytes() > 0 || c.c2s.missing() > 0)
                .collect();
            let bad: Vec<String> = carried
                .iter()
                .filter(|c| !c.echo())
                .map(|c| {
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
                })
                .collect();
            checks.push(Check {
                name: "echo".into(),
                passed: !carried.is_empty() && bad.is_empty(),
                detail: if carried.is_empty() {
                    "no connection carried client data".into()
                } else if bad.is_empty() {
                    format!(
                        "{} echoed byte for byte",
                        plural(carried.len(), "connection")
                    )
                } else {
                    bad.join("; ")
                },
            });
        }
        if let Some(expected) = self.connections {
            checks.push(Check {
                name: format!("connections == {expected}"),
                passed: conns.len() == expected,
                detail: format!("{} in the capture", plural(conns.len(), "TCP connection")),
            });
        }
        if self.refused {
            let refused: Vec<String> = conns
                .iter()
                .filter(|c| c.refused())
                .map(|c| format!("stream {} to {}", c.stream, c.server))
                .collect();
            checks.push(Check {
                name: "refused".into(),
                passed: !refused.is_empty(),
                detail: if refused.is_empty() {
                    "no SYN was answered by RST".into()
                } else {
                    format!("SYN answered by RST: {}", refused.join(", "))
                },
            });
        }
        if self.no_rst {
            let reset: Vec<String> = conns
                .iter()
                .filter(|c| c.c2s.rst || c.s2c.rst)
                .map(|c| format!("stream {}", c.stream))
                .collect();
            checks.push(Check {
                name: "no RST".into(),
                passed: reset.is_empty(),
                detail: if reset.is_empty() {
                    format!("none of {} saw a RST", plural(conns.len(), "connection"))
                } else {
                    format!("RST in {}", reset.join(", "))
                },
            });
        }
        if self.concurrent {
            let overlap = overlapping_pair(conns);
            checks.push(Check {
                name: "concurrent".into(),
                passed: overlap.is_some(),
                detail: match overlap {
                    Some((a, b)) => format!(
                        "stream {} ({}) and stream {} ({}) were open at the same time",
                        a.stream, a.client, b.stream, b.client
                    ),
                    None => "no two handshaked connections overlapped in time".into(),
                },
            });
        }
        self.dns.evaluate(&analysis.dns.transactions, &mut checks);
        checks
    }
}

/// A check that holds when there is a connection and `ok` holds for each.
fn every(
    name: &str,
    conns: &[Connection],
    ok: impl Fn(&Connection) -> bool,
    why: impl Fn(&Connection) -> String,
    what: &str,
) -> Check {
    let bad: Vec<String> = conns
        .iter()
        .filter(|c| !ok(c))
        .map(|c| {
            format!(
                "stream {} ({} → {}): {}",
                c.stream,
                c.client,
                c.server,
                why(c)
            )
        })
        .collect();
    Check {
        name: name.into(),
        passed: !conns.is_empty() && bad.is_empty(),
        detail: if conns.is_empty() {
            "no TCP connection in the capture (check the filter and the port)".into()
        } else if bad.is_empty() {
            format!("{} {what}", all_of(conns.len()))
        } else {
            bad.join("; ")
        },
    }
}

fn overlapping_pair(conns: &[Connection]) -> Option<(&Connection, &Connection)> {
    let mut open: Vec<&Connection> = conns.iter().filter(|c| c.handshake).collect();
    open.sort_by_key(|c| c.start);
    let mut longest: Option<&Connection> = None;
    for c in open {
        if let Some(l) = longest {
            if c.start < l.end {
                return Some((l, c));
            }
        }
        if longest.is_none_or(|l| c.end > l.end) {
            longest = Some(c);
        }
    }
    None
}

pub(crate) fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        return format!("1 {what}");
    }
    match what.strip_suffix('y') {
        // query → queries (but not day → days)
        Some(stem) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{n} {stem}ies"),
        _ => format!("{n} {what}s"),
    }
}

fn all_of(n: usize) -> String {
    if n == 1 {
        "the connection".into()
    } else {
        format!("all {n} connections")
    }
}
