//! Expectations on an analysis: each gives a [`Check`] that passed or failed, with the reason.
//! Pure code over the analysis; replay and live capture share it.

mod dns;

use crate::analysis::tcp::Examples;
use crate::pipeline::{Analysis, PipelineOptions};

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
    /// Tells the analysis what these expectations will ask of it: the texts to search the
    /// streams for and the DNS names to keep statistics of.
    pub fn prepare(&self, options: &mut PipelineOptions) {
        options.tcp.needles = self
            .payloads
            .iter()
            .map(|t| t.as_bytes().to_vec())
            .collect();
        options.dns.watch = self.dns.names();
    }

    /// Evaluates every expectation against `analysis`.
    pub fn evaluate(&self, analysis: &Analysis) -> Vec<Check> {
        let t = &analysis.tcp;
        let total = usize::try_from(t.connections).unwrap_or(usize::MAX);
        let mut checks = Vec::new();
        if self.handshake {
            checks.push(every(
                "handshake",
                total,
                &t.without_handshake,
                "completed the 3-way handshake (SYN, SYN-ACK, ACK)",
            ));
        }
        if self.close {
            checks.push(every(
                "close",
                total,
                &t.not_closed,
                "closed with FIN from both sides",
            ));
        }
        for (index, text) in self.payloads.iter().enumerate() {
            let carriers = t.payload_found.get(index).filter(|e| e.count > 0);
            checks.push(Check {
                name: format!("payload {text:?}"),
                passed: carriers.is_some(),
                detail: match carriers {
                    Some(e) => format!("sent by the client in {}", e.list(", ")),
                    None => format!(
                        "no client→server stream of {} contains it",
                        plural(total, "connection")
                    ),
                },
            });
        }
        if self.echo {
            let carried = usize::try_from(t.carried_data).unwrap_or(usize::MAX);
            checks.push(Check {
                name: "echo".into(),
                passed: carried > 0 && t.echo_failed.count == 0,
                detail: if carried == 0 {
                    "no connection carried client data".into()
                } else if t.echo_failed.count == 0 {
                    format!("{} echoed byte for byte", plural(carried, "connection"))
                } else {
                    t.echo_failed.list("; ")
                },
            });
        }
        if let Some(expected) = self.connections {
            checks.push(Check {
                name: format!("connections == {expected}"),
                passed: total == expected,
                detail: format!("{} in the capture", plural(total, "TCP connection")),
            });
        }
        if self.refused {
            checks.push(Check {
                name: "refused".into(),
                passed: t.refused.count > 0,
                detail: if t.refused.count == 0 {
                    "no SYN was answered by RST".into()
                } else {
                    format!("SYN answered by RST: {}", t.refused.list(", "))
                },
            });
        }
        if self.no_rst {
            checks.push(Check {
                name: "no RST".into(),
                passed: t.reset.count == 0,
                detail: if t.reset.count == 0 {
                    format!("none of {} saw a RST", plural(total, "connection"))
                } else {
                    format!("RST in {}", t.reset.list(", "))
                },
            });
        }
        if self.concurrent {
            checks.push(Check {
                name: "concurrent".into(),
                passed: t.concurrent.is_some(),
                detail: match &t.concurrent {
                    Some((a, b)) => format!("{a} and {b} were open at the same time"),
                    None => "no two handshaked connections were open at the same time".into(),
                },
            });
        }
        self.dns.evaluate(&analysis.dns, &mut checks);
        checks
    }
}

/// A check that holds when there are connections and none has the finding.
fn every(name: &str, total: usize, failing: &Examples, what: &str) -> Check {
    Check {
        name: name.into(),
        passed: total > 0 && failing.count == 0,
        detail: if total == 0 {
            "no TCP connection in the capture (check the filter and the port)".into()
        } else if failing.count == 0 {
            format!("{} {what}", all_of(total))
        } else {
            failing.list("; ")
        },
    }
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
