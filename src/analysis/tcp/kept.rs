//! The connections kept in detail for the tables and JSON: the lowest-numbered streams that fit
//! the count and byte limits, whatever order the connections close in (a long-lived stream 0
//! closes last and is still listed first; "the first 1000 listed" means streams in order).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::Connection;
use crate::analysis::memory::Budget;

/// A kept connection, ordered by its stream: the heap's top is the highest stream.
#[derive(Debug)]
struct ByStream(Box<Connection>);

impl PartialEq for ByStream {
    fn eq(&self, other: &ByStream) -> bool {
        self.0.stream == other.0.stream
    }
}

impl Eq for ByStream {}

impl PartialOrd for ByStream {
    fn partial_cmp(&self, other: &ByStream) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ByStream {
    fn cmp(&self, other: &ByStream) -> Ordering {
        self.0.stream.cmp(&other.0.stream)
    }
}

/// The closed connections kept in detail.
#[derive(Debug, Default)]
pub(super) struct Kept {
    heap: BinaryHeap<ByStream>,
    max: usize,
    /// What the kept connections hold, against the byte limit.
    bytes: Budget,
}

impl Kept {
    /// Keeps at most `max` connections holding at most `budget` bytes.
    pub fn new(max: usize, budget: usize) -> Kept {
        Kept {
            heap: BinaryHeap::new(),
            max,
            bytes: Budget::new(budget),
        }
    }

    /// Offers a connection closed for good: kept when it is among the lowest streams that fit,
    /// the highest kept ones going to make room.
    pub fn offer(&mut self, c: Box<Connection>) {
        let full = self.heap.len() >= self.max;
        if full && self.heap.peek().is_none_or(|top| top.0.stream < c.stream) {
            return;
        }
        // One that could never fit is skipped (it must not push out the others first).
        let bytes = c.mem_bytes();
        if bytes > self.bytes.limit() {
            return;
        }
        self.bytes.resize(0, bytes);
        self.heap.push(ByStream(c));
        while self.heap.len() > self.max || self.bytes.over() {
            let Some(highest) = self.heap.pop() else {
                break;
            };
            self.bytes.resize(highest.0.mem_bytes(), 0);
        }
    }

    /// The kept connections by stream.
    pub fn into_sorted(self) -> Vec<Connection> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|kept| *kept.0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Endpoint;
    use std::net::Ipv4Addr;
    use std::time::Duration;

    fn connection(stream: u32) -> Box<Connection> {
        let at = |port| Endpoint {
            ip: Ipv4Addr::LOCALHOST.into(),
            port,
        };
        Box::new(Connection::new(
            stream,
            at(40000),
            at(32434),
            Duration::ZERO,
        ))
    }

    fn streams(kept: Kept) -> Vec<u32> {
        kept.into_sorted().iter().map(|c| c.stream).collect()
    }

    #[test]
    fn the_lowest_streams_are_kept_whatever_order_they_close_in() {
        let mut kept = Kept::new(3, usize::MAX);
        for stream in [5, 1, 3, 0, 4, 2, 6] {
            kept.offer(connection(stream));
        }
        assert_eq!(streams(kept), [0, 1, 2]);
        let mut none = Kept::new(0, usize::MAX);
        none.offer(connection(0));
        assert!(streams(none).is_empty());
    }

    #[test]
    fn the_byte_limit_keeps_the_lowest_streams_that_fit() {
        let each = connection(0).mem_bytes();
        let mut kept = Kept::new(1000, 2 * each);
        for stream in [4, 2, 3, 1] {
            kept.offer(connection(stream));
        }
        assert_eq!(streams(kept), [1, 2]);
    }

    #[test]
    fn one_too_large_to_keep_is_skipped_and_pushes_out_nothing() {
        let each = connection(0).mem_bytes();
        let mut kept = Kept::new(1000, 3 * each);
        for stream in [1, 2, 3] {
            kept.offer(connection(stream));
        }
        let mut large = connection(0);
        large.events = Vec::with_capacity(1000);
        assert!(large.mem_bytes() > 3 * each);
        kept.offer(large);
        assert_eq!(streams(kept), [1, 2, 3]);
    }
}
