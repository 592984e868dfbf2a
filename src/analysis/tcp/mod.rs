//! TCP analysis: connections keyed by 4-tuple and numbered like Wireshark's `tcp.stream`,
//! relative sequence numbers, `tcp.analysis.*` findings, reassembly, echo check and Zeek state.

mod connection;
mod reassembly;
mod sequence;
mod state;
mod table;
mod totals;

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Duration;

use rustc_hash::FxBuildHasher;

pub use connection::{Close, Connection, Event, Half, Stamp};
pub use sequence::{DupAck, Findings};
pub use totals::{ConnRef, Finding, Found, TcpTotals};

use super::kept::{Detail, Kept};
use super::memory::{self, Budget, Candidate, MemCap};
use super::observer::{finish_all, Observers};
pub use super::Endpoint;
use super::Linger;
use crate::checks::observe::Observation;

use crate::wire::{Packet, Tcp, TcpFlags};

/// Which way a segment went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the client to the server.
    ClientToServer,
    /// From the server to the client.
    ServerToClient,
}

impl Direction {
    /// `c2s` or `s2c`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::ClientToServer => "c2s",
            Direction::ServerToClient => "s2c",
        }
    }
}

/// Limits and inputs of the analysis.
#[derive(Clone, Debug)]
pub struct TcpConfig {
    /// Events kept per connection for timelines and JSON.
    pub max_events: usize,
    /// Events kept over all connections (bounds memory on large captures).
    pub events_budget: usize,
    /// Payload bytes kept per direction for display.
    pub preview_bytes: usize,
    /// Payload bytes kept of each recorded event's segment (for sequence diagrams); 0 keeps
    /// none.
    pub segment_preview: usize,
    /// Bytes held per direction for out-of-order segments and per connection for the echo check.
    pub reassembly_limit: usize,
    /// Connections kept in detail for tables and JSON; the others are only counted in the totals.
    pub max_connections: usize,
    /// How long (capture time) an ended connection waits for late packets before it is closed
    /// for good.
    pub linger: Duration,
    /// A connection without packets for this long (capture time) is closed for good.
    pub idle_timeout: Duration,
    /// Bytes the open connections may hold (their share of the memory cap); past it the
    /// quietest are evicted.
    pub state_budget: usize,
    /// Bytes the connections kept in detail may hold; past it the others are only counted.
    pub kept_budget: usize,
}

impl Default for TcpConfig {
    fn default() -> TcpConfig {
        TcpConfig {
            max_events: 10_000,
            events_budget: 200_000,
            preview_bytes: 16 * 1024,
            segment_preview: 0,
            reassembly_limit: 4 << 20,
            max_connections: 1_000,
            linger: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(600),
            state_budget: MemCap::default().tcp(),
            kept_budget: MemCap::default().tcp_kept(),
        }
    }
}

/// What the analysis says of one segment, for the packet list.
#[derive(Clone, Copy, Debug)]
pub struct SegmentInfo {
    /// `tcp.stream`.
    pub stream: u32,
    /// The event as recorded.
    pub event: Event,
}

/// The connections kept in detail and the totals over all of them.
#[derive(Clone, Debug, Default)]
pub struct TcpAnalysis {
    /// The first connections with a matched packet, in detail, by stream index.
    pub connections: Vec<Connection>,
    /// Totals over every connection with a matched packet.
    pub totals: TcpTotals,
    /// What the observers saw, by the index of the check that asked.
    pub observed: Vec<(usize, Observation)>,
}

/// A connection's 4-tuple, both directions alike, packed into integers and hashed once:
/// hashing and comparing it is a few machine words (comparing `IpAddr`s was a tenth of the
/// analysis time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    /// Compared first: keys that differ mostly differ here.
    hash: u64,
    /// The lower (address, port) side's address, then the higher's, each as two words (u128
    /// would double the alignment, and the key travels between threads in every segment).
    addresses: [u64; 4],
    /// The lower side's port in the high half, the higher side's in the low half.
    ports: u32,
    v6: bool,
}

/// This process's keys for the connection hash, random: a capture cannot be made to file its
/// connections under one hash (a fixed fold of the addresses let 16,000 crafted connections
/// share one, and every lookup walk them all).
fn hash_seeds() -> &'static [u64; 5] {
    static SEEDS: OnceLock<[u64; 5]> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let random = std::collections::hash_map::RandomState::new();
        std::array::from_fn(|i| random.hash_one(i))
    })
}

/// The 128-bit product of `a` and `b`, its halves folded into 64 bits.
fn folded_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    product as u64 ^ (product >> 64) as u64
}

impl Key {
    /// The lower (address, port) side `low` and the higher `high` as the key holds them: the
    /// addresses as four words, the ports as one.
    fn words(low: (u128, u16), high: (u128, u16)) -> ([u64; 4], u32) {
        let addresses = [
            (low.0 >> 64) as u64,
            low.0 as u64,
            (high.0 >> 64) as u64,
            high.0 as u64,
        ];
        (addresses, u32::from(low.1) << 16 | u32::from(high.1))
    }

    /// The key of the lower (address, port) side `low` and the higher `high`, packed.
    fn new(low: (u128, u16), high: (u128, u16), v6: bool) -> Key {
        let (addresses, ports) = Key::words(low, high);
        // Pairs of words keyed and multiplied (as foldhash does): not linear in the words, so
        // which keys collide depends on the keys; the three products are independent, so the
        // processor works them out at once.
        let k = hash_seeds();
        let last = u64::from(ports) << 1 | u64::from(v6);
        let hash = folded_multiply(addresses[0] ^ k[0], addresses[1] ^ k[1])
            ^ folded_multiply(addresses[2] ^ k[2], addresses[3] ^ k[3]).rotate_left(23)
            ^ folded_multiply(last ^ k[4], 0x9E37_79B9_7F4A_7C15).rotate_left(41);
        Key {
            hash,
            addresses,
            ports,
            v6,
        }
    }

    /// The key `c` is filed under.
    fn of(c: &Connection) -> Key {
        let (low, high) = Key::sides(c);
        Key::new(low, high, c.client.ip.is_ipv6())
    }

    /// True when `c` is filed under this key (its hash, already equal, is not computed again).
    fn is_of(&self, c: &Connection) -> bool {
        let (low, high) = Key::sides(c);
        (self.addresses, self.ports) == Key::words(low, high) && self.v6 == c.client.ip.is_ipv6()
    }

    /// `c`'s lower and higher (address, port) sides, packed.
    fn sides(c: &Connection) -> ((u128, u16), (u128, u16)) {
        let pack = |e: Endpoint| packed(e.ip, e.port);
        match c.client_is_low {
            true => (pack(c.client), pack(c.server)),
            false => (pack(c.server), pack(c.client)),
        }
    }
}

fn packed(ip: IpAddr, port: u16) -> (u128, u16) {
    let ip = match ip {
        IpAddr::V4(ip) => u128::from(u32::from(ip)),
        IpAddr::V6(ip) => u128::from(ip),
    };
    (ip, port)
}

/// A segment's 4-tuple as the connection table keys it, and which side sent it. Computed once
/// per segment, on whichever thread decodes (see `pipeline::replay`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentKey {
    key: Key,
    /// The sender is the key's low side.
    from_low: bool,
}

impl SegmentKey {
    /// The key of a TCP packet.
    pub fn of(packet: &Packet<'_>) -> Option<SegmentKey> {
        let tcp = packet.tcp()?;
        let ip = packet.ip?;
        let src = packed(ip.src, tcp.src_port);
        let dst = packed(ip.dst, tcp.dst_port);
        let from_low = src <= dst;
        let (low, high) = if from_low { (src, dst) } else { (dst, src) };
        Some(SegmentKey {
            key: Key::new(low, high, ip.src.is_ipv6()),
            from_low,
        })
    }

    /// The sender's and the receiver's addresses.
    pub fn addresses(&self) -> (IpAddr, IpAddr) {
        let ip = |words: &[u64]| {
            let ip = u128::from(words[0]) << 64 | u128::from(words[1]);
            if self.key.v6 {
                IpAddr::V6(ip.into())
            } else {
                IpAddr::V4((ip as u32).into())
            }
        };
        let (low, high) = (ip(&self.key.addresses[..2]), ip(&self.key.addresses[2..]));
        if self.from_low {
            (low, high)
        } else {
            (high, low)
        }
    }
}

/// How many packets pass between two looks for connections to close for good.
const SWEEP_EVERY: u32 = 1024;

/// Tracks every TCP connection of a capture, in memory bounded by the connections open at
/// once: an ended connection is folded into the totals once it has been quiet for a while.
#[derive(Debug, Default)]
pub struct TcpAnalyzer {
    config: TcpConfig,
    open: table::Table,
    next_stream: u32,
    kept: Kept<Box<Connection>>,
    totals: TcpTotals,
    /// Ended connections waiting out the linger time, by key and stream.
    ending: Linger<(Key, u32)>,
    /// Matched connections past their handshake and not yet ended, for the concurrency check.
    established: HashMap<u32, ConnRef, FxBuildHasher>,
    events_left: usize,
    ended_matched: usize,
    /// Capture time of the last look for idle connections.
    last_idle_sweep: Duration,
    since_sweep: u32,
    /// What the open connections hold, against `TcpConfig::state_budget`.
    state: Budget,
    observers: Observers,
}

impl TcpAnalyzer {
    /// An analyzer with the given limits.
    pub fn new(config: TcpConfig) -> TcpAnalyzer {
        TcpAnalyzer {
            events_left: config.events_budget,
            state: Budget::new(config.state_budget),
            kept: Kept::new(config.max_connections, config.kept_budget),
            config,
            ..Default::default()
        }
    }

    /// An analyzer that tells `observers` of every segment, every byte delivered in order and
    /// every connection closed.
    pub fn with_observers(config: TcpConfig, observers: Observers) -> TcpAnalyzer {
        TcpAnalyzer {
            observers,
            ..TcpAnalyzer::new(config)
        }
    }

    /// Feeds one packet, frame number `frame`; `matched` says whether the filter selected it.
    /// Returns the segment's stream and event for a TCP packet.
    pub fn on_packet(
        &mut self,
        packet: &Packet<'_>,
        frame: u64,
        matched: bool,
    ) -> Option<SegmentInfo> {
        let key = SegmentKey::of(packet)?;
        let tcp = packet.tcp()?;
        Some(self.on_keyed(tcp, packet.ts, key, frame, matched))
    }

    /// [`TcpAnalyzer::on_packet`] for segment `tcp` captured at `ts`, its key computed
    /// already: the addresses come from the key (only a new connection needs them), so no
    /// packet is needed.
    pub fn on_keyed(
        &mut self,
        tcp: &Tcp<'_>,
        ts: Duration,
        segment_key: SegmentKey,
        frame: u64,
        matched: bool,
    ) -> SegmentInfo {
        let SegmentKey { key, from_low } = segment_key;
        self.sweep(ts);
        let next_stream = &mut self.next_stream;
        let mut new_connection = |old: Option<&Connection>| {
            let stream = *next_stream;
            *next_stream += 1;
            connection_for(segment_key, tcp, ts, stream, old)
        };
        // One lookup: the connection of this 4-tuple, or a new one (which replaces the old when
        // this SYN starts the 4-tuple over; the old one is closed once this segment is done).
        let mut replaced = None;
        let mut bytes_before = 0;
        let connection = match self.open.find(&key) {
            Some(at) => {
                let c = self.open.at(at);
                if c.restarted_by(tcp.flags, tcp.seq) {
                    let new = new_connection(Some(c));
                    replaced = Some(std::mem::replace(c, new));
                } else {
                    bytes_before = c.mem_bytes();
                }
                c
            }
            None => self.open.insert(&key, new_connection(None)),
        };
        let dir = if from_low == connection.client_is_low {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        let (was_established, was_ended) = (connection.handshake, connection.ended());
        let events = connection.events.len();
        let record = self.events_left > 0;
        let event = connection.on_segment(
            dir,
            tcp,
            Stamp { frame, ts },
            matched,
            record,
            &self.config,
            &mut self.observers,
        );
        for (_, o) in &mut self.observers {
            o.segment(connection, dir, tcp.len, matched);
        }
        if connection.events.len() > events {
            self.events_left -= 1;
        }
        self.state.resize(bytes_before, connection.mem_bytes());
        let stream = connection.stream;
        if !was_established && connection.handshake && connection.matched && !connection.ended() {
            let this = ConnRef {
                stream,
                client: connection.client,
                server: connection.server,
            };
            if self.totals.concurrent.is_none() {
                // The first time two are up at once: the earliest stream with this one.
                if let Some(&other) = self.established.values().min_by_key(|c| c.stream) {
                    self.totals.concurrent = Some((other, this));
                }
            }
            self.established.insert(stream, this);
            let at_once = self.established.len() as u64;
            self.totals.peak_concurrent = self.totals.peak_concurrent.max(at_once);
        }
        if !was_ended && connection.ended() {
            self.established.remove(&stream);
            if connection.matched {
                self.ended_matched += 1;
            }
            self.ending.push(ts, (key, stream));
        }
        if let Some(old) = replaced {
            self.close_for_good(old);
        }
        if self.state.over_with(self.observers_held()) {
            self.evict();
        }
        SegmentInfo { stream, event }
    }

    /// What the stream analyzers and checks hold for open connections.
    fn observers_held(&self) -> usize {
        self.observers.iter().map(|(_, o)| o.held_bytes()).sum()
    }

    /// Closes the quietest connections early, until their state (and what the observers hold
    /// for them) is back under its budget.
    fn evict(&mut self) {
        // First the ended connections waiting out their linger time, oldest first: closing
        // them early costs only the attribution of a late packet, and the queue has them in
        // order (no walk over the table).
        while self.state.excess_with(self.observers_held()) > 0 {
            let Some((_, (key, stream))) = self.ending.pop_front() else {
                break;
            };
            if self.open.get(&key).is_some_and(|c| c.stream == stream) {
                let c = self.open.remove(&key).expect("present");
                self.close_for_good(c);
            }
        }
        let excess = self.state.excess_with(self.observers_held());
        if excess == 0 {
            return;
        }
        let entries = self
            .open
            .values()
            .map(|c| Candidate {
                done: c.ended(),
                last: c.end,
                order: u64::from(c.stream),
                bytes: c.mem_bytes(),
                key: Key::of(c),
            })
            .collect();
        for key in memory::oldest(entries, excess) {
            let mut c = self.open.remove(&key).expect("present");
            // An ended connection only waited for late packets: closing it early is no loss.
            c.evicted = !c.ended();
            self.close_for_good(c);
        }
        let open = &self.open;
        self.ending
            .retain(|(key, stream)| open.get(key).is_some_and(|c| c.stream == *stream));
    }

    /// The stream and event `packet` (frame number `frame`) will get, without analysing it:
    /// for filters on `tcp.stream` and `tcp.analysis.*`, decided before the packet is analysed.
    /// A connection the next sweep closes for good (quiet 5 s after its end) is still counted
    /// as open here.
    pub fn peek(&self, packet: &Packet<'_>, frame: u64) -> Option<SegmentInfo> {
        let tcp = packet.tcp()?;
        let segment_key = SegmentKey::of(packet)?;
        let fresh;
        let connection = match self.open.get(&segment_key.key) {
            Some(c) if !c.restarted_by(tcp.flags, tcp.seq) => c,
            old => {
                fresh = connection_for(segment_key, tcp, packet.ts, self.next_stream, old);
                &fresh
            }
        };
        let dir = if segment_key.from_low == connection.client_is_low {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        Some(SegmentInfo {
            stream: connection.stream,
            event: connection.peek(
                dir,
                tcp,
                Stamp {
                    frame,
                    ts: packet.ts,
                },
            ),
        })
    }

    /// How many matched connections have ended (FIN both ways, or RST).
    pub fn ended(&self) -> usize {
        self.ended_matched
    }

    /// Closes for good the ended connections quiet for the linger time, and now and then the
    /// idle ones.
    fn sweep(&mut self, now: Duration) {
        let open = &self.open;
        // A connection that a restarting SYN replaced on its 4-tuple is gone.
        let due = self
            .ending
            .due(now, self.config.linger, SWEEP_EVERY, |(key, stream)| {
                open.get(key).filter(|c| c.stream == *stream).map(|c| c.end)
            });
        for (key, _) in due {
            let c = self.open.remove(&key).expect("present");
            self.close_for_good(c);
        }
        // Idle connections are looked for as capture time passes (a quarter of the timeout),
        // checked every so many packets: the walk over the table stays rare.
        self.since_sweep += 1;
        let idle = self.config.idle_timeout;
        if self.since_sweep >= SWEEP_EVERY && now >= self.last_idle_sweep + idle / 4 {
            self.since_sweep = 0;
            self.last_idle_sweep = now;
            // Closed in stream order: observers that keep the first few see the same ones
            // whatever order the table holds them in.
            let mut stale: Vec<(u32, Key)> = self
                .open
                .values()
                .filter(|c| c.end + idle <= now)
                .map(|c| (c.stream, Key::of(c)))
                .collect();
            stale.sort_unstable_by_key(|(stream, _)| *stream);
            for (_, k) in stale {
                let c = self.open.remove(&k).expect("present");
                self.close_for_good(c);
            }
        }
    }

    /// Folds a connection into the totals; keeps it in detail while there is room.
    fn close_for_good(&mut self, mut c: Box<Connection>) {
        self.state.resize(c.mem_bytes(), 0);
        c.finish(&self.config, &mut self.observers);
        // Only a connection past its handshake and not ended is in the set (an ended one left
        // it with its last segment).
        if c.handshake && !c.ended() {
            self.established.remove(&c.stream);
        }
        for (_, o) in &mut self.observers {
            o.connection_closed(&c);
        }
        if c.matched {
            self.totals.add(&c);
            self.kept.offer(c);
        }
    }

    /// Ends the analysis.
    pub fn finish(mut self) -> TcpAnalysis {
        let mut open: Vec<Box<Connection>> = self.open.drain().collect();
        open.sort_by_key(|c| c.stream);
        for c in open {
            self.close_for_good(c);
        }
        let mut observed = Vec::new();
        finish_all(std::mem::take(&mut self.observers), &mut observed);
        TcpAnalysis {
            connections: self.kept.into_sorted().map(|c| *c).collect(),
            totals: self.totals,
            observed,
        }
    }
}

/// A new connection, number `stream`, whose first segment is `tcp` at `ts` (keyed
/// `segment_key`); `old` is the connection it replaces on the same 4-tuple, if any.
fn connection_for(
    segment_key: SegmentKey,
    tcp: &Tcp<'_>,
    ts: Duration,
    stream: u32,
    old: Option<&Connection>,
) -> Box<Connection> {
    let (src_ip, dst_ip) = segment_key.addresses();
    let src = Endpoint {
        ip: src_ip,
        port: tcp.src_port,
    };
    let dst = Endpoint {
        ip: dst_ip,
        port: tcp.dst_port,
    };
    let (client, server) = orient(src, dst, tcp.flags);
    // Allocated first and written in place: a connection built first and then boxed is
    // copied into its box (`Box::write` does this safely, from Rust 1.87 on).
    let mut slot = Box::<Connection>::new_uninit();
    slot.write(Connection::new(stream, client, server, ts));
    // SAFETY: the box was written whole just above.
    let mut c = unsafe { slot.assume_init() };
    c.client_is_low = (client == src) == segment_key.from_low;
    c.reuses_ports = old.is_some_and(|o| o.reused_by(segment_key.from_low, tcp.seq));
    c
}

impl Detail for Box<Connection> {
    fn number(&self) -> u32 {
        self.stream
    }

    fn bytes(&self) -> usize {
        self.mem_bytes()
    }
}

/// Who is the client: the SYN's sender, the SYN-ACK's receiver, or, for a connection seen
/// mid-way, the side with the higher (ephemeral) port.
fn orient(src: Endpoint, dst: Endpoint, flags: TcpFlags) -> (Endpoint, Endpoint) {
    let syn = flags.has(TcpFlags::SYN);
    let ack = flags.has(TcpFlags::ACK);
    if (syn && ack) || (!syn && src.port < dst.port) {
        (dst, src)
    } else {
        (src, dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Tcp, Transport};
    use std::net::Ipv4Addr;

    fn segment(
        ms: u64,
        src: u16,
        dst: u16,
        seq: u32,
        ack: u32,
        flags: u16,
        payload: &[u8],
    ) -> Packet<'_> {
        let host = |port| Ipv4Addr::new(172, 16, 16, if port == 10000 { 101 } else { 102 });
        let tcp = Tcp {
            src_port: src,
            dst_port: dst,
            seq,
            ack,
            flags: TcpFlags(flags),
            window: 502,
            header_len: 20,
            len: payload.len() as u32,
            payload,
            option_bytes: &[],
        };
        Packet::ipv4_for_test(ms, host(src), host(dst), Transport::Tcp(tcp))
    }

    /// A complete echo session on client port `port` starting at `ms`.
    fn session(a: &mut TcpAnalyzer, ms: u64, port: u16) {
        const S: u16 = TcpFlags::SYN;
        const A: u16 = TcpFlags::ACK;
        const P: u16 = TcpFlags::PSH;
        const F: u16 = TcpFlags::FIN;
        let m = b"hello";
        for (i, (src, dst, seq, ack, flags, data)) in [
            (port, 10000, 100, 0, S, &b""[..]),
            (10000, port, 500, 101, S | A, b""),
            (port, 10000, 101, 501, A, b""),
            (port, 10000, 101, 501, P | A, m),
            (10000, port, 501, 106, P | A, m),
            (port, 10000, 106, 506, F | A, b""),
            (10000, port, 506, 107, F | A, b""),
            (port, 10000, 107, 507, A, b""),
        ]
        .into_iter()
        .enumerate()
        {
            a.on_packet(
                &segment(ms + i as u64, src, dst, seq, ack, flags, data),
                ms + i as u64,
                true,
            );
        }
    }

    #[test]
    fn ended_connections_leave_memory_and_stay_in_the_totals() {
        let mut a = TcpAnalyzer::new(TcpConfig::default());
        for i in 0..20_000u64 {
            // A session every 10 ms on a fresh port: 200 s of capture.
            session(&mut a, i * 10, 20_000 + (i % 40_000) as u16);
            assert!(
                a.open.len() < 1_000,
                "{} open after {i} sessions",
                a.open.len()
            );
        }
        let r = a.finish();
        assert_eq!(r.totals.connections, 20_000);
        assert_eq!(r.connections.len(), 1_000);
        assert_eq!(r.connections[999].stream, 999);
        assert_eq!(
            r.totals.without_handshake.count + r.totals.not_closed.count,
            0
        );
        assert_eq!(
            (r.totals.carried_data, r.totals.echo_failed.count),
            (20_000, 0)
        );
        assert_eq!(r.totals.concurrent, None);
    }

    #[test]
    fn overlapping_connections_are_concurrent() {
        let mut a = TcpAnalyzer::new(TcpConfig::default());
        const S: u16 = TcpFlags::SYN;
        const A: u16 = TcpFlags::ACK;
        for (ms, port) in [(0, 40001), (1, 40002)] {
            a.on_packet(&segment(ms, port, 10000, 1, 0, S, b""), ms, true);
            a.on_packet(&segment(ms, 10000, port, 9, 2, S | A, b""), ms, true);
            a.on_packet(&segment(ms, port, 10000, 2, 10, A, b""), ms, true);
        }
        let r = a.finish();
        let (a, b) = r.totals.concurrent.expect("two connections at once");
        assert_eq!((a.stream, b.stream), (0, 1));
        assert_eq!((a.client.port, b.client.port), (40001, 40002));
    }

    #[test]
    fn segment_payloads_are_kept_by_event_only_when_asked() {
        for (keep, expected) in [
            (0, vec![&b""[..]; 8]),
            (3, {
                let mut v = vec![&b""[..]; 8];
                v[3] = b"hel";
                v[4] = b"hel";
                v
            }),
        ] {
            let mut a = TcpAnalyzer::new(TcpConfig {
                segment_preview: keep,
                ..TcpConfig::default()
            });
            session(&mut a, 0, 40000);
            let r = a.finish();
            let c = &r.connections[0];
            assert_eq!(c.events.len(), 8);
            let kept: Vec<&[u8]> = (0..8).map(|i| c.event_payload(i)).collect();
            assert_eq!(kept, expected);
            assert_eq!(c.event_payloads.is_empty(), keep == 0);
        }
    }

    #[test]
    fn a_flood_of_half_open_connections_stays_within_the_budget_and_is_counted() {
        const S: u16 = TcpFlags::SYN;
        let budget = 256 * 1024;
        let mut a = TcpAnalyzer::new(TcpConfig {
            state_budget: budget,
            ..TcpConfig::default()
        });
        for i in 0..20_000u64 {
            a.on_packet(
                &segment(i, 20_000 + (i % 40_000) as u16, 10000, 7, 0, S, b""),
                i,
                true,
            );
            assert!(
                a.state.used() <= budget,
                "{} bytes after {i}",
                a.state.used()
            );
        }
        let counted: usize = a.open.values().map(|c| c.mem_bytes()).sum();
        assert_eq!(a.state.used(), counted);
        let open = a.open.len() as u64;
        assert!(open < 2_000, "{open} open");
        let r = a.finish();
        // Every connection is reported; the ones closed early say so.
        assert_eq!(r.totals.connections, 20_000);
        assert_eq!(r.totals.evicted.count, 20_000 - open);
        // The quietest went first.
        let first: Vec<u32> = r.totals.evicted.first.iter().map(|c| c.stream).collect();
        assert_eq!(first, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn an_unechoed_connection_counts_its_backlog_and_frees_it_when_evicted() {
        const S: u16 = TcpFlags::SYN;
        const A: u16 = TcpFlags::ACK;
        let mut a = TcpAnalyzer::new(TcpConfig {
            state_budget: 64 * 1024,
            ..TcpConfig::default()
        });
        let data = [b'e'; 1000];
        for port in [40001, 40002] {
            a.on_packet(&segment(0, port, 10000, 0, 0, S, b""), 0, true);
            a.on_packet(&segment(0, 10000, port, 0, 1, S | A, b""), 0, true);
            a.on_packet(&segment(0, port, 10000, 1, 1, A, b""), 0, true);
        }
        // Two clients send and nothing comes back: each backlog grows until the older one is
        // evicted.
        for i in 0..60u32 {
            for port in [40001, 40002] {
                a.on_packet(
                    &segment(1 + u64::from(i), port, 10000, 1 + i * 1000, 1, A, &data),
                    u64::from(i),
                    true,
                );
            }
            assert!(a.state.used() <= 64 * 1024);
        }
        assert!(a.finish().totals.evicted.count >= 1);
    }
}
