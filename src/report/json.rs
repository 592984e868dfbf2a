//! The JSON report: one document per capture, with a stable shape (fields are added, never
//! renamed).

use std::time::Duration;

use std::collections::BTreeMap;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Value};

use crate::analysis::dns::Transaction;
use crate::analysis::http::HttpTransaction;
use crate::analysis::messages::{Exchange, Message};
use crate::analysis::tcp::Connection;
use crate::analysis::tls::handshake::{cipher_name, version_name};
use crate::analysis::tls::TlsSession;
use crate::analysis::udp::{Flow, UdpConversation};
use crate::checks::Check;
use crate::pipeline::{signed_nanos, Analysis};
use crate::report::escape::escape_bytes;
use crate::wire::dns::{rcode_name, type_name};

/// Seconds since `origin` as a float (nanosecond precision kept to 1e-9).
fn secs(ts: Duration, origin: Duration) -> f64 {
    (signed_nanos(ts) - signed_nanos(origin)) as f64 / 1e9
}

fn connection(c: &Connection, origin: Duration) -> Value {
    let events: Vec<Value> = c
        .events
        .iter()
        .map(|e| {
            json!({
                "t": secs(e.ts, origin),
                "dir": e.dir.as_str(),
                "flags": e.flags.to_string(),
                "seq": e.seq,
                "ack": e.ack,
                "len": e.len,
                "win": e.win,
                "analysis": e.findings.names(),
            })
        })
        .collect();
    json!({
        "stream": c.stream,
        "client": c.client.to_string(),
        "server": c.server.to_string(),
        "state": c.zeek.conn_state(),
        "history": c.zeek.history.as_str(),
        "handshake": c.handshake,
        "close": c.close().as_str(),
        "fin_client": c.c2s.fin,
        "fin_server": c.s2c.fin,
        "refused": c.refused(),
        "packets": c.packets(),
        "bytes_to_server": c.c2s.bytes(),
        "bytes_to_client": c.s2c.bytes(),
        "bytes_missing": c.c2s.missing() + c.s2c.missing(),
        "retransmissions": c.retransmissions,
        "out_of_order": c.out_of_order,
        "lost_segments": c.lost_segments,
        "duplicate_acks": c.dup_acks,
        "zero_windows": c.zero_windows,
        "echo": c.echo(),
        "start": secs(c.start, origin),
        "duration": secs(c.end, c.start),
        "throughput_bps": throughput(c),
        "events": events,
        "events_dropped": c.events_dropped,
    })
}

/// A message's text for JSON: escaped as on a terminal, up to the detail length.
fn message(m: Option<&Message>) -> Value {
    m.map_or(
        Value::Null,
        |m| json!({"text": escape_bytes(&m.bytes), "len": m.len, "cut": m.is_cut()}),
    )
}

fn http_transaction(t: &HttpTransaction, origin: Duration) -> Value {
    let r = t.response.as_ref();
    json!({
        "stream": t.stream,
        "client": t.client.to_string(),
        "server": t.server.to_string(),
        "t": secs(t.t, origin),
        "method": t.request.method,
        "uri": t.request.uri,
        "host": t.request.host,
        "status": r.and_then(|r| r.status),
        "reason": r.and_then(|r| r.reason.clone()),
        "content_type": r.and_then(|r| r.content_type.clone()),
        "content_length": r.and_then(|r| r.content_length),
        "location": r.and_then(|r| r.location.clone()),
        "body_bytes": t.response_body,
        "latency_ms": t.latency().map(|l| l.as_secs_f64() * 1e3),
    })
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

fn udp_conversation(c: &UdpConversation, origin: Duration) -> Value {
    let flow = |f: &Flow| {
        json!({
            "datagrams": f.datagrams,
            "bytes": f.bytes,
            "min_len": f.min_len,
            "max_len": f.max_len,
            "mean_interval_ms": f.mean_interval().map(|d| d.as_secs_f64() * 1e3),
        })
    };
    json!({
        "stream": c.stream,
        "a": c.a.to_string(),
        "b": c.b.to_string(),
        "a_to_b": flow(&c.a_to_b),
        "b_to_a": flow(&c.b_to_a),
        "broadcasts": c.broadcasts,
        "start": secs(c.first, origin),
        "duration": secs(c.last, c.first),
    })
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

fn transaction(t: &Transaction, origin: Duration) -> Value {
    json!({
        "t": secs(t.first_seen(), origin),
        "id": t.id,
        "transport": t.transport.as_str(),
        "client": t.client.to_string(),
        "server": t.server.to_string(),
        "qname": t.qname,
        "qtype": type_name(t.qtype),
        "rcode": t.rcode.map(rcode_name),
        "answers": t.answers.iter().map(|a| a.summary()).collect::<Vec<_>>(),
        "latency_ms": t.latency().map(|l| l.as_secs_f64() * 1e3),
        "retries": t.retries,
        "query_captured": t.query_ts.is_some(),
        "duplicate_responses": t.duplicate_responses,
        "malformed": t.malformed,
    })
}

/// Serializes what an iterator yields as a JSON array, one element at a time.
struct Seq<F>(F);

impl<F, I> Serialize for Seq<F>
where
    F: Fn() -> I,
    I: Iterator<Item = Value>,
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
