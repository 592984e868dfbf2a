//! DNS over TCP (RFC 1035 §4.2.2): each message is preceded by a two-byte length. Segments are
//! followed per direction by sequence number; retransmitted bytes are skipped, and after a gap
//! (a segment missing from the capture) framing restarts at the next segment.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::time::Duration;

use rustc_hash::FxBuildHasher;

use crate::analysis::memory::{self, slot, Budget, Candidate, MemCap, ALLOCATION};
use crate::analysis::Endpoint;
use crate::wire::{Tcp, TcpFlags};

/// The largest DNS-over-TCP frame: the length prefix and 65,535 bytes.
const MAX_FRAME: usize = 2 + 65_535;

/// A direction quiet this long (capture time) is forgotten: its connection is gone or idle,
/// and a later segment starts framing afresh.
const IDLE: Duration = Duration::from_secs(120);

/// Segments between two looks for idle directions.
const SWEEP_EVERY: u32 = 4096;

#[derive(Debug, Default)]
struct Direction {
    next_seq: Option<u32>,
    buffer: Vec<u8>,
    last_seen: Duration,
}

impl Direction {
    /// What this direction holds, for the memory cap.
    fn mem_bytes(&self) -> usize {
        slot::<((Endpoint, Endpoint), Direction)>() + self.buffer.capacity() + ALLOCATION
    }
}

/// Splits the TCP byte streams of port-53 connections into DNS messages, in memory bounded
/// by its budget: the directions quiet the longest are dropped first.
#[derive(Debug)]
pub struct TcpFraming {
    directions: HashMap<(Endpoint, Endpoint), Direction, FxBuildHasher>,
    budget: Budget,
    since_sweep: u32,
    /// Capture time of the last sweep.
    last_sweep: Duration,
    /// Directions dropped with part of a message in them (memory cap or idle).
    evicted: u64,
}

impl Default for TcpFraming {
    fn default() -> TcpFraming {
        TcpFraming::new(MemCap::default().dns_tcp())
    }
}

impl TcpFraming {
    /// Framing whose state may hold `budget` bytes.
    pub fn new(budget: usize) -> TcpFraming {
        TcpFraming {
            directions: HashMap::default(),
            budget: Budget::new(budget),
            since_sweep: 0,
            last_sweep: Duration::ZERO,
            evicted: 0,
        }
    }

    /// Directions dropped with an unfinished message in them.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Feeds one segment from `src` to `dst` seen at `ts`; calls `on_message` with each
    /// message it completes.
    pub fn on_segment(
        &mut self,
        src: Endpoint,
        dst: Endpoint,
        tcp: &Tcp<'_>,
        ts: Duration,
        on_message: &mut dyn FnMut(&[u8]),
    ) {
        self.sweep(ts);
        let key = (src, dst);
        let ends = tcp.flags.has(TcpFlags::FIN) || tcp.flags.has(TcpFlags::RST);
        if tcp.flags.has(TcpFlags::SYN) {
            let fresh = Direction {
                next_seq: Some(tcp.seq.wrapping_add(1)),
                buffer: Vec::new(),
                last_seen: ts,
            };
            let added = fresh.mem_bytes();
            let old = self.directions.insert(key, fresh);
            self.budget.resize(old.map_or(0, |d| d.mem_bytes()), added);
        } else if !tcp.payload.is_empty() {
            let (direction, before) = match self.directions.entry(key) {
                Entry::Occupied(o) => {
                    let before = o.get().mem_bytes();
                    (o.into_mut(), before)
                }
                Entry::Vacant(v) => (v.insert(Direction::default()), 0),
            };
            direction.last_seen = ts;
            frame(direction, tcp, on_message);
            self.budget.resize(before, direction.mem_bytes());
        }
        if ends {
            if let Some(d) = self.directions.remove(&key) {
                self.budget.resize(d.mem_bytes(), 0);
            }
        }
        if self.budget.over() {
            self.evict();
        }
    }

    /// Drops the quietest directions until the state is back under its budget.
    fn evict(&mut self) {
        let entries = self
            .directions
            .iter()
            .map(|(k, d)| Candidate {
                done: d.buffer.is_empty(),
                last: d.last_seen,
                order: 0,
                bytes: d.mem_bytes(),
                key: *k,
            })
            .collect();
        for key in memory::oldest(entries, self.budget.excess()) {
            self.drop_direction(&key);
        }
    }

    /// Now and then (every so many segments, as capture time passes), forgets the directions
    /// quiet for [`IDLE`].
    fn sweep(&mut self, now: Duration) {
        self.since_sweep += 1;
        if self.since_sweep < SWEEP_EVERY || now < self.last_sweep + IDLE / 4 {
            return;
        }
        self.since_sweep = 0;
        self.last_sweep = now;
        let idle: Vec<_> = self
            .directions
            .iter()
            .filter(|(_, d)| d.last_seen + IDLE <= now)
            .map(|(k, _)| *k)
            .collect();
        for key in idle {
            self.drop_direction(&key);
        }
    }

    fn drop_direction(&mut self, key: &(Endpoint, Endpoint)) {
        if let Some(d) = self.directions.remove(key) {
            self.budget.resize(d.mem_bytes(), 0);
            if !d.buffer.is_empty() {
                self.evicted += 1;
            }
        }
    }
}

/// Adds a segment's new bytes to `direction` and hands out the messages they complete.
fn frame(direction: &mut Direction, tcp: &Tcp<'_>, on_message: &mut dyn FnMut(&[u8])) {
    let mut payload = tcp.payload;
    let mut seq = tcp.seq;
    if let Some(next) = direction.next_seq {
        let ahead = next.wrapping_sub(seq) as i32;
        if ahead > 0 {
            // Bytes already seen (a retransmission): keep only what is new.
            let skip = (ahead as usize).min(payload.len());
            payload = &payload[skip..];
            seq = seq.wrapping_add(skip as u32);
        } else if ahead < 0 {
            // A gap: the message being assembled can never complete.
            direction.buffer.clear();
        }
    }
    if payload.is_empty() {
        return;
    }
    direction.next_seq = Some(seq.wrapping_add(payload.len() as u32));
    direction.buffer.extend_from_slice(payload);
    let mut start = 0;
    while let Some(len) = direction.buffer.get(start..start + 2) {
        let end = start + 2 + usize::from(u16::from_be_bytes([len[0], len[1]]));
        let Some(message) = direction.buffer.get(start + 2..end) else {
            break;
        };
        on_message(message);
        start = end;
    }
    direction.buffer.drain(..start);
    if direction.buffer.len() > MAX_FRAME {
        direction.buffer.clear();
    }
    if direction.buffer.is_empty() {
        // Between messages a direction holds nothing but its next sequence number.
        direction.buffer = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn ep(port: u16) -> Endpoint {
        Endpoint {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
        }
    }

    fn segment(seq: u32, flags: u16, payload: &[u8]) -> Tcp<'_> {
        Tcp {
            src_port: 40000,
            dst_port: 53,
            seq,
            ack: 0,
            flags: TcpFlags(flags),
            window: 0,
            header_len: 20,
            len: payload.len() as u32,
            payload,
            option_bytes: &[],
        }
    }

    fn feed(framing: &mut TcpFraming, seq: u32, flags: u16, payload: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let at = Duration::from_millis(u64::from(seq));
        framing.on_segment(
            ep(40000),
            ep(53),
            &segment(seq, flags, payload),
            at,
            &mut |m| out.push(m.to_vec()),
        );
        out
    }

    #[test]
    fn messages_split_across_segments_and_two_in_one() {
        let mut f = TcpFraming::default();
        assert!(feed(&mut f, 99, TcpFlags::SYN, b"").is_empty());
        assert!(feed(&mut f, 100, TcpFlags::ACK, b"\x00\x03ab").is_empty());
        assert_eq!(
            feed(&mut f, 104, TcpFlags::ACK, b"c\x00\x01x\x00"),
            vec![b"abc".to_vec(), b"x".to_vec()]
        );
        assert_eq!(
            feed(&mut f, 109, TcpFlags::ACK, b"\x02yz"),
            vec![b"yz".to_vec()]
        );
    }

    #[test]
    fn retransmitted_bytes_are_skipped() {
        let mut f = TcpFraming::default();
        feed(&mut f, 99, TcpFlags::SYN, b"");
        assert!(feed(&mut f, 100, TcpFlags::ACK, b"\x00\x04ab").is_empty());
        assert_eq!(
            feed(&mut f, 100, TcpFlags::ACK, b"\x00\x04abcd"),
            vec![b"abcd".to_vec()]
        );
        assert!(feed(&mut f, 100, TcpFlags::ACK, b"\x00\x04abcd").is_empty());
    }

    #[test]
    fn a_gap_restarts_framing() {
        let mut f = TcpFraming::default();
        feed(&mut f, 99, TcpFlags::SYN, b"");
        assert!(feed(&mut f, 100, TcpFlags::ACK, b"\x00\x09ab").is_empty());
        assert_eq!(
            feed(&mut f, 200, TcpFlags::ACK, b"\x00\x01z"),
            vec![b"z".to_vec()]
        );
    }

    #[test]
    fn random_segments_never_panic_and_stay_bounded() {
        let mut next = crate::test_rng(0x2545_f491_4f6c_dd1d);
        let mut f = TcpFraming::default();
        for _ in 0..5_000 {
            let payload: Vec<u8> = (0..next() % 1500).map(|_| next() as u8).collect();
            let flags =
                [TcpFlags::ACK, TcpFlags::SYN, TcpFlags::FIN, TcpFlags::RST][(next() % 4) as usize];
            let seq = next() as u32 % 10_000;
            feed(&mut f, seq, flags, &payload);
            assert!(f.directions.values().all(|d| d.buffer.len() <= MAX_FRAME));
        }
    }

    #[test]
    fn unfinished_messages_of_many_flows_stay_within_the_budget() {
        let budget = 256 * 1024;
        let mut f = TcpFraming::new(budget);
        // 100 flows each announce 65,535 bytes and send 10,000 of them.
        for flow in 0..100u16 {
            let src = ep(10_000 + flow);
            let mut body = vec![0xff, 0xff];
            body.extend([0u8; 10_000]);
            let tcp = Tcp {
                src_port: src.port,
                ..segment(1, TcpFlags::ACK, &body)
            };
            f.on_segment(
                src,
                ep(53),
                &tcp,
                Duration::from_millis(u64::from(flow)),
                &mut |_| {},
            );
            assert!(f.budget.used() <= budget);
        }
        assert!(f.evicted() >= 70, "{}", f.evicted());
        let counted: usize = f.directions.values().map(Direction::mem_bytes).sum();
        assert_eq!(f.budget.used(), counted);
    }

    #[test]
    fn idle_directions_are_forgotten() {
        let mut f = TcpFraming::default();
        let query = [0, 2, 0xab, 0xcd];
        let mut messages = 0;
        for i in 0..SWEEP_EVERY {
            let src = ep(1024 + i as u16);
            let tcp = Tcp {
                src_port: src.port,
                ..segment(1, TcpFlags::ACK, &query)
            };
            f.on_segment(src, ep(53), &tcp, Duration::ZERO, &mut |_| messages += 1);
        }
        assert_eq!(messages, SWEEP_EVERY);
        // Between messages a direction holds no buffer.
        assert!(f.directions.values().all(|d| d.buffer.capacity() == 0));
        let later = Duration::from_secs(1000);
        f.on_segment(
            ep(1),
            ep(53),
            &segment(1, TcpFlags::ACK, &query),
            later,
            &mut |_| {},
        );
        assert_eq!(f.directions.len(), 1);
        assert_eq!(f.evicted(), 0);
    }
}
