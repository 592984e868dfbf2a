//! The JSON report: one document per capture, with a stable shape (fields are added, never
//! renamed).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{json, Value};

use crate::analysis::dns::Transaction;
use crate::analysis::http::HttpTransaction;
use crate::analysis::messages::{Exchange, Message};
use crate::analysis::tcp::{Connection, Event};
use crate::analysis::tls::handshake::{cipher_name, version_name};
use crate::analysis::tls::TlsSession;
use crate::analysis::udp::{Flow, UdpConversation};
use crate::analysis::Endpoint;
use crate::checks::Check;
use crate::pipeline::{signed_nanos, Analysis};
use crate::report::escape::escape_bytes;
use crate::wire::dns::{rcode_name, type_name, Record};
use crate::wire::TcpFlags;

/// Seconds since `origin` as a float (nanosecond precision kept to 1e-9).
fn secs(ts: Duration, origin: Duration) -> f64 {
    (signed_nanos(ts) - signed_nanos(origin)) as f64 / 1e9
}

/// Rows of the document (connections, DNS, HTTP, UDP) are written from these structs rather
/// than built as `json!` values, a map of owned keys and values each, which took most of the
/// time of writing 10,000 rows. Their fields are in alphabetical order, as those maps always
/// printed them.
///
/// A text written from its `Display` (an address, flags).
struct Shown<T>(T);

impl<T: std::fmt::Display> Serialize for Shown<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// A TCP connection.
#[derive(Serialize)]
struct ConnectionRow<'a> {
    bytes_missing: u64,
    bytes_to_client: u64,
    bytes_to_server: u64,
    client: Shown<Endpoint>,
    close: &'static str,
    duplicate_acks: u64,
    duration: f64,
    echo: bool,
    events: Events<'a>,
    events_dropped: u64,
    fin_client: bool,
    fin_server: bool,
    handshake: bool,
    history: &'a str,
    lost_segments: u64,
    out_of_order: u64,
    packets: u64,
    refused: bool,
    retransmissions: u64,
    server: Shown<Endpoint>,
    start: f64,
    state: &'static str,
    stream: u32,
    throughput_bps: f64,
    zero_windows: u64,
}

fn connection(c: &Connection, origin: Duration) -> ConnectionRow<'_> {
    ConnectionRow {
        bytes_missing: c.c2s.missing() + c.s2c.missing(),
        bytes_to_client: c.s2c.bytes(),
        bytes_to_server: c.c2s.bytes(),
        client: Shown(c.client),
        close: c.close().as_str(),
        duplicate_acks: c.dup_acks,
        duration: secs(c.end, c.start),
        echo: c.echo(),
        events: Events {
            events: &c.events,
            origin,
        },
        events_dropped: c.events_dropped,
        fin_client: c.c2s.fin,
        fin_server: c.s2c.fin,
        handshake: c.handshake,
        history: c.zeek.history.as_str(),
        lost_segments: c.lost_segments,
        out_of_order: c.out_of_order,
        packets: c.packets(),
        refused: c.refused(),
        retransmissions: c.retransmissions,
        server: Shown(c.server),
        start: secs(c.start, origin),
        state: c.zeek.conn_state(),
        stream: c.stream,
        throughput_bps: throughput(c),
        zero_windows: c.zero_windows,
    }
}

/// A connection's segments, each an [`EventRow`].
struct Events<'a> {
    events: &'a [Event],
    origin: Duration,
}

impl Serialize for Events<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.events.iter().map(|e| EventRow {
            ack: e.ack,
            analysis: e.findings.names(),
            dir: e.dir.as_str(),
            flags: Shown(e.flags),
            len: e.len,
            seq: e.seq,
            t: secs(e.ts, self.origin),
            win: e.win,
        }))
    }
}

/// One segment of a connection.
#[derive(Serialize)]
struct EventRow {
    ack: u32,
    analysis: Vec<&'static str>,
    dir: &'static str,
    flags: Shown<TcpFlags>,
    len: u32,
    seq: u32,
    t: f64,
    win: u32,
}

/// A message's text for JSON: escaped as on a terminal, up to the detail length.
fn message(m: Option<&Message>) -> Value {
    m.map_or(
        Value::Null,
        |m| json!({"text": escape_bytes(&m.bytes), "len": m.len, "cut": m.is_cut()}),
    )
}

/// An HTTP request and its response.
#[derive(Serialize)]
struct HttpRow<'a> {
    body_bytes: u64,
    client: Shown<Endpoint>,
    content_length: Option<u64>,
    content_type: Option<&'a str>,
    host: Option<&'a str>,
    latency_ms: Option<f64>,
    location: Option<&'a str>,
    method: Option<&'a str>,
    reason: Option<&'a str>,
    server: Shown<Endpoint>,
    status: Option<u16>,
    stream: u32,
    t: f64,
    uri: Option<&'a str>,
}

fn http_transaction(t: &HttpTransaction, origin: Duration) -> HttpRow<'_> {
    let r = t.response.as_ref();
    HttpRow {
        body_bytes: t.response_body,
        client: Shown(t.client),
        content_length: r.and_then(|r| r.content_length),
        content_type: r.and_then(|r| r.content_type.as_deref()),
        host: t.request.host.as_deref(),
        latency_ms: t.latency().map(|l| l.as_secs_f64() * 1e3),
        location: r.and_then(|r| r.location.as_deref()),
        method: t.request.method.as_deref(),
        reason: r.and_then(|r| r.reason.as_deref()),
        server: Shown(t.server),
        status: r.and_then(|r| r.status),
        stream: t.stream,
        t: secs(t.t, origin),
        uri: t.request.uri.as_deref(),
    }
}

fn tls_session(s: &TlsSession) -> Value {
    let (c, v) = (&s.client_hello, &s.server_hello);
    json!({
        "stream": s.stream,
        "client": s.client.to_string(),
        "server": s.server.to_string(),
        "sni": c.sni,
        "offered_versions": c.versions.iter().map(|v| version_name(*v)).collect::<Vec<_>>(),
        "offered_alpn": c.alpn,
        "version": s.version().map(version_name),
        "cipher": v.cipher.map(cipher_name),
        "alpn": v.alpn.first(),
        "cert_subject": v.cert_subject,
        "cert_san": v.cert_san,
    })
}

/// A UDP conversation.
#[derive(Serialize)]
struct UdpRow {
    a: Shown<Endpoint>,
    a_to_b: FlowRow,
    b: Shown<Endpoint>,
    b_to_a: FlowRow,
    broadcasts: u64,
    duration: f64,
    start: f64,
    stream: u32,
}

/// One direction of a UDP conversation.
#[derive(Serialize)]
struct FlowRow {
    bytes: u64,
    datagrams: u64,
    max_len: u32,
    mean_interval_ms: Option<f64>,
    min_len: u32,
}

fn udp_conversation(c: &UdpConversation, origin: Duration) -> UdpRow {
    let flow = |f: &Flow| FlowRow {
        bytes: f.bytes,
        datagrams: f.datagrams,
        max_len: f.max_len,
        mean_interval_ms: f.mean_interval().map(|d| d.as_secs_f64() * 1e3),
        min_len: f.min_len,
    };
    UdpRow {
        a: Shown(c.a),
        a_to_b: flow(&c.a_to_b),
        b: Shown(c.b),
        b_to_a: flow(&c.b_to_a),
        broadcasts: c.broadcasts,
        duration: secs(c.last, c.first),
        start: secs(c.first, origin),
        stream: c.stream,
    }
}

fn exchange(e: &Exchange, origin: Duration) -> Value {
    json!({
        "stream": e.stream,
        "client": e.client.to_string(),
        "server": e.server.to_string(),
        "t": secs(e.t(), origin),
        "request": message(e.request.as_ref()),
        "response": message(e.response.as_ref()),
        "latency_ms": e.latency().map(|l| l.as_secs_f64() * 1e3),
    })
}

/// Payload bytes both ways per second of the connection's life (0 for an instant one).
fn throughput(c: &Connection) -> f64 {
    let secs = c.end.saturating_sub(c.start).as_secs_f64();
    if secs > 0.0 {
        (c.c2s.bytes() + c.s2c.bytes()) as f64 / secs
    } else {
        0.0
    }
}

/// A DNS query and its response.
#[derive(Serialize)]
struct TransactionRow<'a> {
    answers: Answers<'a>,
    client: Shown<Endpoint>,
    duplicate_responses: u32,
    id: u16,
    latency_ms: Option<f64>,
    malformed: bool,
    qname: &'a str,
    qtype: Cow<'static, str>,
    query_captured: bool,
    rcode: Option<Cow<'static, str>>,
    retries: u32,
    server: Shown<Endpoint>,
    t: f64,
    transport: &'static str,
}

fn transaction(t: &Transaction, origin: Duration) -> TransactionRow<'_> {
    TransactionRow {
        answers: Answers(&t.answers),
        client: Shown(t.client),
        duplicate_responses: t.duplicate_responses,
        id: t.id,
        latency_ms: t.latency().map(|l| l.as_secs_f64() * 1e3),
        malformed: t.malformed,
        qname: &t.qname,
        qtype: type_name(t.qtype),
        query_captured: t.query_ts.is_some(),
        rcode: t.rcode.map(rcode_name),
        retries: t.retries,
        server: Shown(t.server),
        t: secs(t.first_seen(), origin),
        transport: t.transport.as_str(),
    }
}

/// A response's answers, each as its summary (`A 192.0.2.1`).
struct Answers<'a>(&'a [Record]);

impl Serialize for Answers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(Record::summary))
    }
}

/// Serializes what an iterator yields as a JSON array, one element at a time.
struct Seq<F>(F);

impl<F, I> Serialize for Seq<F>
where
    F: Fn() -> I,
    I: Iterator<Item: Serialize>,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((self.0)())
    }
}

/// The document for one capture. It is built while it is written: each connection and DNS
/// transaction becomes JSON on its own, so memory does not grow with how many are listed.
pub struct Document<'a> {
    /// The capture's name.
    pub file: &'a str,
    /// What the analysis found.
    pub analysis: &'a Analysis,
    /// The checks.
    pub checks: &'a [Check],
    /// The error that stopped reading the capture, if any.
    pub error: Option<&'a str>,
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let a = self.analysis;
        let origin = a.stats.first_ts.unwrap_or_default();
        let s = &a.stats;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("file", self.file)?;
        map.serialize_entry("packets", &s.packets)?;
        map.serialize_entry("matched", &s.matched)?;
        map.serialize_entry("malformed", &s.malformed)?;
        map.serialize_entry("truncated", &s.truncated)?;
        map.serialize_entry("malformed_reasons", &s.malformed_reasons)?;
        let evicted = a.evictions();
        map.serialize_entry(
            "memory",
            &json!({
                "memcap": a.memcap.total,
                "evicted": {
                    "tcp_connections": evicted.tcp_connections,
                    "dns_queries": evicted.dns_queries,
                    "dns_tcp_flows": evicted.dns_tcp_flows,
                    "udp_conversations": evicted.udp_conversations,
                },
            }),
        )?;
        let f = &s.fragments;
        map.serialize_entry(
            "ip_fragments",
            &json!({
                "fragments": f.fragments,
                "reassembled": f.reassembled,
                "evicted": f.evicted,
                "timed_out": f.timed_out,
                "inconsistent": f.inconsistent,
                "too_large": f.too_large,
                "incomplete_at_end": f.incomplete_at_end,
                "late_duplicates": f.duplicates,
            }),
        )?;
        map.serialize_entry(
            "tcp_totals",
            &json!({
                "connections": a.tcp.connections,
                "listed": a.connections.len(),
                "packets": a.tcp.packets,
                "bytes_to_server": a.tcp.bytes_to_server,
                "bytes_to_client": a.tcp.bytes_to_client,
                "retransmissions": a.tcp.retransmissions,
                "without_handshake": a.tcp.without_handshake.count,
                "not_closed": a.tcp.not_closed.count,
                "refused": a.tcp.refused.count,
                "reset": a.tcp.reset.count,
                "echo_failed": a.tcp.echo_failed.count,
                "no_reply": a.tcp.no_reply.count,
                "peak_concurrent": a.tcp.peak_concurrent,
                "clients": a.tcp.clients.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "mean_duration": if a.tcp.clients.is_empty() { 0.0 } else {
                    a.tcp.duration_sum.as_secs_f64() / (a.tcp.connections - a.tcp.without_handshake.count).max(1) as f64
                },
            }),
        )?;
        map.serialize_entry(
            "connections",
            &Seq(|| a.connections.iter().map(|c| connection(c, origin))),
        )?;
        map.serialize_entry("dns_queries", &a.dns.counts.queries)?;
        map.serialize_entry("dns_responses", &a.dns.counts.responses)?;
        let rcodes: BTreeMap<String, u64> = a
            .dns
            .totals
            .rcodes
            .iter()
            .map(|(code, n)| (rcode_name(*code).into_owned(), *n))
            .collect();
        map.serialize_entry(
            "dns_totals",
            &json!({
                "transactions": a.dns.totals.transactions,
                "listed": a.dns.transactions.len(),
                "answered": a.dns.totals.answered,
                "unanswered": a.dns.totals.unanswered.count,
                "rcodes": rcodes,
            }),
        )?;
        map.serialize_entry(
            "dns",
            &Seq(|| a.dns.transactions.iter().map(|t| transaction(t, origin))),
        )?;
        let h = &a.http.totals;
        map.serialize_entry(
            "http_totals",
            &json!({
                "connections": h.connections,
                "requests": h.requests,
                "answered": h.answered,
                "length_mismatches": h.length_mismatches,
                "listed": a.http.transactions.len(),
            }),
        )?;
        map.serialize_entry(
            "http",
            &Seq(|| {
                a.http
                    .transactions
                    .iter()
                    .map(|t| http_transaction(t, origin))
            }),
        )?;
        map.serialize_entry("tls_sessions", &a.tls.total)?;
        map.serialize_entry("tls", &Seq(|| a.tls.sessions.iter().map(tls_session)))?;
        let u = &a.udp.totals;
        map.serialize_entry(
            "udp_totals",
            &json!({
                "conversations": u.conversations,
                "datagrams": u.datagrams,
                "bytes": u.bytes,
                "broadcasts": u.broadcasts,
                "listed": a.udp.conversations.len(),
            }),
        )?;
        map.serialize_entry(
            "udp",
            &Seq(|| {
                a.udp
                    .conversations
                    .iter()
                    .map(|c| udp_conversation(c, origin))
            }),
        )?;
        let m = &a.messages.totals;
        map.serialize_entry(
            "message_totals",
            &json!({
                "conversations": m.conversations,
                "requests": m.requests,
                "responses": m.responses,
                "exchanges": m.exchanges,
                "unanswered": m.unanswered,
                "unsolicited": m.unsolicited,
                "cut": m.cut,
                "listed": a.messages.exchanges.len(),
            }),
        )?;
        map.serialize_entry(
            "exchanges",
            &Seq(|| a.messages.exchanges.iter().map(|e| exchange(e, origin))),
        )?;
        map.serialize_entry(
            "checks",
            &Seq(|| {
                self.checks
                    .iter()
                    .map(|c| json!({"name": c.name, "passed": c.passed, "detail": c.detail}))
            }),
        )?;
        map.serialize_entry("error", &self.error)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{analyse_file, PipelineOptions};

    /// Asserts that each of `rows` is written with its keys sorted, as a `Value` (whose maps
    /// sort their keys) writes it; returns how many rows there were.
    fn as_written_sorted<T: Serialize>(rows: impl Iterator<Item = T>) -> usize {
        rows.map(|row| {
            let written = serde_json::to_string(&row).unwrap();
            let sorted = serde_json::to_value(&row).unwrap().to_string();
            assert_eq!(written, sorted);
        })
        .count()
    }

    #[test]
    fn rows_write_their_keys_in_alphabetical_order() {
        let mut options = PipelineOptions::default();
        options.needs.http = true;
        options.needs.udp = true;
        let mut rows = [0; 4];
        for name in [
            "mesin1.pcapng",
            "dns.pcapng",
            "course/http/mesin1.pcapng",
            "course/udp/mesin1.pcapng",
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(name);
            let (analyses, read) = analyse_file(&path, std::slice::from_ref(&options));
            read.unwrap();
            let a = &analyses[0];
            let origin = a.stats.first_ts.unwrap_or_default();
            rows[0] += as_written_sorted(a.connections.iter().map(|c| connection(c, origin)));
            rows[1] += as_written_sorted(a.dns.transactions.iter().map(|t| transaction(t, origin)));
            rows[2] += as_written_sorted(
                a.http
                    .transactions
                    .iter()
                    .map(|t| http_transaction(t, origin)),
            );
            rows[3] += as_written_sorted(
                a.udp
                    .conversations
                    .iter()
                    .map(|c| udp_conversation(c, origin)),
            );
        }
        assert!(rows.iter().all(|&n| n > 0), "{rows:?}");
    }
}
