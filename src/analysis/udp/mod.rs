//! UDP conversations, as `tshark -z conv,udp` counts them: both directions of an address and
//! port pair, numbered like `udp.stream` in order of first appearance, with datagrams and bytes
//! each way, sizes, first and last time, and broadcasts. Every datagram is an event for the
//! checks' observers. A conversation quiet for a minute of capture time is folded into the
//! totals, so memory follows the conversations active at once.

use rustc_hash::FxHashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use super::analyzer::{Analyzer, Found, PacketNotes};
use super::kept::{Detail, Kept};
use super::memory::{slot, Budget};
use super::observer::{finish_all, Observers};
use super::{Endpoint, Linger};
use crate::checks::observe::Observation;
use crate::wire::{Ip, LayerRole, Packet, PacketType, Transport, Udp};

/// How long a conversation stays open without datagrams (capture time).
const IDLE: Duration = Duration::from_secs(60);
/// Datagrams between two looks for idle conversations.
const SWEEP_EVERY: u32 = 1024;

/// One datagram, as observers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// When.
    pub ts: Duration,
    /// Sender.
    pub src: Endpoint,
    /// Receiver.
    pub dst: Endpoint,
    /// Payload bytes (from the UDP header).
    pub len: u32,
    /// Sent to a broadcast address (255.255.255.255, the lab subnet's, or marked broadcast
    /// by the capture).
    pub broadcast: bool,
    /// Its conversation's `udp.stream`.
    pub stream: u32,
}

/// One direction of a conversation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flow {
    /// Datagrams.
    pub datagrams: u64,
    /// Payload bytes.
    pub bytes: u64,
    /// Smallest payload.
    pub min_len: u32,
    /// Largest payload.
    pub max_len: u32,
    /// When the last datagram went.
    pub last: Option<Duration>,
    /// The time between consecutive datagrams, summed (for the mean interval).
    pub gaps: Duration,
}

impl Flow {
    /// The mean time between consecutive datagrams this way (none for fewer than two).
    pub fn mean_interval(&self) -> Option<Duration> {
        (self.datagrams > 1).then(|| self.gaps / (self.datagrams - 1) as u32)
    }

    fn add(&mut self, len: u32, ts: Duration) {
        if let Some(last) = self.last {
            self.gaps += ts.saturating_sub(last);
        }
        self.last = Some(ts);
        if self.datagrams == 0 || len < self.min_len {
            self.min_len = len;
        }
        self.max_len = self.max_len.max(len);
        self.datagrams += 1;
        self.bytes += u64::from(len);
    }
}

/// A UDP conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UdpConversation {
    /// `udp.stream`.
    pub stream: u32,
    /// The side that sent first.
    pub a: Endpoint,
    /// The other side.
    pub b: Endpoint,
    /// A → B.
    pub a_to_b: Flow,
    /// B → A.
    pub b_to_a: Flow,
    /// First datagram.
    pub first: Duration,
    /// Last datagram.
    pub last: Duration,
    /// Datagrams sent to a broadcast address.
    pub broadcasts: u64,
    /// Some datagram of it matched the filter.
    pub matched: bool,
}

/// Totals over the reported conversations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UdpTotals {
    /// Conversations.
    pub conversations: u64,
    /// Datagrams.
    pub datagrams: u64,
    /// Payload bytes.
    pub bytes: u64,
    /// Broadcast datagrams.
    pub broadcasts: u64,
    /// Conversations closed early to stay within the memory cap (a later datagram of the
    /// same pair was counted as a new conversation).
    pub evicted: u64,
}

/// The first conversations in detail, and totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UdpAnalysis {
    /// The first reported conversations, by `udp.stream`.
    pub conversations: Vec<UdpConversation>,
    /// Totals over all of them.
    pub totals: UdpTotals,
    /// What the checks' observers saw, by check index.
    pub observed: Vec<(usize, Observation)>,
}

type Key = (Endpoint, Endpoint);

/// Tracks UDP conversations.
#[derive(Debug, Default)]
pub struct UdpAnalyzer {
    open: FxHashMap<Key, UdpConversation>,
    idle: Linger<Key>,
    next_stream: u32,
    /// The lowest-numbered conversations, kept in detail.
    kept: Kept<UdpConversation>,
    /// What the open conversations hold, against their share of the memory cap.
    state: Budget,
    analysis: UdpAnalysis,
    observers: Observers,
}

impl Detail for UdpConversation {
    fn number(&self) -> u32 {
        self.stream
    }

    /// Not counted: the list is bounded by its length (conversations hold no buffers).
    fn bytes(&self) -> usize {
        0
    }
}

/// What one open conversation holds: its table entry and its place in the idle queue.
const CONVERSATION_BYTES: usize =
    slot::<(Key, UdpConversation)>() + 2 * std::mem::size_of::<(Duration, Key)>();

/// The lab subnet's broadcast address.
fn subnet_broadcast() -> Ipv4Addr {
    let (net, prefix) = crate::lab::SUBNET;
    Ipv4Addr::from(u32::from(net) | (u32::MAX >> prefix))
}

/// A UDP datagram's sender and receiver.
pub fn endpoints(packet: &Packet<'_>) -> Option<(Endpoint, Endpoint)> {
    let (udp, ip) = (packet.udp()?, packet.ip?);
    let at = |ip, port| Endpoint { ip, port };
    Some((at(ip.src, udp.src_port), at(ip.dst, udp.dst_port)))
}

impl UdpAnalyzer {
    /// An analyzer keeping `max_conversations` in detail, its open ones within `budget`
    /// bytes, telling `observers` of every datagram.
    pub fn new(max_conversations: usize, budget: usize, observers: Observers) -> UdpAnalyzer {
        UdpAnalyzer {
            kept: Kept::new(max_conversations, usize::MAX),
            state: Budget::new(budget),
            observers,
            ..Default::default()
        }
    }

    /// Closes the quietest conversations early, until the open ones are back under budget: from
    /// the front of the idle queue, where one active since it was queued goes to the back with
    /// the time it was last active and one that was not is closed (quietest first as a clock
    /// approximates it, without a walk over the table: each eviction costs constant time).
    fn evict(&mut self) {
        while self.state.excess() > 0 {
            let Some((since, key)) = self.idle.pop_front() else {
                break;
            };
            let Some(last) = self.open.get(&key).map(|c| c.last) else {
                continue;
            };
            if last > since {
                self.idle.push(last, key);
                continue;
            }
            let c = self.open.remove(&key).expect("present");
            if c.matched {
                self.analysis.totals.evicted += 1;
            }
            self.close(c);
        }
    }

    fn close(&mut self, c: UdpConversation) {
        self.state.resize(CONVERSATION_BYTES, 0);
        if !c.matched {
            return;
        }
        let t = &mut self.analysis.totals;
        t.conversations += 1;
        t.datagrams += c.a_to_b.datagrams + c.b_to_a.datagrams;
        t.bytes += c.a_to_b.bytes + c.b_to_a.bytes;
        t.broadcasts += c.broadcasts;
        self.kept.offer(c);
    }

    /// Ends the analysis.
    pub fn finish(mut self) -> UdpAnalysis {
        let mut open: Vec<UdpConversation> = self.open.drain().map(|(_, c)| c).collect();
        open.sort_by_key(|c| c.stream);
        for c in open {
            self.close(c);
        }
        self.analysis.conversations = std::mem::take(&mut self.kept).into_sorted().collect();
        finish_all(
            std::mem::take(&mut self.observers),
            &mut self.analysis.observed,
        );
        self.analysis
    }
}

impl Analyzer for UdpAnalyzer {
    /// Counts the packet's UDP datagram, and first those of the tunnels it came through (as
    /// tshark's `-z conv,udp` counts every UDP layer; not those an ICMP error quotes).
    fn packet(&mut self, packet: &Packet<'_>, matched: bool, _notes: Option<&mut PacketNotes>) {
        for layer in &packet.other_layers {
            if let (LayerRole::Envelope, Some(ip), Transport::Udp(udp)) =
                (layer.role, layer.ip, &layer.transport)
            {
                self.datagram(packet, ip, udp, matched);
            }
        }
        if let (Some(udp), Some(ip)) = (packet.udp(), packet.ip) {
            self.datagram(packet, ip, udp, matched);
        }
    }

    fn finish_into(self: Box<Self>, found: &mut Found) {
        found.udp = Some((*self).finish());
    }
}

impl UdpAnalyzer {
    /// Counts one UDP datagram of `packet` (its own or a tunnel's).
    fn datagram(&mut self, packet: &Packet<'_>, ip: Ip, udp: &Udp<'_>, matched: bool) {
        let at = |ip, port| Endpoint { ip, port };
        let (src, dst) = (at(ip.src, udp.src_port), at(ip.dst, udp.dst_port));
        let broadcast = match ip.dst {
            IpAddr::V4(d) => d == Ipv4Addr::BROADCAST || d == subnet_broadcast(),
            IpAddr::V6(_) => false,
        } || packet.packet_type == Some(PacketType::Broadcast);
        let open = &self.open;
        let due = self.idle.due(packet.ts, IDLE, SWEEP_EVERY, |k| {
            open.get(k).map(|c| c.last)
        });
        for key in due {
            if let Some(c) = self.open.remove(&key) {
                self.close(c);
            }
        }
        let key = if src <= dst { (src, dst) } else { (dst, src) };
        let next = &mut self.next_stream;
        let mut fresh = false;
        let c = self.open.entry(key).or_insert_with(|| {
            fresh = true;
            *next += 1;
            UdpConversation {
                stream: *next - 1,
                a: src,
                b: dst,
                a_to_b: Flow::default(),
                b_to_a: Flow::default(),
                first: packet.ts,
                last: packet.ts,
                broadcasts: 0,
                matched: false,
            }
        });
        if fresh {
            self.idle.push(packet.ts, key);
            self.state.resize(0, CONVERSATION_BYTES);
        }
        c.last = packet.ts;
        c.matched |= matched;
        if c.a == src {
            c.a_to_b.add(udp.len, packet.ts);
        } else {
            c.b_to_a.add(udp.len, packet.ts);
        }
        if broadcast {
            c.broadcasts += 1;
        }
        let d = Datagram {
            ts: packet.ts,
            src,
            dst,
            len: udp.len,
            broadcast,
            stream: c.stream,
        };
        for (_, o) in &mut self.observers {
            o.datagram(&d, matched);
        }
        if self.state.over() {
            self.evict();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Transport, Udp};

    fn datagram(ms: u64, i: u32) -> Packet<'static> {
        let udp = Udp {
            src_port: 1024 + (i % 60_000) as u16,
            dst_port: 9999,
            len: 5,
            payload: b"hello",
        };
        let src = Ipv4Addr::from(0x0a00_0000 | i);
        Packet::ipv4_for_test(ms, src, Ipv4Addr::new(10, 9, 9, 9), Transport::Udp(udp))
    }

    /// The open conversations' share in these tests.
    const BUDGET: usize = 64 * 1024;

    /// An analyzer keeping 100 conversations in detail, the open ones within [`BUDGET`].
    fn analyzer() -> UdpAnalyzer {
        UdpAnalyzer::new(100, BUDGET, Observers::new())
    }

    #[test]
    fn a_flood_of_conversations_stays_within_the_budget_and_is_counted() {
        let mut a = analyzer();
        let n = 10_000;
        for i in 0..n {
            a.packet(&datagram(u64::from(i), i), true, None);
            assert!(a.state.used() <= BUDGET);
        }
        assert_eq!(a.state.used(), a.open.len() * CONVERSATION_BYTES);
        // Each open conversation waits in the idle queue once; the evicted ones left it.
        assert_eq!(a.idle.len(), a.open.len());
        let open = a.open.len() as u64;
        let r = a.finish();
        assert_eq!(r.totals.conversations, u64::from(n));
        assert_eq!(r.totals.evicted, u64::from(n) - open);
        // Detail is kept for the first ones; the numbering goes on past the evicted.
        assert_eq!(r.conversations.len(), 100);
        assert_eq!(r.conversations[99].stream, 99);
    }

    #[test]
    fn a_busy_conversation_outlives_a_flood_of_quiet_ones() {
        let mut a = analyzer();
        let n = 10_000;
        // Conversation 0 sends once between every two new one-datagram conversations.
        for i in 0..n {
            a.packet(&datagram(u64::from(2 * i), 0), true, None);
            a.packet(&datagram(u64::from(2 * i + 1), i + 1), true, None);
            assert!(a.state.used() <= BUDGET);
        }
        assert_eq!(a.idle.len(), a.open.len());
        let r = a.finish();
        assert!(r.totals.evicted > 9_000, "{}", r.totals.evicted);
        let busy = &r.conversations[0];
        assert_eq!((busy.stream, busy.a_to_b.datagrams), (0, u64::from(n)));
    }
}
