//! Observers: small, streaming state beside the analyzers, fed with the events the analyzers
//! emit (as Zeek scripts observe `connection_state_remove` or `dns_end`). A check that needs
//! something over the whole capture (a text in a stream, the sizes of the server's segments,
//! what became of one DNS name) is an observer, so the analyzers carry nothing check-specific
//! and the check holds for captures of any size, never reading the capped detail.

use std::fmt;

use super::dns::Transaction;
use super::http::HttpTransaction;
use super::messages::{Conversation, Exchange};
use super::tcp::{Connection, Direction};
use super::tls::TlsSession;
use super::udp::Datagram;
use super::Endpoint;
use crate::checks::observe::Observation;
use std::time::Duration;

/// Which connection bytes were delivered on, and when (the time of the segment that completed
/// them, as Wireshark times a reassembled message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamCtx {
    /// Its `tcp.stream`.
    pub stream: u32,
    /// The client.
    pub client: Endpoint,
    /// The server.
    pub server: Endpoint,
    /// When.
    pub ts: Duration,
    /// Some packet of the connection matched the filter so far.
    pub matched: bool,
}

/// Watches the events of the TCP and DNS analyzers. Every method but `finish` has an empty
/// default: an observer implements the events it cares about.
pub trait Observer: Send + fmt::Debug {
    /// A segment of `conn` was seen going `dir` (retransmissions included, capture order);
    /// `matched` says whether the filter selected it.
    fn segment(&mut self, _conn: &Connection, _dir: Direction, _len: u32, _matched: bool) {}

    /// Bytes of a connection delivered in order going `dir`.
    fn data(&mut self, _ctx: &StreamCtx, _dir: Direction, _data: &[u8]) {}

    /// `conn` is closed for good (`conn.matched` says whether it is reported).
    fn connection_closed(&mut self, _conn: &Connection) {}

    /// Bytes held for connections still open. They count against the open connections'
    /// share of the memory cap: evicting a connection frees them (through
    /// [`Observer::connection_closed`]).
    fn held_bytes(&self) -> usize {
        0
    }

    /// A reported DNS transaction is closed for good.
    fn transaction_closed(&mut self, _transaction: &Transaction) {}

    /// A request was answered, or will not be (messages over TCP); `matched` says whether its
    /// connection is reported.
    fn exchange(&mut self, _exchange: &Exchange, _matched: bool) {}

    /// A connection cut into messages ended.
    fn conversation(&mut self, _conversation: &Conversation) {}

    /// An HTTP request and its response (or none); `matched` says whether its connection is
    /// reported.
    fn http(&mut self, _transaction: &HttpTransaction, _matched: bool) {}

    /// A TLS connection's handshake, when the connection closes; `matched` says whether it is
    /// reported.
    fn tls(&mut self, _session: &TlsSession, _matched: bool) {}

    /// A UDP datagram; `matched` says whether the filter selected it.
    fn datagram(&mut self, _datagram: &Datagram, _matched: bool) {}

    /// What it observed over the capture.
    fn finish(self: Box<Self>) -> Observation;
}

/// Observers as the analyzers hold them, each with the index of the check that asked for it.
pub type Observers = Vec<(usize, Box<dyn Observer>)>;

/// Hands every observer's result over, by the index of the check that asked for it.
pub fn finish_all(observers: Observers, into: &mut Vec<(usize, Observation)>) {
    into.extend(observers.into_iter().map(|(i, o)| (i, o.finish())));
}
