//! The terminal report: connections table, per-connection timeline and payload, checks and
//! the packet counts.

use std::fmt::Write;
use std::time::Duration;

mod cells;
mod layout;

use cells::Cells;
pub use layout::Table;
use layout::{field, forms, Col};

use super::escape::{escape_bytes, escape_text, hexdump};
use crate::analysis::dns::Transaction;
use crate::analysis::http::HttpTransaction;
use crate::analysis::messages::{Exchange, Message};
use crate::analysis::tcp::{Connection, Direction};
use crate::analysis::tls::handshake::{cipher_name, version_name};
use crate::analysis::tls::TlsSession;
use crate::analysis::udp::UdpConversation;
use crate::checks::{plural, Check};
use crate::pipeline::{signed_nanos, Analysis};
use crate::wire::dns::{rcode_name, type_name};

/// How to show payload bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PayloadStyle {
    /// Not at all.
    None,
    /// As text, control bytes escaped.
    Text,
    /// As a hexdump.
    Hex,
}

/// Text from a capture, escaped for a terminal (see [`escape_text`]).
fn escape_owned(text: &str) -> String {
    escape_text(text).into_owned()
}

/// Seconds since `origin`, with microseconds, signed.
fn seconds(ts: Duration, origin: Duration) -> super::Seconds {
    super::Seconds {
        nanos: signed_nanos(ts) - signed_nanos(origin),
        digits: 6,
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// How the text report is drawn, decided once by the command line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    /// Colour: PASS green, FAIL red, warnings yellow (ANSI).
    pub color: bool,
    /// The width tables fit in (a terminal's); `None` (not a terminal): every column at full
    /// width and nothing wrapped, a stable form for programs and files.
    pub width: Option<usize>,
}

/// What a coloured text means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Passed (green).
    Pass,
    /// Failed (red).
    Fail,
    /// Worth a look (yellow): not evaluated, missing, retransmitted, unanswered.
    Warn,
}

/// `text` in the colour of `tone` when `color`, as it is otherwise.
pub fn paint(text: &str, tone: Tone, color: bool) -> String {
    let mut out = String::new();
    push_painted(&mut out, text, tone, color);
    out
}

/// [`paint`] into `out`.
pub fn push_painted(out: &mut String, text: &str, tone: Tone, color: bool) {
    if !color {
        out.push_str(text);
        return;
    }
    let code = match tone {
        Tone::Pass => "32",
        Tone::Fail => "31",
        Tone::Warn => "33",
    };
    let _ = write!(out, "\x1b[{code}m{text}\x1b[0m");
}

/// A column of texts each made as a string of its own (the composite ones of the smaller
/// tables).
fn cells<T>(rows: &[T], text: impl Fn(&T) -> String) -> Cells {
    Cells::write(rows, |out, row| out.push_str(&text(row)))
}

/// A latency in milliseconds (`0.543 ms`), or `-`: `{:.3}` of the milliseconds as a float.
/// That is the microseconds rounded to nearest, written here from the integer (a float
/// formatted exactly costs more than the rest of a row), except for a tie (…500 ns) and
/// past a day, where the float's own rounding is left to decide.
fn write_latency(out: &mut String, latency: Option<Duration>) {
    let Some(l) = latency else {
        out.push('-');
        return;
    };
    let nanos = l.as_nanos();
    if nanos % 1000 == 500 || l.as_secs() >= 86_400 {
        let _ = write!(out, "{:.3} ms", l.as_secs_f64() * 1e3);
        return;
    }
    let micros = (nanos + 500) / 1000;
    cells::push_int(out, micros / 1000);
    out.push('.');
    let frac = micros % 1000;
    if frac < 100 {
        out.push('0');
    }
    if frac < 10 {
        out.push('0');
    }
    cells::push_int(out, frac);
    out.push_str(" ms");
}

/// The connections table. Narrow, it keeps the stream, the addresses, the state, the bytes
/// (as `46/46`) and the echo first.
pub fn connections_table(conns: &[Connection], origin: Duration, style: Style) -> Table {
    let fields = [
        field(0, Col::new("Stream", Cells::int(conns, |c| c.stream))),
        field(0, Col::new("Client", Cells::endpoint(conns, |c| c.client))),
        field(0, Col::new("Server", Cells::endpoint(conns, |c| c.server))),
        field(
            1,
            Col::new("State", Cells::text(conns, |c| c.zeek.conn_state())),
        ),
        field(
            9,
            Col::new("History", Cells::text(conns, |c| c.zeek.history.as_str())),
        ),
        field(
            6,
            Col::new("Handshake", Cells::text(conns, |c| yes_no(c.handshake))),
        ),
        field(
            5,
            Col::new(
                "Close",
                Cells::text(conns, |c| {
                    if c.refused() {
                        "refused"
                    } else {
                        c.close().as_str()
                    }
                }),
            ),
        ),
        field(
            7,
            Col::new("Packets", Cells::int(conns, |c| c.packets())).right(),
        ),
        forms(
            2,
            vec![
                vec![
                    Col::new("Bytes c→s", Cells::int(conns, |c| c.c2s.bytes())).right(),
                    Col::new("Bytes s→c", Cells::int(conns, |c| c.s2c.bytes())).right(),
                ],
                vec![Col::new(
                    "Bytes c→s/s→c",
                    Cells::write(conns, |out, c| {
                        let _ = write!(out, "{}/{}", c.c2s.bytes(), c.s2c.bytes());
                    }),
                )
                .right()],
            ],
        ),
        field(
            4,
            Col::new("Retrans", Cells::int(conns, |c| c.retransmissions))
                .right()
                .tones(
                    conns
                        .iter()
                        .map(|c| (c.retransmissions > 0).then_some(Tone::Warn))
                        .collect(),
                ),
        ),
        field(
            3,
            Col::new(
                "Echo",
                Cells::text(conns, |c| {
                    if c.c2s.bytes() == 0 {
                        "-"
                    } else {
                        yes_no(c.echo())
                    }
                }),
            ),
        ),
        field(
            10,
            Col::new("Start", Cells::seconds(conns, |c| seconds(c.start, origin))).right(),
        ),
        field(
            8,
            Col::new(
                "Duration",
                Cells::seconds(conns, |c| seconds(c.end, c.start)),
            )
            .right(),
        ),
    ];
    Table::new(fields.into(), conns.len(), style)
}

/// Characters of a message shown in the exchanges table.
const MESSAGE_CELL: usize = 40;

/// The exchanges table: each request and its response, escaped and cut. Narrow, the request
/// and the response come first, and wrap, then the stream and the latency.
pub fn exchanges_table(exchanges: &[Exchange], origin: Duration, style: Style) -> Table {
    let text = |m: Option<&Message>| match m {
        None => "-".to_string(),
        Some(m) => {
            let shown = escape_bytes(&m.bytes[..m.bytes.len().min(MESSAGE_CELL)]);
            if m.len > MESSAGE_CELL as u64 {
                format!("{shown}… ({} bytes)", m.len)
            } else {
                shown
            }
        }
    };
    let fields = [
        field(
            4,
            Col::new(
                "Time",
                Cells::seconds(exchanges, |e| seconds(e.t(), origin)),
            )
            .right(),
        ),
        field(
            1,
            Col::new("Stream", Cells::int(exchanges, |e| e.stream)).right(),
        ),
        field(
            3,
            Col::new("Client", Cells::endpoint(exchanges, |e| e.client)),
        ),
        field(
            0,
            Col::new("Request", cells(exchanges, |e| text(e.request.as_ref()))).wrap(),
        ),
        field(
            0,
            Col::new("Response", cells(exchanges, |e| text(e.response.as_ref()))).wrap(),
        ),
        field(
            2,
            Col::new(
                "Latency",
                Cells::write(exchanges, |out, e| write_latency(out, e.latency())),
            )
            .right(),
        ),
    ];
    Table::new(fields.into(), exchanges.len(), style)
}

/// The HTTP transactions table. Narrow, the request and the status come first.
pub fn http_table(transactions: &[HttpTransaction], origin: Duration, style: Style) -> Table {
    // Each text is put together here, then escaped into its cell.
    let mut text = String::new();
    let request = Cells::write(transactions, |out, t| {
        text.clear();
        text.push_str(t.request.method.as_deref().unwrap_or("?"));
        text.push(' ');
        text.push_str(t.request.uri.as_deref().unwrap_or("?"));
        out.push_str(&escape_text(&text));
    });
    let status = Cells::write(transactions, |out, t| match &t.response {
        Some(r) => {
            text.clear();
            cells::push_int(&mut text, r.status.unwrap_or(0));
            text.push(' ');
            text.push_str(r.reason.as_deref().unwrap_or(""));
            if let Some(l) = &r.location {
                text.push_str(" → ");
                text.push_str(&escape_text(l));
            }
            out.push_str(&escape_text(text.trim_end()));
        }
        None => out.push_str("no response"),
    });
    let kind = Cells::text(transactions, |t| {
        escape_text(
            t.response
                .as_ref()
                .and_then(|r| r.content_type.as_deref())
                .unwrap_or_default(),
        )
    });
    let t = transactions;
    let fields = [
        field(
            6,
            Col::new("Time", Cells::seconds(t, |t| seconds(t.t, origin))).right(),
        ),
        field(1, Col::new("Stream", Cells::int(t, |t| t.stream)).right()),
        field(3, Col::new("Client", Cells::endpoint(t, |t| t.client))),
        field(0, Col::new("Request", request).wrap()),
        field(
            0,
            Col::new("Status", status).wrap().tones(
                transactions
                    .iter()
                    .map(|t| t.response.is_none().then_some(Tone::Warn))
                    .collect(),
            ),
        ),
        field(2, Col::new("Type", kind)),
        field(
            4,
            Col::new("Body", Cells::int(t, |t| t.response_body)).right(),
        ),
        field(
            5,
            Col::new(
                "Latency",
                Cells::write(t, |out, t| write_latency(out, t.latency())),
            )
            .right(),
        ),
    ];
    Table::new(fields.into(), transactions.len(), style)
}

/// The TLS handshakes table. Narrow, the stream, SNI, version and certificate come first.
pub fn tls_table(sessions: &[TlsSession], style: Style) -> Table {
    let cert = |s: &TlsSession| match &s.server_hello.cert_subject {
        Some(subject) => {
            let mut text = escape_owned(subject);
            if !s.server_hello.cert_san.is_empty() {
                let san = escape_owned(&s.server_hello.cert_san.join(", "));
                let _ = write!(text, "\nSAN {san}");
            }
            text
        }
        None => "(encrypted)".to_string(),
    };
    let s = sessions;
    let fields = [
        field(0, Col::new("Stream", Cells::int(s, |s| s.stream)).right()),
        field(3, Col::new("Client", Cells::endpoint(s, |s| s.client))),
        field(2, Col::new("Server", Cells::endpoint(s, |s| s.server))),
        field(
            0,
            Col::new(
                "SNI",
                Cells::text(s, |s| {
                    escape_text(s.client_hello.sni.as_deref().unwrap_or("-"))
                }),
            ),
        ),
        field(
            0,
            Col::new(
                "Version",
                cells(s, |s| s.version().map_or("-".to_string(), version_name)),
            ),
        ),
        field(
            4,
            Col::new(
                "Cipher",
                cells(s, |s| {
                    s.server_hello.cipher.map_or("-".to_string(), cipher_name)
                }),
            ),
        ),
        field(
            5,
            Col::new(
                "ALPN",
                cells(s, |s| escape_owned(&s.server_hello.alpn.join(","))),
            ),
        ),
        field(1, Col::new("Certificate", cells(s, cert)).wrap()),
    ];
    Table::new(fields.into(), sessions.len(), style)
}

/// The UDP conversations table, like `tshark -z conv,udp`. Narrow, the stream, the two
/// addresses and the datagrams each way come first, the bytes as `65/0`.
pub fn udp_table(conversations: &[UdpConversation], origin: Duration, style: Style) -> Table {
    let c = conversations;
    let fields = [
        field(0, Col::new("Stream", Cells::int(c, |c| c.stream)).right()),
        field(0, Col::new("A", Cells::endpoint(c, |c| c.a))),
        field(0, Col::new("B", Cells::endpoint(c, |c| c.b))),
        field(
            1,
            Col::new("A→B", Cells::int(c, |c| c.a_to_b.datagrams)).right(),
        ),
        field(
            1,
            Col::new("B→A", Cells::int(c, |c| c.b_to_a.datagrams)).right(),
        ),
        forms(
            2,
            vec![
                vec![
                    Col::new("Bytes A→B", Cells::int(c, |c| c.a_to_b.bytes)).right(),
                    Col::new("Bytes B→A", Cells::int(c, |c| c.b_to_a.bytes)).right(),
                ],
                vec![Col::new(
                    "Bytes A→B/B→A",
                    Cells::write(c, |out, c| {
                        let _ = write!(out, "{}/{}", c.a_to_b.bytes, c.b_to_a.bytes);
                    }),
                )
                .right()],
            ],
        ),
        field(
            3,
            Col::new("Bcast", Cells::int(c, |c| c.broadcasts)).right(),
        ),
        field(
            5,
            Col::new("Start", Cells::seconds(c, |c| seconds(c.first, origin))).right(),
        ),
        field(
            4,
            Col::new("Duration", Cells::seconds(c, |c| seconds(c.last, c.first))).right(),
        ),
    ];
    Table::new(fields.into(), conversations.len(), style)
}

/// Lower-case hexadecimal digits.
const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// The DNS transactions table. Narrow, the name, type, response code and answers come
/// first, then the server.
pub fn dns_table(transactions: &[Transaction], origin: Duration, style: Style) -> Table {
    let rcode = |out: &mut String, t: &Transaction| {
        match t.rcode {
            Some(code) => out.push_str(&rcode_name(code)),
            None => out.push_str("unanswered"),
        }
        if t.retries > 0 {
            let _ = write!(out, " ({} retries)", t.retries);
        }
        if t.query_ts.is_none() {
            out.push_str(" (query not captured)");
        }
    };
    let answers = |out: &mut String, t: &Transaction| {
        if t.answers.is_empty() {
            out.push('-');
        }
        for (i, a) in t.answers.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            // The record's summary (`TYPE DATA`), escaped, without a string of its own.
            out.push_str(&escape_text(&type_name(a.rtype)));
            if !a.data.is_empty() {
                out.push(' ');
                out.push_str(&escape_text(&a.data));
            }
        }
    };
    let t = transactions;
    let fields = [
        field(
            6,
            Col::new(
                "Time",
                Cells::seconds(t, |t| seconds(t.first_seen(), origin)),
            )
            .right(),
        ),
        field(
            5,
            Col::new(
                "Id",
                Cells::write(t, |out, t| {
                    out.push_str("0x");
                    for shift in [12, 8, 4, 0] {
                        out.push(HEX_DIGITS[usize::from(t.id >> shift) & 0xf].into());
                    }
                }),
            ),
        ),
        field(4, Col::new("Client", Cells::endpoint(t, |t| t.client))),
        field(2, Col::new("Server", Cells::endpoint(t, |t| t.server))),
        field(
            7,
            Col::new("Proto", Cells::text(t, |t| t.transport.as_str())),
        ),
        field(
            0,
            Col::new("Query", Cells::text(t, |t| escape_text(&t.qname))),
        ),
        field(0, Col::new("Type", Cells::text(t, |t| type_name(t.qtype)))),
        field(
            0,
            Col::new("Rcode", Cells::write(t, rcode)).wrap().tones(
                t.iter()
                    .map(|t| (t.rcode.is_none() || t.query_ts.is_none()).then_some(Tone::Warn))
                    .collect(),
            ),
        ),
        field(1, Col::new("Answers", Cells::write(t, answers)).wrap()),
        field(
            3,
            Col::new(
                "Latency",
                Cells::write(t, |out, t| write_latency(out, t.latency())),
            )
            .right(),
        ),
    ];
    Table::new(fields.into(), transactions.len(), style)
}

/// One connection's timeline and payload; the findings (retransmissions, …) in yellow when
/// `color`.
pub fn connection_detail(
    c: &Connection,
    origin: Duration,
    payload: PayloadStyle,
    color: bool,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Stream {}: {} → {}  state {} history {}  {} packets",
        c.stream,
        c.client,
        c.server,
        c.zeek.conn_state(),
        c.zeek.history,
        c.packets()
    );
    for e in &c.events {
        let arrow = match e.dir {
            Direction::ClientToServer => "client → server",
            Direction::ServerToClient => "server → client",
        };
        let flags = e.flags.join(", ");
        let _ = write!(
            out,
            "  {:>12}  {arrow}  {:<16} Seq={} ",
            seconds(e.ts, origin).to_string(),
            format!("[{flags}]"),
            e.seq
        );
        if e.flags.has(crate::wire::TcpFlags::ACK) {
            let _ = write!(out, "Ack={} ", e.ack);
        }
        let _ = write!(out, "Win={} Len={}", e.win, e.len);
        let findings = super::findings::info_labels(e.findings, e.dup_ack);
        if !findings.is_empty() {
            let _ = write!(out, "  {}", paint(findings.trim_end(), Tone::Warn, color));
        }
        out.push('\n');
    }
    if c.events_dropped > 0 {
        let _ = writeln!(out, "  … {} more packets not listed", c.events_dropped);
    }
    if payload != PayloadStyle::None {
        for (label, half) in [("client → server", &c.c2s), ("server → client", &c.s2c)] {
            if half.bytes() == 0 {
                continue;
            }
            let shown = half.scan.preview.len() as u64;
            let cut = if shown < half.bytes() {
                format!(", first {shown} shown")
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {label} payload ({} bytes{cut}):", half.bytes());
            match payload {
                PayloadStyle::Text => {
                    let _ = writeln!(out, "    b'{}'", escape_bytes(&half.scan.preview));
                }
                _ => {
                    for line in hexdump(&half.scan.preview).lines() {
                        let _ = writeln!(out, "    {line}");
                    }
                }
            }
        }
    }
    out
}

/// `PASS` (green) or `FAIL` (red, when `color`).
pub fn verdict(passed: bool, color: bool) -> String {
    if passed {
        paint("PASS", Tone::Pass, color)
    } else {
        paint("FAIL", Tone::Fail, color)
    }
}

/// PASS/FAIL lines; colour when `color`.
pub fn checks(checks: &[Check], color: bool) -> String {
    let mut out = String::new();
    for check in checks {
        // Details quote what the capture holds (DNS names, payload).
        let _ = writeln!(
            out,
            "{} {}: {}",
            verdict(check.passed, color),
            escape_text(&check.name),
            escape_text(&check.detail)
        );
    }
    out
}

/// The counts line.
pub fn summary(name: &str, analysis: &Analysis) -> String {
    let stats = &analysis.stats;
    let n = |count: u64| usize::try_from(count).unwrap_or(usize::MAX);
    let mut line = format!(
        "{name}: {} read, {} matched, {} malformed, {} truncated; {}",
        plural(n(stats.packets), "packet"),
        stats.matched,
        stats.malformed,
        stats.truncated,
        plural(n(analysis.tcp.connections), "TCP connection")
    );
    let listed = analysis.connections.len() as u64;
    if listed < analysis.tcp.connections {
        let _ = write!(line, " (the first {listed} listed)");
    }
    let dns = &analysis.dns;
    if dns.totals.transactions > 0 {
        let _ = write!(
            line,
            "; {} ({} unanswered)",
            plural(n(dns.totals.transactions), "DNS transaction"),
            dns.totals.unanswered.count
        );
        let listed = dns.transactions.len() as u64;
        if listed < dns.totals.transactions {
            let _ = write!(line, " (the first {listed} listed)");
        }
    }
    if dns.counts.malformed > 0 {
        let _ = write!(
            line,
            "; {}",
            plural(n(dns.counts.malformed), "malformed DNS message")
        );
    }
    // The stream analyzers' detail lists, when they hold fewer than there were (their share
    // of the memory cap, or --detail-limit).
    let messages = &analysis.messages.totals;
    let details = [
        (
            "HTTP requests",
            analysis.http.transactions.len(),
            analysis.http.totals.requests,
        ),
        (
            "TLS sessions",
            analysis.tls.sessions.len(),
            analysis.tls.total,
        ),
        (
            "framed exchanges",
            analysis.messages.exchanges.len(),
            messages.exchanges + messages.unanswered + messages.unsolicited,
        ),
    ];
    for (what, listed, total) in details {
        if (listed as u64) < total {
            let _ = write!(
                line,
                "\n  {what}: {total} (the first {listed} listed: --detail-limit and --memcap \
                 set how many)"
            );
        }
    }
    let f = &stats.fragments;
    if f.fragments > 0 {
        let _ = write!(
            line,
            "\n  IP fragments: {} read, {} reassembled",
            f.fragments,
            plural(n(f.reassembled), "datagram")
        );
        let lost = [
            (f.evicted, "evicted over the memory cap"),
            (f.timed_out, "timed out"),
            (f.inconsistent, "inconsistent (overlaps differ)"),
            (f.too_large, "too large"),
            (f.incomplete_at_end, "incomplete at the end"),
            (f.duplicates, "late duplicate fragments"),
        ];
        for (count, what) in lost.iter().filter(|(count, _)| *count > 0) {
            let _ = write!(line, ", {count} {what}");
        }
    }
    if !stats.malformed_reasons.is_empty() {
        let reasons: Vec<String> = stats
            .malformed_reasons
            .iter()
            .map(|(r, n)| format!("{n}× {r}"))
            .collect();
        let _ = write!(line, "\n  malformed: {}", reasons.join("; "));
    }
    let evicted = analysis.evictions();
    if !evicted.is_empty() {
        let parts: Vec<String> = [
            (evicted.tcp_connections, "TCP connection"),
            (evicted.dns_queries, "DNS query"),
            (evicted.dns_tcp_flows, "unfinished DNS-over-TCP message"),
            (evicted.udp_conversations, "UDP conversation"),
        ]
        .iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, what)| plural(n(*count), what))
        .collect();
        let _ = write!(
            line,
            "\n  memory cap {} reached: evicted {} (the quietest first; a check on an evicted \
             connection or query cannot pass; raise the cap with --memcap)",
            analysis.memcap,
            parts.join(", ")
        );
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_is_the_floats_milliseconds_to_three_decimals() {
        let float = |l: Duration| format!("{:.3} ms", l.as_secs_f64() * 1e3);
        let mut nanos: Vec<u64> = vec![
            0,
            1,
            499,
            500,
            501,
            999,
            1_000,
            1_500,
            2_500,
            999_999_499,
            999_999_500,
            999_999_501,
            86_399_999_999_999,
            86_400_000_000_000,
            3_000_000_000_500,
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            nanos.extend([
                x % 100_000_000_000_000,
                x % 10_000_000,
                x % 1_000 + 1_000_000,
            ]);
        }
        for n in nanos {
            let l = Duration::from_nanos(n);
            let mut text = String::new();
            write_latency(&mut text, Some(l));
            assert_eq!(text, float(l), "{n} ns");
        }
        let mut text = String::new();
        write_latency(&mut text, None);
        assert_eq!(text, "-");
    }
}
