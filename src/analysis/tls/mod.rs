//! TLS handshakes over TCP (modules 1a, 5 and 8: a TLS server on 12000 or 8443, proxies in
//! front of it, a TLS client): a connection whose client opens with a handshake record is read
//! in both directions until encryption starts, for the ClientHello's SNI, offered versions and
//! ALPN, the ServerHello's version, cipher and ALPN, and the server certificate's subject and
//! names when they are visible (TLS 1.2). Every session is an event for the checks' observers.

pub mod handshake;

use super::memory::{heap, Budget};
use super::streams::{Held, PerStream};

use super::observer::{finish_all, Observer, Observers, StreamCtx};
use super::tcp::{Connection, Direction};
use super::Endpoint;
use crate::checks::observe::Observation;
use handshake::{opens_tls, Hello, Reader};

/// One TLS connection's handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSession {
    /// The connection's `tcp.stream`.
    pub stream: u32,
    /// The client.
    pub client: Endpoint,
    /// The server.
    pub server: Endpoint,
    /// What the client said (ClientHello).
    pub client_hello: Hello,
    /// What the server said (ServerHello, Certificate).
    pub server_hello: Hello,
}

impl TlsSession {
    /// The negotiated version (the server's), if it answered.
    pub fn version(&self) -> Option<u16> {
        self.server_hello.versions.first().copied()
    }
}

/// The first sessions in detail and how many there were.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsAnalysis {
    /// The first sessions of reported connections.
    pub sessions: Vec<TlsSession>,
    /// Sessions of reported connections.
    pub total: u64,
}

/// The analysis and what its observers saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsResult {
    /// What the analyzer found.
    pub analysis: TlsAnalysis,
    /// The checks' observations, by check index.
    pub observed: Vec<(usize, Observation)>,
}

#[derive(Debug)]
struct Conn {
    readers: [Reader; 2],
}

impl Held for Conn {
    /// What this connection holds: its box, partial records and handshake messages.
    fn bytes(&self) -> usize {
        heap(std::mem::size_of::<Conn>()) + self.readers.iter().map(Reader::held).sum::<usize>()
    }
}

/// Reads TLS handshakes; fed by the TCP core.
#[derive(Debug)]
pub struct TlsAnalyzer {
    max_sessions: usize,
    /// What the sessions kept in detail hold; past its limit the others are only counted.
    kept: Budget,
    /// Per connection: its readers, or `None` when it is not TLS.
    open: PerStream<Conn>,
    analysis: TlsAnalysis,
    observers: Observers,
}

impl TlsAnalyzer {
    /// An analyzer keeping `max_sessions` in detail, telling `observers` of each session.
    pub fn new(max_sessions: usize, kept_budget: usize, observers: Observers) -> TlsAnalyzer {
        TlsAnalyzer {
            max_sessions,
            kept: Budget::new(kept_budget),
            open: PerStream::default(),
            analysis: TlsAnalysis::default(),
            observers,
        }
    }
}

impl Observer for TlsAnalyzer {
    fn data(&mut self, ctx: &StreamCtx, dir: Direction, data: &[u8]) {
        let opens = || {
            (dir == Direction::ClientToServer && opens_tls(data)).then(|| Conn {
                readers: [Reader::default(), Reader::default()],
            })
        };
        let side = usize::from(dir == Direction::ServerToClient);
        self.open
            .update(ctx.stream, opens, |conn| conn.readers[side].feed(data));
    }

    fn held_bytes(&self) -> usize {
        self.open.held()
    }

    fn connection_closed(&mut self, c: &Connection) {
        let Some(conn) = self.open.close(c.stream) else {
            return;
        };
        let [client, server] = conn.readers;
        let session = TlsSession {
            stream: c.stream,
            client: c.client,
            server: c.server,
            client_hello: client.hello,
            server_hello: server.hello,
        };
        for (_, o) in &mut self.observers {
            o.tls(&session, c.matched);
        }
        if c.matched {
            self.analysis.total += 1;
            let room = self.analysis.sessions.len() < self.max_sessions;
            let bytes = 2 * std::mem::size_of::<TlsSession>()
                + session.client_hello.held()
                + session.server_hello.held();
            if self.kept.admit(bytes, room) {
                self.analysis.sessions.push(session);
            }
        }
    }

    fn finish(self: Box<Self>) -> Observation {
        let mut observed = Vec::new();
        finish_all(self.observers, &mut observed);
        let mut analysis = self.analysis;
        analysis.sessions.sort_by_key(|s| s.stream);
        Observation::Tls(Box::new(TlsResult { analysis, observed }))
    }
}
