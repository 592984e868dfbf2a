//! IP fragment reassembly, IPv4 and IPv6, in bounded memory: a cap on the bytes held and on
//! the datagrams pending, a timeout by capture time counted from a datagram's first fragment
//! (Linux's: 30 s for IPv4, 60 s for IPv6; checked once a capture second), the oldest pending
//! datagram evicted first. What could not be completed is counted.
//! Pure code over fragments and timestamps.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::Duration;

use super::IpFragment;

/// The largest IP payload a datagram can have (IPv6 without jumbograms; IPv4's is smaller).
const MAX_DATAGRAM: u32 = 65_535;
/// How many completed datagrams are remembered, so that a late copy of one of their
/// fragments is counted a duplicate rather than a datagram that never completes.
const RECENT: usize = 64;

/// The reassembler's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DefragLimits {
    /// Bytes of fragment data held at most, over every pending datagram.
    pub max_bytes: usize,
    /// Datagrams pending at most.
    pub max_pending: usize,
    /// A pending IPv4 datagram is dropped this long after its first fragment.
    pub ipv4_timeout: Duration,
    /// The same for IPv6.
    pub ipv6_timeout: Duration,
}

impl Default for DefragLimits {
    fn default() -> DefragLimits {
        DefragLimits {
            max_bytes: 4 << 20,
            max_pending: 1024,
            ipv4_timeout: Duration::from_secs(30),
            ipv6_timeout: Duration::from_secs(60),
        }
    }
}

/// What reassembly did, in counts of datagrams (fragments for `fragments` and `duplicates`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DefragStats {
    /// Fragments seen.
    pub fragments: u64,
    /// Datagrams reassembled.
    pub reassembled: u64,
    /// Pending datagrams evicted to stay under the caps.
    pub evicted: u64,
    /// Pending datagrams dropped after their timeout.
    pub timed_out: u64,
    /// Datagrams dropped because fragments overlapped with different bytes or disagreed on
    /// the datagram's end.
    pub inconsistent: u64,
    /// Datagrams dropped because a fragment reached past 65,535 bytes.
    pub too_large: u64,
    /// Fragments of a datagram completed already (a late copy).
    pub duplicates: u64,
    /// Datagrams still pending when the capture ended.
    pub incomplete_at_end: u64,
}

/// What identifies a datagram's fragments: addresses, protocol and identification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DatagramKey {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// The upper-layer protocol.
    pub protocol: u8,
    /// The identification field.
    pub id: u32,
}

/// A datagram being put together.
#[derive(Debug)]
struct Pending {
    /// The bytes received so far, at their offsets (gaps are zero).
    data: Vec<u8>,
    /// Received byte ranges, sorted and merged.
    have: Vec<(u32, u32)>,
    /// The payload's length, once the last fragment came.
    end: Option<u32>,
    /// Time of its first fragment.
    first: Duration,
    /// Set when fragments disagreed: the datagram will be dropped.
    inconsistent: bool,
    /// Its place in the age order (to tell a stale queue entry from the live one).
    generation: u64,
}

/// The reassembler.
#[derive(Debug, Default)]
pub struct Defragmenter {
    limits: DefragLimits,
    pending: HashMap<DatagramKey, Pending>,
    /// Keys by age of their first fragment, oldest first; entries of datagrams gone already
    /// are skipped (their generation differs).
    order: VecDeque<(DatagramKey, u64)>,
    recent: VecDeque<DatagramKey>,
    held: usize,
    generation: u64,
    stats: DefragStats,
    /// When timeouts were last checked (at most once a capture second: a check reads every
    /// pending datagram).
    swept: Duration,
}

impl Defragmenter {
    /// A reassembler with `limits`.
    pub fn new(limits: DefragLimits) -> Defragmenter {
        Defragmenter {
            limits,
            ..Defragmenter::default()
        }
    }

    /// The counts so far; datagrams still pending are counted in `incomplete_at_end`.
    pub fn stats(&self) -> DefragStats {
        DefragStats {
            incomplete_at_end: self.pending.len() as u64,
            ..self.stats
        }
    }

    /// Bytes held now.
    pub fn held_bytes(&self) -> usize {
        self.held
    }

    /// Takes one fragment seen at `ts`. Returns the datagram's whole payload when this
    /// fragment completes it, written into `out` (cleared first).
    pub fn push(
        &mut self,
        key: DatagramKey,
        fragment: &IpFragment<'_>,
        ts: Duration,
        out: &mut Vec<u8>,
    ) -> bool {
        self.stats.fragments += 1;
        self.expire(ts);
        let start = fragment.offset;
        let end = start.saturating_add(fragment.payload.len() as u32);
        if end > MAX_DATAGRAM {
            self.remove(&key);
            self.stats.too_large += 1;
            return false;
        }
        if !self.pending.contains_key(&key) {
            if self.recent.contains(&key) {
                self.stats.duplicates += 1;
                return false;
            }
            self.make_room(end as usize);
            self.generation += 1;
            self.order.push_back((key, self.generation));
            self.pending.insert(
                key,
                Pending {
                    data: Vec::new(),
                    have: Vec::new(),
                    end: None,
                    first: ts,
                    inconsistent: false,
                    generation: self.generation,
                },
            );
        } else {
            let held = self.pending.get(&key).map_or(0, |p| p.data.len());
            self.make_room_keeping((end as usize).saturating_sub(held), &key);
        }
        let Some(p) = self.pending.get_mut(&key) else {
            return false;
        };
        if !fragment.more {
            if p.end.is_some_and(|e| e != end) || p.have.last().is_some_and(|&(_, e)| e > end) {
                p.inconsistent = true;
            }
            p.end = Some(end);
        } else if p.end.is_some_and(|e| end > e) {
            p.inconsistent = true;
        }
        let grown = (end as usize).saturating_sub(p.data.len());
        if grown > 0 {
            p.data.resize(end as usize, 0);
            self.held += grown;
        }
        if add_range(&mut p.have, &mut p.data, start, fragment.payload) == Added::Conflict {
            p.inconsistent = true;
        }
        let complete = p.end.is_some_and(|e| p.have.as_slice() == [(0, e)]);
        if !complete {
            return false;
        }
        let p = self.remove(&key).expect("the datagram is pending");
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(key);
        if p.inconsistent {
            self.stats.inconsistent += 1;
            return false;
        }
        self.stats.reassembled += 1;
        out.clear();
        out.extend_from_slice(&p.data);
        true
    }

    /// Drops the datagrams whose timeout passed by `now`.
    fn expire(&mut self, now: Duration) {
        if now < self.swept + Duration::from_secs(1) && now >= self.swept {
            return;
        }
        self.swept = now;
        let limits = self.limits;
        let expired: Vec<DatagramKey> = self
            .pending
            .iter()
            .filter(|(k, p)| {
                let timeout = if k.src.is_ipv4() {
                    limits.ipv4_timeout
                } else {
                    limits.ipv6_timeout
                };
                now.saturating_sub(p.first) > timeout
            })
            .map(|(k, _)| *k)
            .collect();
        for key in expired {
            self.remove(&key);
            self.stats.timed_out += 1;
        }
    }

    /// Evicts the oldest datagrams until `more` bytes and one more datagram fit.
    fn make_room(&mut self, more: usize) {
        while !self.pending.is_empty()
            && (self.pending.len() >= self.limits.max_pending
                || self.held + more > self.limits.max_bytes)
        {
            self.evict_oldest(None);
        }
    }

    /// Evicts the oldest datagrams other than `keep` until `more` bytes fit.
    fn make_room_keeping(&mut self, more: usize, keep: &DatagramKey) {
        while self.held + more > self.limits.max_bytes && self.pending.len() > 1 {
            if !self.evict_oldest(Some(keep)) {
                break;
            }
        }
    }

    /// Evicts the oldest pending datagram (not `keep`); false when there is none.
    fn evict_oldest(&mut self, keep: Option<&DatagramKey>) -> bool {
        let mut skipped = None;
        let mut evicted = false;
        while let Some((key, generation)) = self.order.pop_front() {
            let live = self
                .pending
                .get(&key)
                .is_some_and(|p| p.generation == generation);
            if !live {
                continue;
            }
            if Some(&key) == keep {
                skipped = Some((key, generation));
                continue;
            }
            self.remove(&key);
            self.stats.evicted += 1;
            evicted = true;
            break;
        }
        if let Some(entry) = skipped {
            self.order.push_front(entry);
        }
        evicted
    }

    fn remove(&mut self, key: &DatagramKey) -> Option<Pending> {
        let p = self.pending.remove(key)?;
        self.held -= p.data.len();
        if self.pending.is_empty() {
            self.order.clear();
        }
        Some(p)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Added {
    Ok,
    Conflict,
}

/// Writes `bytes` at `start` into `data` and records the range in `have` (sorted, merged).
/// Bytes already held must be equal (a copy); different ones are a conflict (the held bytes
/// stay). Costs the fragment's length plus the ranges held, whatever the overlaps.
fn add_range(have: &mut Vec<(u32, u32)>, data: &mut [u8], start: u32, bytes: &[u8]) -> Added {
    let end = start + bytes.len() as u32;
    let mut result = Added::Ok;
    let mut at = start;
    for &(s, e) in have.iter() {
        if e <= at || s >= end {
            continue;
        }
        // A gap before this held range, then the overlap with it.
        if s > at {
            let (from, to) = (at as usize, s as usize);
            data[from..to].copy_from_slice(&bytes[from - start as usize..to - start as usize]);
        }
        let (from, to) = (s.max(at) as usize, e.min(end) as usize);
        if data[from..to] != bytes[from - start as usize..to - start as usize] {
            result = Added::Conflict;
        }
        at = e.min(end);
    }
    if at < end {
        let (from, to) = (at as usize, end as usize);
        data[from..to].copy_from_slice(&bytes[from - start as usize..]);
    }
    if start < end {
        let i = have.partition_point(|&(s, _)| s < start);
        have.insert(i, (start, end));
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(have.len());
        for &(s, e) in have.iter() {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        *have = merged;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: u32) -> DatagramKey {
        DatagramKey {
            src: "10.0.0.1".parse().unwrap(),
            dst: "10.0.0.2".parse().unwrap(),
            protocol: 17,
            id,
        }
    }

    fn piece(offset: u32, more: bool, payload: &[u8]) -> IpFragment<'_> {
        IpFragment {
            id: 0,
            offset,
            more,
            payload,
        }
    }

    const DATA: &[u8; 24] = b"abcdefgh12345678ABCDEFGH";

    /// Pushes `(offset, more)` pieces of [`DATA`] 8 bytes long at second `ts`; the datagrams
    /// completed.
    fn run(d: &mut Defragmenter, id: u32, pieces: &[(u32, bool)], ts: u64) -> Vec<Vec<u8>> {
        let mut done = Vec::new();
        let mut out = Vec::new();
        for &(offset, more) in pieces {
            let bytes = &DATA[offset as usize..offset as usize + 8];
            if d.push(
                key(id),
                &piece(offset, more, bytes),
                Duration::from_secs(ts),
                &mut out,
            ) {
                done.push(out.clone());
            }
        }
        done
    }

    #[test]
    fn in_order_out_of_order_and_duplicates() {
        let mut d = Defragmenter::default();
        assert_eq!(
            run(&mut d, 1, &[(0, true), (8, true), (16, false)], 0),
            [DATA]
        );
        assert_eq!(
            run(
                &mut d,
                2,
                &[(16, false), (0, true), (0, true), (8, true)],
                0
            ),
            [DATA]
        );
        // A late copy of a completed datagram's fragment is a duplicate, not a new datagram.
        assert!(run(&mut d, 2, &[(8, true)], 0).is_empty());
        let s = d.stats();
        assert_eq!((s.fragments, s.reassembled, s.duplicates), (8, 2, 1));
        assert_eq!((s.incomplete_at_end, d.held_bytes()), (0, 0));
    }

    #[test]
    fn overlaps_with_equal_bytes_complete_and_different_bytes_are_dropped() {
        let mut d = Defragmenter::default();
        let mut out = Vec::new();
        let at = Duration::ZERO;
        assert!(!d.push(key(1), &piece(0, true, &DATA[..12]), at, &mut out));
        assert!(d.push(key(1), &piece(8, false, &DATA[8..]), at, &mut out));
        assert_eq!(out, DATA);
        assert!(!d.push(key(2), &piece(0, true, &DATA[..12]), at, &mut out));
        assert!(!d.push(key(2), &piece(8, false, b"XXXX5678ABCDEFGH"), at, &mut out));
        // The end moving is inconsistent too.
        assert!(!d.push(key(3), &piece(8, false, &DATA[8..16]), at, &mut out));
        assert!(!d.push(key(3), &piece(16, false, &DATA[16..]), at, &mut out));
        assert!(!d.push(key(3), &piece(0, true, &DATA[..8]), at, &mut out));
        let s = d.stats();
        assert_eq!((s.reassembled, s.inconsistent), (1, 2), "{s:?}");
        assert_eq!((s.incomplete_at_end, d.held_bytes()), (0, 0));
    }

    #[test]
    fn the_caps_evict_the_oldest_datagram_first() {
        let mut d = Defragmenter::new(DefragLimits {
            max_pending: 2,
            max_bytes: 40,
            ..DefragLimits::default()
        });
        assert!(run(&mut d, 1, &[(0, true)], 0).is_empty());
        assert!(run(&mut d, 2, &[(0, true)], 0).is_empty());
        // A third datagram evicts the first.
        assert!(run(&mut d, 3, &[(0, true)], 0).is_empty());
        assert!(run(&mut d, 1, &[(8, true), (16, false)], 0).is_empty());
        assert_eq!(d.stats().evicted, 2, "1, then 2 for 1's second start");
        // Bytes: 3 holds 8, 1 holds 24; 2 more bytes of 3 need room: 1 goes.
        assert!(d.held_bytes() <= 40);
        assert_eq!(run(&mut d, 3, &[(8, true), (16, false)], 0), [DATA]);
        let s = d.stats();
        assert_eq!((s.evicted, s.reassembled), (3, 1), "{s:?}");
    }

    #[test]
    fn pending_datagrams_time_out_by_capture_time() {
        let mut d = Defragmenter::default();
        assert!(run(&mut d, 1, &[(0, true)], 0).is_empty());
        assert!(run(&mut d, 2, &[(0, true)], 29).is_empty());
        // 31 s after its fragment, datagram 1 is gone: its end no longer completes it.
        assert!(run(&mut d, 1, &[(8, true), (16, false)], 31).is_empty());
        assert_eq!(run(&mut d, 2, &[(8, true), (16, false)], 31), [DATA]);
        let s = d.stats();
        assert_eq!((s.timed_out, s.reassembled, s.incomplete_at_end), (1, 1, 1));
    }

    #[test]
    fn a_datagram_past_65535_bytes_is_dropped() {
        let mut d = Defragmenter::default();
        let mut out = Vec::new();
        let at = Duration::ZERO;
        assert!(!d.push(key(1), &piece(65_528, false, &DATA[..16]), at, &mut out));
        assert!(!d.push(
            key(1),
            &piece(u32::MAX - 4, false, &DATA[..16]),
            at,
            &mut out
        ));
        assert_eq!(d.stats().too_large, 2);
        assert_eq!(d.held_bytes(), 0);
    }
}
