//! Messages over TCP, for the course's line and JSON protocols (a time server's `TIME\r\n` →
//! `JAM 10:00:01\r\n`, a file server's `GET name\r\n` → JSON ending in a blank line): each
//! connection whose server port has a framing rule is cut into messages as the TCP core
//! delivers its bytes in order, requests are paired with responses (first in, first out, so
//! pipelined requests pair right), and every exchange and every finished conversation is an
//! event for the checks' observers. Memory: a message is held up to a limit (the rest only
//! counted), pending requests per connection are bounded, and only the first exchanges are
//! kept in detail.

pub mod framing;

use super::memory::{heap, Budget, MemCap};
use super::streams::{Held, PerStream};
use std::collections::VecDeque;

use std::time::Duration;

use super::observer::{Observer, Observers, StreamCtx};
use super::tcp::{Close, Connection, Direction};
use super::Endpoint;
use crate::checks::observe::Observation;
use framing::{FrameRule, Framer};

/// Bytes of a message kept in the detail list (JSON and tables); the checks see up to the
/// configured limit.
pub const DETAIL_TEXT: usize = 512;
/// Requests waiting for their responses, per connection; older ones count as unanswered.
const MAX_PENDING: usize = 64;

/// Which connections are cut into messages, and the limits.
#[derive(Clone, Debug)]
pub struct MessagesConfig {
    /// Framing rules by server port, the first that applies wins.
    pub rules: Vec<FrameRule>,
    /// Exchanges kept in detail; later ones are only counted.
    pub max_exchanges: usize,
    /// Bytes of one message held for the checks (the rest is counted).
    pub message_limit: usize,
    /// Bytes the exchanges kept in detail may hold; past it the others are only counted.
    pub kept_budget: usize,
}

impl Default for MessagesConfig {
    fn default() -> MessagesConfig {
        MessagesConfig {
            rules: Vec::new(),
            max_exchanges: 10_000,
            message_limit: 1 << 20,
            kept_budget: MemCap::default().detail(),
        }
    }
}

/// One message: when it completed, its first bytes and its whole length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// When its last byte arrived.
    pub ts: Duration,
    /// Its bytes, up to a limit.
    pub bytes: Vec<u8>,
    /// Its whole length.
    pub len: u64,
}

impl Message {
    /// True when only the first bytes are held.
    pub fn is_cut(&self) -> bool {
        (self.bytes.len() as u64) < self.len
    }

    /// The bytes shown in detail: the first [`DETAIL_TEXT`].
    fn shown(&self) -> &[u8] {
        &self.bytes[..self.bytes.len().min(DETAIL_TEXT)]
    }

    /// The message as kept in detail: its shown bytes only, in a buffer of their size.
    fn detail(&self) -> Message {
        Message {
            ts: self.ts,
            bytes: self.shown().to_vec(),
            len: self.len,
        }
    }
}

/// A request and the response that answered it (either may be missing: a request never
/// answered, a server that spoke first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// The connection's `tcp.stream`.
    pub stream: u32,
    /// The client.
    pub client: Endpoint,
    /// The server.
    pub server: Endpoint,
    /// The client's message.
    pub request: Option<Message>,
    /// The server's message.
    pub response: Option<Message>,
}

impl Exchange {
    /// When it started: the request's time, or the response's.
    pub fn t(&self) -> Duration {
        self.request
            .as_ref()
            .or(self.response.as_ref())
            .map_or(Duration::ZERO, |m| m.ts)
    }

    /// From the request to the response.
    pub fn latency(&self) -> Option<Duration> {
        Some(
            self.response
                .as_ref()?
                .ts
                .saturating_sub(self.request.as_ref()?.ts),
        )
    }
}

/// A connection's conversation, at its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    /// The connection's `tcp.stream`.
    pub stream: u32,
    /// The client.
    pub client: Endpoint,
    /// The server.
    pub server: Endpoint,
    /// Who sent the first message.
    pub first_speaker: Option<Direction>,
    /// Messages from the client.
    pub requests: u64,
    /// Messages from the server.
    pub responses: u64,
    /// The client's last message (up to the detail length).
    pub last_request: Option<Message>,
    /// Closed by a FIN from both sides.
    pub closed_by_fin: bool,
    /// The server's FIN came before the client's (it closed the conversation).
    pub server_closed_first: bool,
    /// Some packet of it matched the filter.
    pub matched: bool,
}

/// Counts over every reported connection that was cut into messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageTotals {
    /// Conversations (connections with a framing rule).
    pub conversations: u64,
    /// Client messages.
    pub requests: u64,
    /// Server messages.
    pub responses: u64,
    /// Requests paired with a response.
    pub exchanges: u64,
    /// Requests without a response.
    pub unanswered: u64,
    /// Server messages with no request waiting (a greeting, a banner).
    pub unsolicited: u64,
    /// Messages longer than the limit (held in part).
    pub cut: u64,
}

/// The first exchanges in detail and the totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessagesAnalysis {
    /// The first exchanges of reported connections, texts up to [`DETAIL_TEXT`] bytes.
    pub exchanges: Vec<Exchange>,
    /// Totals over all of them.
    pub totals: MessageTotals,
}

/// The analysis and what its observers (checks on exchanges) saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessagesResult {
    /// What the analyzer found.
    pub analysis: MessagesAnalysis,
    /// The checks' observations, by check index.
    pub observed: Vec<(usize, Observation)>,
}

#[derive(Debug)]
struct Conv {
    framers: [Framer; 2],
    pending: VecDeque<Message>,
    first_speaker: Option<Direction>,
    requests: u64,
    responses: u64,
    last_request: Option<Message>,
}

impl Held for Conv {
    /// What this conversation holds: its box, partial messages, requests waiting for their
    /// response.
    fn bytes(&self) -> usize {
        heap(std::mem::size_of::<Conv>())
            + self.framers.iter().map(Framer::held).sum::<usize>()
            + self
                .pending
                .iter()
                .chain(&self.last_request)
                .map(|m| std::mem::size_of::<Message>() + m.bytes.capacity())
                .sum::<usize>()
    }
}

/// Cuts framed connections into messages and pairs them; fed by the TCP core.
#[derive(Debug)]
pub struct MessagesAnalyzer {
    config: MessagesConfig,
    /// What the exchanges kept in detail hold, against `MessagesConfig::kept_budget`.
    kept: Budget,
    /// Per connection with a rule, its state; `None` for one without a rule.
    open: PerStream<Conv>,
    analysis: MessagesAnalysis,
    observers: Observers,
}

impl MessagesAnalyzer {
    /// An analyzer with these rules, telling `observers` of every exchange and conversation.
    pub fn new(config: MessagesConfig, observers: Observers) -> MessagesAnalyzer {
        MessagesAnalyzer {
            kept: Budget::new(config.kept_budget),
            config,
            open: PerStream::default(),
            analysis: MessagesAnalysis::default(),
            observers,
        }
    }

    fn emit(&mut self, ex: Exchange, matched: bool) {
        for (_, o) in &mut self.observers {
            o.exchange(&ex, matched);
        }
        if !matched {
            return;
        }
        let t = &mut self.analysis.totals;
        match (&ex.request, &ex.response) {
            (Some(_), Some(_)) => t.exchanges += 1,
            (Some(_), None) => t.unanswered += 1,
            (None, Some(_)) => t.unsolicited += 1,
            (None, None) => {}
        }
        // Kept with the first bytes of each message only (a new, exact buffer: the rest is
        // given back), its place in the list counted twice over (the list grows by doubling).
        let shown = |m: &Option<Message>| m.as_ref().map_or(0, |m| heap(m.shown().len()));
        let bytes = 2 * std::mem::size_of::<Exchange>() + shown(&ex.request) + shown(&ex.response);
        let room = self.analysis.exchanges.len() < self.config.max_exchanges;
        if self.kept.admit(bytes, room) {
            self.analysis.exchanges.push(Exchange {
                request: ex.request.as_ref().map(Message::detail),
                response: ex.response.as_ref().map(Message::detail),
                ..ex
            });
        }
    }
}

impl Observer for MessagesAnalyzer {
    fn data(&mut self, ctx: &StreamCtx, dir: Direction, data: &[u8]) {
        let rules = &self.config.rules;
        let opens = || {
            let rule = rules.iter().find(|r| r.applies(ctx.server.port))?;
            Some(Conv {
                framers: [Framer::new(rule.request), Framer::new(rule.response)],
                pending: VecDeque::new(),
                first_speaker: None,
                requests: 0,
                responses: 0,
                last_request: None,
            })
        };
        let limit = self.config.message_limit;
        let mut done = Vec::new();
        let mut cut = 0;
        let frame = |conv: &mut Conv| {
            let mut messages = Vec::new();
            let side = usize::from(dir == Direction::ServerToClient);
            conv.framers[side].feed(data, limit, &mut |piece| {
                messages.push(Message {
                    ts: ctx.ts,
                    bytes: piece.bytes.to_vec(),
                    len: piece.len,
                })
            });
            for m in messages {
                if m.is_cut() && ctx.matched {
                    cut += 1;
                }
                conv.first_speaker.get_or_insert(dir);
                match dir {
                    Direction::ClientToServer => {
                        conv.requests += 1;
                        conv.last_request = Some(m.detail());
                        conv.pending.push_back(m);
                        if conv.pending.len() > MAX_PENDING {
                            done.push((conv.pending.pop_front(), None));
                        }
                    }
                    Direction::ServerToClient => {
                        conv.responses += 1;
                        done.push((conv.pending.pop_front(), Some(m)));
                    }
                }
            }
        };
        self.open.update(ctx.stream, opens, frame);
        self.analysis.totals.cut += cut;
        for (request, response) in done {
            let ex = Exchange {
                stream: ctx.stream,
                client: ctx.client,
                server: ctx.server,
                request,
                response,
            };
            self.emit(ex, ctx.matched);
        }
    }

    fn connection_closed(&mut self, c: &Connection) {
        let Some(mut conv) = self.open.close(c.stream) else {
            return;
        };
        for request in std::mem::take(&mut conv.pending) {
            let ex = Exchange {
                stream: c.stream,
                client: c.client,
                server: c.server,
                request: Some(request),
                response: None,
            };
            self.emit(ex, c.matched);
        }
        let conversation = Conversation {
            stream: c.stream,
            client: c.client,
            server: c.server,
            first_speaker: conv.first_speaker,
            requests: conv.requests,
            responses: conv.responses,
            last_request: conv.last_request,
            closed_by_fin: c.c2s.fin && c.s2c.fin && c.close() == Close::Fin,
            server_closed_first: c.server_closed_first(),
            matched: c.matched,
        };
        if c.matched {
            let t = &mut self.analysis.totals;
            t.conversations += 1;
            t.requests += conversation.requests;
            t.responses += conversation.responses;
        }
        for (_, o) in &mut self.observers {
            o.conversation(&conversation);
        }
    }

    fn held_bytes(&self) -> usize {
        self.open.held()
    }

    fn finish(self: Box<Self>) -> Observation {
        let mut observed = Vec::new();
        super::observer::finish_all(self.observers, &mut observed);
        Observation::Messages(Box::new(MessagesResult {
            analysis: self.analysis,
            observed,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn held_bytes_follow_partial_messages_and_go_when_the_connection_closes() {
        let at = |port| Endpoint {
            ip: Ipv4Addr::LOCALHOST.into(),
            port,
        };
        let config = MessagesConfig {
            rules: vec![FrameRule::parse("7000=crlf").unwrap()],
            ..MessagesConfig::default()
        };
        let mut a = MessagesAnalyzer::new(config, Observers::new());
        let ctx = |stream| StreamCtx {
            stream,
            client: at(40000 + stream as u16),
            server: at(7000),
            ts: Duration::ZERO,
            matched: true,
        };
        for stream in 0..3 {
            // A request line that never ends.
            a.data(&ctx(stream), Direction::ClientToServer, &[b'x'; 50_000]);
        }
        assert!(a.held_bytes() >= 150_000, "{}", a.held_bytes());
        for stream in 0..3 {
            a.connection_closed(&Connection::new(
                stream,
                at(40000),
                at(7000),
                Duration::ZERO,
            ));
        }
        assert_eq!(a.held_bytes(), 0);
    }

    #[test]
    fn exchanges_kept_in_detail_hold_their_first_bytes_only_and_stop_at_their_budget() {
        let at = |port| Endpoint {
            ip: Ipv4Addr::LOCALHOST.into(),
            port,
        };
        let budget = 64 * 1024;
        let config = MessagesConfig {
            rules: vec![FrameRule::parse("7000=crlf").unwrap()],
            kept_budget: budget,
            ..MessagesConfig::default()
        };
        let mut a = MessagesAnalyzer::new(config, Observers::new());
        let mut line = vec![b'x'; 100_000];
        line.extend(b"\r\n");
        for stream in 0..100 {
            let ctx = StreamCtx {
                stream,
                client: at(40000),
                server: at(7000),
                ts: Duration::ZERO,
                matched: true,
            };
            a.data(&ctx, Direction::ClientToServer, &line);
            a.data(&ctx, Direction::ServerToClient, b"ok\r\n");
        }
        let kept = &a.analysis.exchanges;
        assert!(!kept.is_empty() && kept.len() < 100, "{} kept", kept.len());
        assert_eq!(a.analysis.totals.exchanges, 100);
        let request = kept[0].request.as_ref().unwrap();
        assert_eq!(request.len, 100_002);
        assert!(request.bytes.capacity() <= DETAIL_TEXT);
    }
}
