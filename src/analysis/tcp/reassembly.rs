//! In-order delivery of one direction's bytes despite retransmission, overlap and
//! out-of-order arrival, in bounded memory; and the consumers of the delivered bytes:
//! the echo check and the payload preview.

use std::collections::{BTreeMap, VecDeque};

use crate::analysis::memory::heap;

/// What one waiting out-of-order segment costs beyond its bytes: its map entry and vector.
const PENDING_ENTRY: usize = 64;

/// Reorders one direction's segments into a byte stream.
#[derive(Clone, Debug, Default)]
pub struct Reassembler {
    /// Next expected relative sequence number, once known.
    next: Option<u32>,
    /// Stream offset of `next`.
    position: u64,
    /// Segments beyond a hole, when there are any.
    pending: Option<Box<Pending>>,
    /// Bytes skipped because they were never captured (holes, snaplen cuts, dropped).
    missing: u64,
}

/// Segments waiting beyond a hole: rare, so held out of line (an in-order direction carries a
/// pointer, not the map).
#[derive(Clone, Debug, Default)]
struct Pending {
    /// By stream offset: captured bytes and claimed length.
    map: BTreeMap<u64, (Vec<u8>, u32)>,
    /// What the entries hold, each entry's overhead included.
    bytes: usize,
}

impl Reassembler {
    /// Sets the first expected sequence number (after the SYN), unless data came first.
    pub fn start_at(&mut self, seq: u32) {
        if self.next.is_none() {
            self.next = Some(seq);
        }
    }

    /// Bytes delivered in order so far.
    pub fn delivered(&self) -> u64 {
        self.position - self.missing
    }

    /// Bytes that were never seen: holes that were skipped.
    pub fn missing(&self) -> u64 {
        self.missing
    }

    /// Bytes held for out-of-order segments, each entry's overhead included.
    pub fn buffered(&self) -> usize {
        self.pending
            .as_ref()
            .map_or(0, |p| heap(std::mem::size_of::<Pending>()) + p.bytes)
    }

    /// Adds a segment: relative `seq`, captured `data`, and `len` as the headers claim (longer
    /// than `data` when the snapshot length cut it). Calls `deliver` with each new in-order
    /// piece. Out-of-order pieces wait, up to `limit` bytes; past that they are dropped and
    /// later skipped as a hole.
    pub fn push(
        &mut self,
        seq: u32,
        data: &[u8],
        len: u32,
        limit: usize,
        deliver: &mut dyn FnMut(&[u8]),
    ) {
        if len == 0 {
            return;
        }
        let next = *self.next.get_or_insert(seq);
        let offset = i64::from(seq.wrapping_sub(next) as i32);
        let start = self.position as i64 + offset;
        if start < 0 {
            // Before the stream's start: only the part from the start on counts.
            let skip = (-start) as usize;
            if skip >= len as usize {
                return;
            }
            let data = data.get(skip..).unwrap_or(&[]);
            return self.push(
                seq.wrapping_add(skip as u32),
                data,
                len - skip as u32,
                limit,
                deliver,
            );
        }
        let start = start as u64;
        let end = start + u64::from(len);
        if end <= self.position {
            return;
        }
        if start > self.position {
            // Each entry costs its bytes and its place in the map: a million segments cut to
            // no captured bytes must not grow without bound either.
            let cost = data.len() + PENDING_ENTRY;
            if self.buffered() + cost <= limit {
                let pending = self.pending.get_or_insert_with(Box::default);
                let keep = pending.map.entry(start).or_default();
                if len > keep.1 {
                    let old = if keep.1 == 0 {
                        0
                    } else {
                        keep.0.len() + PENDING_ENTRY
                    };
                    pending.bytes = pending.bytes + cost - old;
                    *keep = (data.to_vec(), len);
                }
            }
            return;
        }
        self.take(start, data, end, deliver);
        self.drain(deliver);
    }

    /// Delivers the part of `[start, end)` beyond the current position; `data` covers its
    /// beginning (the rest was not captured).
    fn take(&mut self, start: u64, data: &[u8], end: u64, deliver: &mut dyn FnMut(&[u8])) {
        let skip = (self.position - start) as usize;
        if skip < data.len() {
            deliver(&data[skip..]);
        }
        let captured_end = start + data.len() as u64;
        if end > captured_end {
            self.missing += end - captured_end.max(self.position);
        }
        self.advance(end);
    }

    fn advance(&mut self, to: u64) {
        if let Some(next) = self.next.as_mut() {
            *next = next.wrapping_add((to - self.position) as u32);
        }
        self.position = to;
    }

    fn drain(&mut self, deliver: &mut dyn FnMut(&[u8])) {
        while let Some(pending) = self.pending.as_mut() {
            let Some(entry) = pending.map.first_entry() else {
                // The last waiting segment is delivered: the map goes.
                self.pending = None;
                break;
            };
            if *entry.key() > self.position {
                break;
            }
            let (start, (data, len)) = entry.remove_entry();
            pending.bytes -= data.len() + PENDING_ENTRY;
            let end = start + u64::from(len);
            if end > self.position {
                self.take(start, &data, end, deliver);
            }
        }
    }

    /// The stream offset of the first waiting segment.
    fn first_pending(&self) -> Option<u64> {
        let pending = self.pending.as_ref()?;
        pending.map.first_key_value().map(|(&start, _)| start)
    }

    /// At the end of the capture: skips the holes before waiting segments and delivers them.
    pub fn finish(&mut self, deliver: &mut dyn FnMut(&[u8])) {
        while let Some(start) = self.first_pending() {
            if start > self.position {
                self.missing += start - self.position;
                self.advance(start);
            }
            self.drain(deliver);
        }
        self.pending = None;
    }
}

/// Checks, as the bytes arrive, that the server sends back exactly what the client sent.
/// Holds only the bytes not yet echoed, up to a limit.
#[derive(Clone, Debug, Default)]
pub struct EchoCheck {
    unechoed: VecDeque<u8>,
    /// Set once the streams differ (or the backlog outgrew the limit).
    broken: bool,
    echoed: u64,
}

impl EchoCheck {
    /// Bytes held for the comparison.
    pub fn buffered(&self) -> usize {
        self.unechoed.capacity()
    }

    /// Bytes the client sent, in order.
    pub fn client(&mut self, data: &[u8], limit: usize) {
        if self.broken {
            return;
        }
        if self.unechoed.len() + data.len() > limit {
            self.broken = true;
            self.unechoed = VecDeque::new();
            return;
        }
        self.unechoed.extend(data);
    }

    /// Bytes the server sent, in order.
    pub fn server(&mut self, data: &[u8]) {
        if self.broken {
            return;
        }
        if data.len() > self.unechoed.len() || !self.starts_with(data) {
            self.broken = true;
            self.unechoed = VecDeque::new();
            return;
        }
        self.unechoed.drain(..data.len());
        self.echoed += data.len() as u64;
    }

    /// True when every byte the client sent came back, in order, and nothing else did.
    pub fn complete(&self) -> bool {
        !self.broken && self.unechoed.is_empty() && self.echoed > 0
    }

    /// True when the bytes waiting for their echo begin with `data` (compared a slice at a time).
    fn starts_with(&self, data: &[u8]) -> bool {
        let (front, back) = self.unechoed.as_slices();
        let split = front.len().min(data.len());
        front[..split] == data[..split] && back.starts_with(&data[split..])
    }

    /// Ends the check: bytes still waiting for their echo will not get it; frees the buffer.
    pub fn seal(&mut self) {
        if !self.unechoed.is_empty() {
            self.broken = true;
        }
        // Nothing is compared after this: the buffer goes, even empty (a closed connection
        // kept in detail would hold its capacity otherwise).
        self.unechoed = VecDeque::new();
    }
}

/// The first bytes of a stream, kept for display.
#[derive(Clone, Debug, Default)]
pub struct StreamScan {
    /// The stream's first bytes, up to the preview limit.
    pub preview: Vec<u8>,
}

impl StreamScan {
    /// Feeds in-order bytes.
    pub fn feed(&mut self, data: &[u8], preview_limit: usize) {
        if self.preview.len() < preview_limit {
            let room = preview_limit - self.preview.len();
            self.preview
                .extend_from_slice(&data[..room.min(data.len())]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(r: &mut Reassembler, seq: u32, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        r.push(seq, data, data.len() as u32, 1 << 20, &mut |d| {
            out.extend_from_slice(d)
        });
        out
    }

    #[test]
    fn in_order_out_of_order_and_overlap() {
        let mut r = Reassembler::default();
        r.start_at(1);
        assert_eq!(run(&mut r, 1, b"hello "), b"hello ");
        assert_eq!(run(&mut r, 11, b"d!"), b"");
        assert_eq!(
            run(&mut r, 1, b"hello "),
            b"",
            "retransmission delivers nothing"
        );
        assert_eq!(run(&mut r, 5, b"o wor"), b"wor");
        assert_eq!(
            run(&mut r, 9, b"rl"),
            b"ld!",
            "fills the hole and drains the waiting piece"
        );
        assert_eq!(r.delivered(), 12);
        assert_eq!(r.missing(), 0);
    }

    #[test]
    fn holes_are_skipped_at_the_end() {
        let mut r = Reassembler::default();
        r.start_at(1);
        run(&mut r, 1, b"ab");
        run(&mut r, 5, b"ef");
        let mut out = Vec::new();
        r.finish(&mut |d| out.extend_from_slice(d));
        assert_eq!(out, b"ef");
        assert_eq!(r.missing(), 2);
        assert_eq!(r.delivered(), 4);
    }

    #[test]
    fn snaplen_cut_segments_count_as_missing() {
        let mut r = Reassembler::default();
        r.start_at(1);
        let mut out = Vec::new();
        r.push(1, b"abc", 10, 1 << 20, &mut |d| out.extend_from_slice(d));
        r.push(11, b"xyz", 3, 1 << 20, &mut |d| out.extend_from_slice(d));
        assert_eq!(out, b"abcxyz");
        assert_eq!(r.missing(), 7);
    }

    #[test]
    fn out_of_order_buffer_is_bounded() {
        let mut r = Reassembler::default();
        r.start_at(1);
        let mut out = Vec::new();
        r.push(100, &[1; 64], 64, 32, &mut |d| out.extend_from_slice(d));
        assert_eq!(r.buffered(), 0);
        r.finish(&mut |d| out.extend_from_slice(d));
        assert!(out.is_empty());
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut r = Reassembler::default();
        r.start_at(u32::MAX - 1);
        assert_eq!(run(&mut r, u32::MAX - 1, b"abcd"), b"abcd");
        assert_eq!(run(&mut r, 2, b"ef"), b"ef");
    }

    #[test]
    fn echo_in_chunks_passes_and_a_wrong_byte_fails() {
        let mut e = EchoCheck::default();
        e.client(b"INI ADALAH DATA", 1024);
        e.server(b"INI ADA");
        assert!(!e.complete());
        e.server(b"LAH DATA");
        assert!(e.complete());
        let mut bad = EchoCheck::default();
        bad.client(b"abc", 1024);
        bad.server(b"abd");
        assert!(!bad.complete());
        let mut extra = EchoCheck::default();
        extra.client(b"abc", 1024);
        extra.server(b"abcd");
        assert!(!extra.complete());
        assert!(!EchoCheck::default().complete());
    }

    #[test]
    fn echo_is_compared_across_the_ring_buffer_wrap() {
        let mut e = EchoCheck::default();
        let data: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        // Interleave so that the pending bytes wrap around the ring's end.
        for (i, piece) in data.chunks(97).enumerate() {
            e.client(piece, 1 << 20);
            if i > 0 {
                let at = (i - 1) * 97;
                e.server(&data[at..at + 97]);
            }
        }
        let tail = (data.len() / 97) * 97;
        e.server(&data[tail..]);
        assert!(e.complete());
        let mut wrong = EchoCheck::default();
        wrong.client(&data[..200], 1 << 20);
        wrong.server(&data[..50]);
        wrong.client(&data[200..400], 1 << 20);
        let mut echoed = data[50..400].to_vec();
        echoed[300] ^= 1;
        wrong.server(&echoed);
        assert!(!wrong.complete());
    }

    #[test]
    fn the_preview_keeps_the_first_bytes() {
        let mut s = StreamScan::default();
        s.feed(b"DATA YANG DIKI", 8);
        s.feed(b"RIM ABC", 8);
        assert_eq!(s.preview, b"DATA YAN");
    }

    #[test]
    fn segments_without_captured_bytes_still_cost_their_entry() {
        let mut r = Reassembler::default();
        r.start_at(1);
        // A hole at 1, then a million segments cut to no captured bytes.
        for i in 0..1_000_000u32 {
            r.push(1000 + i * 1000, &[], 1000, 64 * 1024, &mut |_| {});
        }
        let waiting = r.pending.as_ref().map_or(0, |p| p.map.len());
        assert!(waiting <= 64 * 1024 / PENDING_ENTRY, "{waiting}");
        assert_eq!(
            r.buffered(),
            heap(std::mem::size_of::<Pending>()) + waiting * PENDING_ENTRY
        );
    }
}
