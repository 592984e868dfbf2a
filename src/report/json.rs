//! The JSON report: one document per capture, with a stable shape (fields are added, never
//! renamed).

use std::time::Duration;

use serde_json::{json, Value};

use crate::analysis::dns::Transaction;
use crate::analysis::tcp::Connection;
use crate::checks::Check;
use crate::pipeline::{signed_nanos, Analysis};
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
        "events": events,
        "events_dropped": c.events_dropped,
    })
}

fn transaction(t: &Transaction, origin: Duration) -> Value {
    json!({
        "t": secs(t.query_ts.or(t.response_ts).unwrap_or_default(), origin),
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

/// The document for one capture.
pub fn document(file: &str, analysis: &Analysis, checks: &[Check], error: Option<&str>) -> Value {
    let origin = analysis.stats.first_ts.unwrap_or_default();
    let s = &analysis.stats;
    json!({
        "file": file,
        "packets": s.packets,
        "matched": s.matched,
        "malformed": s.malformed,
        "truncated": s.truncated,
        "malformed_reasons": s.malformed_reasons,
        "connections": analysis.connections.iter().map(|c| connection(c, origin)).collect::<Vec<_>>(),
        "dns": analysis.dns.transactions.iter().map(|t| transaction(t, origin)).collect::<Vec<_>>(),
        "dns_queries": analysis.dns.counts.queries,
        "dns_responses": analysis.dns.counts.responses,
        "tcp_totals": {
            "connections": analysis.tcp.connections,
            "listed": analysis.connections.len(),
            "packets": analysis.tcp.packets,
            "bytes_to_server": analysis.tcp.bytes_to_server,
            "bytes_to_client": analysis.tcp.bytes_to_client,
            "retransmissions": analysis.tcp.retransmissions,
            "without_handshake": analysis.tcp.without_handshake.count,
            "not_closed": analysis.tcp.not_closed.count,
            "refused": analysis.tcp.refused.count,
            "reset": analysis.tcp.reset.count,
            "echo_failed": analysis.tcp.echo_failed.count,
        },
        "dns_totals": {
            "transactions": analysis.dns.totals.transactions,
            "listed": analysis.dns.transactions.len(),
            "answered": analysis.dns.totals.answered,
            "unanswered": analysis.dns.totals.unanswered.count,
            "rcodes": analysis.dns.totals.rcodes.iter().map(|(code, n)| (rcode_name(*code).into_owned(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
        },
        "checks": checks.iter().map(|c| json!({"name": c.name, "passed": c.passed, "detail": c.detail})).collect::<Vec<_>>(),
        "error": error,
    })
}
