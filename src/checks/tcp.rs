//! Expectations on TCP connections (lab tasks 2–4: refused, handshake, echo, close, at once).

use super::observe::Observation;
use super::{count, missing_observer, plural, Expect};
use crate::analysis::tcp::{ConnRef, Finding, Found, TcpTotals};
use crate::analysis::Examples;

/// Whether `e` holds over the TCP totals (and its observation), and why.
pub(super) fn evaluate(
    e: &Expect,
    t: &TcpTotals,
    observed: Option<&Observation>,
) -> (bool, String) {
    let total = count(t.connections);
    match e {
        Expect::Handshake => every(
            total,
            &t.without_handshake,
            "completed the 3-way handshake (SYN, SYN-ACK, ACK)",
        ),
        Expect::Close => every(total, &t.not_closed, "closed with FIN from both sides"),
        Expect::Payload(_) => match observed {
            Some(Observation::Payload(found)) if found.count > 0 => (
                true,
                format!("sent by the client in {}", found.list(", ", stream)),
            ),
            Some(Observation::Payload(_)) => (
                false,
                format!(
                    "no client→server stream of {} contains it",
                    plural(total, "connection")
                ),
            ),
            _ => missing_observer(),
        },
        Expect::Echo => {
            let carried = count(t.carried_data);
            let detail = if carried == 0 {
                "no connection carried client data".into()
            } else if t.echo_failed.count == 0 {
                format!("{} echoed byte for byte", plural(carried, "connection"))
            } else {
                t.echo_failed.list("; ", found)
            };
            (carried > 0 && t.echo_failed.count == 0, detail)
        }
        Expect::Connections(expected) => (
            total == *expected,
            format!("{} in the capture", plural(total, "TCP connection")),
        ),
        Expect::Refused => (
            t.refused.count > 0,
            if t.refused.count == 0 {
                "no SYN was answered by RST".into()
            } else {
                format!(
                    "SYN answered by RST: {}",
                    t.refused
                        .list(", ", |c| format!("stream {} to {}", c.stream, c.server))
                )
            },
        ),
        Expect::NoRst => (
            t.reset.count == 0,
            if t.reset.count == 0 {
                format!("none of {} saw a RST", plural(total, "connection"))
            } else {
                format!(
                    "RST in {}",
                    t.reset.list(", ", |c| format!("stream {}", c.stream))
                )
            },
        ),
        Expect::Concurrent => match &t.concurrent {
            Some((a, b)) => (
                true,
                format!("{} and {} were open at the same time", client(a), client(b)),
            ),
            None => (
                false,
                "no two handshaked connections were open at the same time".into(),
            ),
        },
        Expect::MinConcurrent(n) => (
            t.peak_concurrent >= *n as u64,
            format!(
                "at most {} open at once",
                plural(count(t.peak_concurrent), "connection")
            ),
        ),
        Expect::Clients(want) => {
            let missing: Vec<String> = want
                .iter()
                .filter(|a| !t.clients.contains(a))
                .map(ToString::to_string)
                .collect();
            let seen: Vec<String> = t.clients.iter().take(8).map(ToString::to_string).collect();
            let seen = format!(
                "clients seen: {}{}",
                if seen.is_empty() {
                    "none".to_string()
                } else {
                    seen.join(", ")
                },
                if t.clients.len() > 8 { ", …" } else { "" }
            );
            if missing.is_empty() {
                (true, seen)
            } else {
                (
                    false,
                    format!(
                        "no handshaked connection from {} ({seen})",
                        missing.join(", ")
                    ),
                )
            }
        }
        Expect::NoUnansweredSyn => (
            total > 0 && t.no_reply.count == 0,
            if total == 0 {
                "no TCP connection in the capture (check the filter and the port)".into()
            } else if t.no_reply.count == 0 {
                format!("every SYN of {} was answered", plural(total, "connection"))
            } else {
                format!(
                    "no reply to the SYN of {}",
                    t.no_reply
                        .list(", ", |c| format!("stream {} to {}", c.stream, c.server))
                )
            },
        ),
        Expect::NotInClear(text) => match observed {
            Some(Observation::Payload(_)) if total == 0 => (
                false,
                "no TCP connection in the capture (check the filter and the port)".into(),
            ),
            Some(Observation::Payload(found)) if found.count == 0 => (
                true,
                format!(
                    "none of {} carries it in clear",
                    plural(total, "connection")
                ),
            ),
            Some(Observation::Payload(found)) => (
                false,
                format!("{text:?} in clear in {}", found.list(", ", stream)),
            ),
            _ => missing_observer(),
        },
        Expect::ServerSegments(want) => match observed {
            Some(Observation::ServerSegments(seen)) => {
                let shown: Vec<String> = seen
                    .first
                    .iter()
                    .map(|(stream, sizes)| format!("stream {stream} {sizes:?}"))
                    .collect();
                let mut detail = if seen.connections == 0 {
                    "no handshaked connection in the capture".to_string()
                } else {
                    format!("server data segments: {}", shown.join(", "))
                };
                let more = seen.connections - seen.first.len() as u64;
                if more > 0 {
                    detail.push_str(&format!(" and {more} more"));
                }
                if seen.wrong > 0 {
                    detail.push_str(&format!(
                        " ({} of {} not {want:?})",
                        seen.wrong,
                        plural(count(seen.connections), "connection")
                    ));
                }
                (seen.connections > 0 && seen.wrong == 0, detail)
            }
            _ => missing_observer(),
        },
        _ => unreachable!("only TCP expectations are evaluated by checks::tcp"),
    }
}

/// `stream 3`.
fn stream(s: &u32) -> String {
    format!("stream {s}")
}

/// Holds when there are connections and none has the finding.
fn every(total: usize, failing: &Examples<Found>, what: &str) -> (bool, String) {
    let detail = if total == 0 {
        "no TCP connection in the capture (check the filter and the port)".into()
    } else if failing.count == 0 {
        format!("{} {what}", all_of(total))
    } else {
        failing.list("; ", found)
    };
    (total > 0 && failing.count == 0, detail)
}

/// `stream 2 (172.16.16.102:34542)`.
fn client(c: &ConnRef) -> String {
    format!("stream {} ({})", c.stream, c.client)
}

/// A connection's finding in words.
fn found((c, finding): &Found) -> String {
    let who = format!("stream {} ({} → {})", c.stream, c.client, c.server);
    let why = match finding {
        Finding::NoSyn => "no SYN from the client in the capture".to_string(),
        Finding::Refused => "refused: the SYN was answered by RST".to_string(),
        Finding::Incomplete(history) => format!("handshake incomplete (history {history})"),
        Finding::Reset => "reset (RST) instead of closed".to_string(),
        Finding::NoFin => "no FIN from either side".to_string(),
        Finding::NoServerFin => "no FIN from the server".to_string(),
        Finding::NoClientFin => "no FIN from the client".to_string(),
        Finding::EchoDiffers { sent, got, missing } => {
            return format!(
                "stream {} sent {sent} bytes, got {got} back{}",
                c.stream,
                if *missing {
                    " (bytes missing from the capture)"
                } else {
                    " (different bytes)"
                }
            )
        }
    };
    format!("{who}: {why}")
}

fn all_of(n: usize) -> String {
    if n == 1 {
        "the connection".into()
    } else {
        format!("all {n} connections")
    }
}
