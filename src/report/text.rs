//! The terminal report: connections table, per-connection timeline and payload, checks and
//! the packet counts.

use std::fmt::Write;
use std::time::Duration;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};

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

/// Seconds since `origin`, with microseconds, signed.
fn seconds(ts: Duration, origin: Duration) -> String {
    super::seconds_text(signed_nanos(ts) - signed_nanos(origin), 6)
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The connections table.
pub fn connections_table(conns: &[Connection], origin: Duration) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(vec![
        "Stream",
        "Client",
        "Server",
        "State",
        "History",
        "Handshake",
        "Close",
        "Packets",
        "Bytes c→s",
        "Bytes s→c",
        "Retrans",
        "Echo",
        "Start",
        "Duration",
    ]);
    for c in conns {
        table.add_row(vec![
            Cell::new(c.stream),
            Cell::new(c.client),
            Cell::new(c.server),
            Cell::new(c.zeek.conn_state()),
            Cell::new(c.zeek.history),
            Cell::new(yes_no(c.handshake)),
            Cell::new(if c.refused() {
                "refused"
            } else {
                c.close().as_str()
            }),
            Cell::new(c.packets()).set_alignment(CellAlignment::Right),
            Cell::new(c.c2s.bytes()).set_alignment(CellAlignment::Right),
            Cell::new(c.s2c.bytes()).set_alignment(CellAlignment::Right),
            Cell::new(c.retransmissions).set_alignment(CellAlignment::Right),
            Cell::new(if c.c2s.bytes() == 0 {
                "-"
            } else {
                yes_no(c.echo())
            }),
            Cell::new(seconds(c.start, origin)).set_alignment(CellAlignment::Right),
            Cell::new(seconds(c.end, c.start)).set_alignment(CellAlignment::Right),
        ]);
    }
    table.to_string()
}

/// Characters of a message shown in the exchanges table.
const MESSAGE_CELL: usize = 40;

/// The exchanges table: each request and its response, escaped and cut.
pub fn exchanges_table(exchanges: &[Exchange], origin: Duration) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(vec![
        "Time", "Stream", "Client", "Request", "Response", "Latency",
    ]);
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
    for e in exchanges {
        table.add_row(vec![
            Cell::new(seconds(e.t(), origin)).set_alignment(CellAlignment::Right),
            Cell::new(e.stream).set_alignment(CellAlignment::Right),
            Cell::new(e.client),
            Cell::new(text(e.request.as_ref())),
            Cell::new(text(e.response.as_ref())),
            Cell::new(e.latency().map_or("-".to_string(), |l| {
                format!("{:.3} ms", l.as_secs_f64() * 1e3)
            }))
            .set_alignment(CellAlignment::Right),
        ]);
    }
    table.to_string()
}

/// The HTTP transactions table.
pub fn http_table(transactions: &[HttpTransaction], origin: Duration) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(vec![
        "Time", "Stream", "Client", "Request", "Status", "Type", "Body", "Latency",
    ]);
    let right = |v: String| Cell::new(v).set_alignment(CellAlignment::Right);
    for t in transactions {
        let request = format!(
            "{} {}",
            t.request.method.as_deref().unwrap_or("?"),
            t.request.uri.as_deref().unwrap_or("?")
        );
        let (status, kind) = match &t.response {
            Some(r) => {
                let mut s = format!(
                    "{} {}",
                    r.status.unwrap_or(0),
                    r.reason.as_deref().unwrap_or("")
                );
                if let Some(l) = &r.location {
                    let _ = write!(s, " → {}", escape_text(l));
                }
                (s, r.content_type.clone().unwrap_or_default())
            }
            None => ("no response".to_string(), String::new()),
        };
        table.add_row(vec![
            right(seconds(t.t, origin)),
            right(t.stream.to_string()),
            Cell::new(t.client),
            Cell::new(escape_text(&request)),
            Cell::new(escape_text(status.trim_end())),
            Cell::new(escape_text(&kind)),
            right(t.response_body.to_string()),
            right(t.latency().map_or("-".to_string(), |l| {
                format!("{:.3} ms", l.as_secs_f64() * 1e3)
            })),
        ]);
    }
    table.to_string()
}

/// The TLS handshakes table.
pub fn tls_table(sessions: &[TlsSession]) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(vec![
        "Stream",
        "Client",
        "Server",
        "SNI",
        "Version",
        "Cipher",
        "ALPN",
        "Certificate",
    ]);
    for s in sessions {
        let cert = match &s.server_hello.cert_subject {
            Some(subject) => {
                let mut text = escape_text(subject).into_owned();
                if !s.server_hello.cert_san.is_empty() {
                    let san = escape_text(&s.server_hello.cert_san.join(", ")).into_owned();
                    let _ = write!(text, "\nSAN {san}");
                }
                text
            }
            None => "(encrypted)".to_string(),
        };
        table.add_row(vec![
            Cell::new(s.stream).set_alignment(CellAlignment::Right),
            Cell::new(s.client),
            Cell::new(s.server),
            Cell::new(escape_text(s.client_hello.sni.as_deref().unwrap_or("-"))),
            Cell::new(s.version().map_or("-".to_string(), version_name)),
            Cell::new(s.server_hello.cipher.map_or("-".to_string(), cipher_name)),
            Cell::new(escape_text(&s.server_hello.alpn.join(","))),
            Cell::new(cert),
        ]);
    }
    table.to_string()
}

/// The UDP conversations table, like `tshark -z conv,udp`.
pub fn udp_table(conversations: &[UdpConversation], origin: Duration) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(vec![
        "Stream",
        "A",
        "B",
        "A→B",
        "B→A",
        "Bytes A→B",
        "Bytes B→A",
        "Bcast",
        "Start",
        "Duration",
    ]);
    let right = |v: String| Cell::new(v).set_alignment(CellAlignment::Right);
    for c in conversations {
        table.add_row(vec![
            right(c.stream.to_string()),
            Cell::new(c.a),
            Cell::new(c.b),
            right(c.a_to_b.datagrams.to_string()),
            right(c.b_to_a.datagrams.to_string()),
            right(c.a_to_b.bytes.to_string()),
            right(c.b_to_a.bytes.to_string()),
            right(c.broadcasts.to_string()),
            right(seconds(c.first, origin)),
            right(seconds(c.last, c.first)),
        ]);
    }
    table.to_string()
}

/// The DNS transactions table.
pub fn dns_table(transactions: &[Transaction], origin: Duration) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(vec![
        "Time", "Id", "Client", "Server", "Proto", "Query", "Type", "Rcode", "Answers", "Latency",
    ]);
    for t in transactions {
        let time = t.first_seen();
        let mut rcode = match t.rcode {
            Some(code) => rcode_name(code).into_owned(),
            None => "unanswered".to_string(),
        };
        if t.retries > 0 {
            let _ = write!(rcode, " ({} retries)", t.retries);
        }
        if t.query_ts.is_none() {
            rcode.push_str(" (query not captured)");
        }
        let answers: Vec<String> = t
            .answers
            .iter()
            .map(|a| escape_text(&a.summary()).into_owned())
            .collect();
        table.add_row(vec![
            Cell::new(seconds(time, origin)).set_alignment(CellAlignment::Right),
            Cell::new(format!("0x{:04x}", t.id)),
            Cell::new(t.client),
            Cell::new(t.server),
            Cell::new(t.transport.as_str()),
            Cell::new(escape_text(&t.qname)),
            Cell::new(type_name(t.qtype)),
            Cell::new(rcode),
            Cell::new(if answers.is_empty() {
                "-".to_string()
            } else {
                answers.join("\n")
            }),
            Cell::new(t.latency().map_or("-".to_string(), |l| {
                format!("{:.3} ms", l.as_secs_f64() * 1e3)
            }))
            .set_alignment(CellAlignment::Right),
        ]);
    }
    table.to_string()
}

/// One connection's timeline and payload.
pub fn connection_detail(c: &Connection, origin: Duration, payload: PayloadStyle) -> String {
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
            seconds(e.ts, origin),
            format!("[{flags}]"),
            e.seq
        );
        if e.flags.has(crate::wire::TcpFlags::ACK) {
            let _ = write!(out, "Ack={} ", e.ack);
        }
        let _ = write!(out, "Win={} Len={}", e.win, e.len);
        let findings = e.findings.info_prefix();
        if !findings.is_empty() {
            let _ = write!(out, "  {}", findings.trim_end());
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

/// PASS/FAIL lines; colour when `color`.
pub fn checks(checks: &[Check], color: bool) -> String {
    let mut out = String::new();
    for check in checks {
        let verdict = match (check.passed, color) {
            (true, true) => "\x1b[32mPASS\x1b[0m",
            (false, true) => "\x1b[31mFAIL\x1b[0m",
            (true, false) => "PASS",
            (false, false) => "FAIL",
        };
        // Details quote what the capture holds (DNS names, payload).
        let _ = writeln!(
            out,
            "{verdict} {}: {}",
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
    if !stats.malformed_reasons.is_empty() {
        let reasons: Vec<String> = stats
            .malformed_reasons
            .iter()
            .map(|(r, n)| format!("{n}× {r}"))
            .collect();
        let _ = write!(line, "\n  malformed: {}", reasons.join("; "));
    }
    line
}
