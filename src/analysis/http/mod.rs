//! HTTP/1.x over TCP (module 5: thread, pool and asyncio servers, proxies): a connection whose
//! client opens with a request line is parsed in both directions as the TCP core delivers its
//! bytes, requests paired with responses first in, first out (keep-alive and pipelining), with
//! Content-Length, chunked and read-until-close bodies. Every transaction is an event for the
//! checks' observers; the first ones are kept in detail.

pub mod parser;

use super::memory::{heap, Budget};
use super::streams::{Held, PerStream};
use std::collections::VecDeque;

use std::time::Duration;

use super::observer::{finish_all, Observer, Observers, StreamCtx};
use super::tcp::{Connection, Direction};
use super::Endpoint;
use crate::checks::observe::Observation;
use parser::{Head, Parsed, Parser};

/// Request methods that open an HTTP connection.
const METHODS: [&str; 9] = [
    "GET ", "POST ", "PUT ", "DELETE ", "HEAD ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ",
];
/// Requests waiting for responses, per connection.
const MAX_PENDING: usize = 64;

/// A request and its response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpTransaction {
    /// The connection's `tcp.stream`.
    pub stream: u32,
    /// The client.
    pub client: Endpoint,
    /// The server.
    pub server: Endpoint,
    /// When the request completed.
    pub t: Duration,
    /// The request head.
    pub request: Head,
    /// Request body bytes.
    pub request_body: u64,
    /// The response head, if a response came.
    pub response: Option<Head>,
    /// Response body bytes.
    pub response_body: u64,
    /// When the response completed.
    pub response_t: Option<Duration>,
}

impl HttpTransaction {
    /// From the request to the response.
    pub fn latency(&self) -> Option<Duration> {
        Some(self.response_t?.saturating_sub(self.t))
    }

    /// What it holds kept in detail: its place in the list (twice over: the list grows by
    /// doubling) and its texts.
    fn kept_bytes(&self) -> usize {
        2 * std::mem::size_of::<HttpTransaction>()
            + self.request.held()
            + self.response.as_ref().map_or(0, Head::held)
    }

    /// The response's Content-Length differs from the body that followed.
    pub fn length_mismatch(&self) -> bool {
        self.response
            .as_ref()
            .and_then(|r| r.content_length)
            .is_some_and(|n| n != self.response_body)
    }
}

/// Totals over every reported HTTP connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpTotals {
    /// Connections that spoke HTTP.
    pub connections: u64,
    /// Requests.
    pub requests: u64,
    /// Requests answered.
    pub answered: u64,
    /// Responses whose body length differs from their Content-Length.
    pub length_mismatches: u64,
}

/// The first transactions in detail, and totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpAnalysis {
    /// The first transactions of reported connections.
    pub transactions: Vec<HttpTransaction>,
    /// Totals over all.
    pub totals: HttpTotals,
}

/// The analysis and what its observers saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResult {
    /// What the analyzer found.
    pub analysis: HttpAnalysis,
    /// The checks' observations, by check index.
    pub observed: Vec<(usize, Observation)>,
}

#[derive(Debug)]
struct Conn {
    requests: Parser,
    responses: Parser,
    pending: VecDeque<(Duration, Parsed)>,
}

impl Held for Conn {
    /// What this connection holds, as heap blocks: its box, partial heads, requests waiting
    /// for their response.
    fn bytes(&self) -> usize {
        heap(std::mem::size_of::<Conn>())
            + self.requests.held()
            + self.responses.held()
            + heap(self.pending.capacity() * std::mem::size_of::<(Duration, Parsed)>())
            + self
                .pending
                .iter()
                .map(|(_, p)| p.head.held())
                .sum::<usize>()
    }
}

/// Parses HTTP connections; fed by the TCP core.
#[derive(Debug)]
pub struct HttpAnalyzer {
    max_transactions: usize,
    /// What the transactions kept in detail hold; past its limit the others are only counted.
    kept: Budget,
    /// Per connection: its parsers, or `None` when it is not HTTP.
    open: PerStream<Conn>,
    analysis: HttpAnalysis,
    observers: Observers,
}

impl HttpAnalyzer {
    /// An analyzer keeping `max_transactions` in detail, telling `observers` of each.
    pub fn new(max_transactions: usize, kept_budget: usize, observers: Observers) -> HttpAnalyzer {
        HttpAnalyzer {
            max_transactions,
            kept: Budget::new(kept_budget),
            open: PerStream::default(),
            analysis: HttpAnalysis::default(),
            observers,
        }
    }

    fn emit(&mut self, t: HttpTransaction, matched: bool) {
        for (_, o) in &mut self.observers {
            o.http(&t, matched);
        }
        if !matched {
            return;
        }
        let totals = &mut self.analysis.totals;
        totals.requests += 1;
        if t.response.is_some() {
            totals.answered += 1;
        }
        if t.length_mismatch() {
            totals.length_mismatches += 1;
        }
        let room = self.analysis.transactions.len() < self.max_transactions;
        if self.kept.admit(t.kept_bytes(), room) {
            self.analysis.transactions.push(t);
        }
    }
}

impl Observer for HttpAnalyzer {
    fn data(&mut self, ctx: &StreamCtx, dir: Direction, data: &[u8]) {
        let opens = || {
            let http = dir == Direction::ClientToServer
                && METHODS.iter().any(|m| data.starts_with(m.as_bytes()));
            http.then(|| Conn {
                requests: Parser::new(true),
                responses: Parser::new(false),
                pending: VecDeque::new(),
            })
        };
        let mut done = Vec::new();
        let parse = |conn: &mut Conn| match dir {
            Direction::ClientToServer => {
                let pending = &mut conn.pending;
                conn.requests.feed(data, &mut || false, &mut |m| {
                    pending.push_back((ctx.ts, m));
                    if pending.len() > MAX_PENDING {
                        if let Some(old) = pending.pop_front() {
                            done.push((old, None));
                        }
                    }
                });
            }
            Direction::ServerToClient => {
                let pending = &mut conn.pending;
                let head = pending
                    .front()
                    .is_some_and(|(_, r)| r.head.method.as_deref() == Some("HEAD"));
                conn.responses.feed(data, &mut || head, &mut |m| {
                    if let Some(request) = pending.pop_front() {
                        done.push((request, Some((ctx.ts, m))));
                    }
                });
            }
        };
        self.open.update(ctx.stream, opens, parse);
        for (request, response) in done {
            let t = transaction(ctx.stream, ctx.client, ctx.server, request, response);
            self.emit(t, ctx.matched);
        }
    }

    fn connection_closed(&mut self, c: &Connection) {
        let Some(mut conn) = self.open.close(c.stream) else {
            return;
        };
        let mut closing = None;
        let end = c.end;
        conn.responses.close(&mut |m| closing = Some((end, m)));
        let mut pending = std::mem::take(&mut conn.pending);
        if let Some(response) = closing {
            if let Some(request) = pending.pop_front() {
                let t = transaction(c.stream, c.client, c.server, request, Some(response));
                self.emit(t, c.matched);
            }
        }
        for request in pending {
            let t = transaction(c.stream, c.client, c.server, request, None);
            self.emit(t, c.matched);
        }
        if c.matched {
            self.analysis.totals.connections += 1;
        }
    }

    fn held_bytes(&self) -> usize {
        self.open.held()
    }

    fn finish(self: Box<Self>) -> Observation {
        let mut observed = Vec::new();
        finish_all(self.observers, &mut observed);
        Observation::Http(Box::new(HttpResult {
            analysis: self.analysis,
            observed,
        }))
    }
}

fn transaction(
    stream: u32,
    client: Endpoint,
    server: Endpoint,
    (t, request): (Duration, Parsed),
    response: Option<(Duration, Parsed)>,
) -> HttpTransaction {
    HttpTransaction {
        stream,
        client,
        server,
        t,
        request: request.head,
        request_body: request.body_bytes,
        response_body: response.as_ref().map_or(0, |(_, r)| r.body_bytes),
        response_t: response.as_ref().map(|(t, _)| *t),
        response: response.map(|(_, r)| r.head),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const REQUEST: &[u8] = b"GET /index.html HTTP/1.1\r\nHost: mesin1\r\n\r\n";
    const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    fn at(port: u16) -> Endpoint {
        Endpoint {
            ip: Ipv4Addr::new(172, 16, 16, 101).into(),
            port,
        }
    }

    fn ctx(stream: u32) -> StreamCtx {
        StreamCtx {
            stream,
            client: at(40000),
            server: at(80),
            ts: Duration::ZERO,
            matched: true,
        }
    }

    /// Feeds `streams` complete exchanges, their connections left open.
    fn exchanges(a: &mut HttpAnalyzer, streams: u32) {
        for stream in 0..streams {
            a.data(&ctx(stream), Direction::ClientToServer, REQUEST);
            a.data(&ctx(stream), Direction::ServerToClient, RESPONSE);
        }
    }

    #[test]
    fn an_open_connection_is_counted_whole_until_it_closes() {
        let mut a = HttpAnalyzer::new(100, 1 << 20, Observers::new());
        exchanges(&mut a, 10);
        // Each exchange is over, but its parsers stay until the connection closes.
        assert!(a.held_bytes() >= 10 * heap(std::mem::size_of::<Conn>()));
        for stream in 0..10 {
            a.connection_closed(&Connection::new(stream, at(40000), at(80), Duration::ZERO));
        }
        assert_eq!(a.held_bytes(), 0);
        assert_eq!(a.analysis.totals.requests, 10);
    }

    #[test]
    fn transactions_kept_in_detail_stop_at_their_budget_and_the_rest_are_counted() {
        let budget = 16 * 1024;
        let mut a = HttpAnalyzer::new(1000, budget, Observers::new());
        exchanges(&mut a, 200);
        let listed = a.analysis.transactions.len();
        assert!(listed > 0 && listed < 200, "{listed} listed");
        assert_eq!(a.analysis.totals.requests, 200);
        let kept: usize = a
            .analysis
            .transactions
            .iter()
            .map(HttpTransaction::kept_bytes)
            .sum();
        assert!(kept <= budget, "{kept}");
    }
}
