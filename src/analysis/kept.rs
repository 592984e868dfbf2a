//! What is kept in detail for the tables and JSON (TCP connections, UDP conversations): the
//! lowest-numbered streams that fit the count and byte limits, whatever order they close in (a
//! long-lived stream 0 closes last and is still listed first: "the first 1000 listed" means
//! streams in order).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::analysis::memory::Budget;

/// What the list asks of a thing it keeps.
pub trait Detail {
    /// Its stream number: the lowest are kept.
    fn number(&self) -> u32;
    /// The bytes it holds, against the byte limit.
    fn bytes(&self) -> usize;
}

/// A kept thing, ordered by its number: the heap's top is the highest.
#[derive(Debug)]
struct ByNumber<T>(T);

impl<T: Detail> PartialEq for ByNumber<T> {
    fn eq(&self, other: &ByNumber<T>) -> bool {
        self.0.number() == other.0.number()
    }
}

impl<T: Detail> Eq for ByNumber<T> {}

impl<T: Detail> PartialOrd for ByNumber<T> {
    fn partial_cmp(&self, other: &ByNumber<T>) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: Detail> Ord for ByNumber<T> {
    fn cmp(&self, other: &ByNumber<T>) -> Ordering {
        self.0.number().cmp(&other.0.number())
    }
}

/// The closed things kept in detail.
#[derive(Debug)]
pub struct Kept<T> {
    heap: BinaryHeap<ByNumber<T>>,
    max: usize,
    /// What the kept ones hold, against the byte limit.
    bytes: Budget,
}

impl<T: Detail> Default for Kept<T> {
    fn default() -> Kept<T> {
        Kept::new(0, 0)
    }
}

impl<T: Detail> Kept<T> {
    /// Keeps at most `max` things holding at most `budget` bytes.
    pub fn new(max: usize, budget: usize) -> Kept<T> {
        Kept {
            heap: BinaryHeap::new(),
            max,
            bytes: Budget::new(budget),
        }
    }

    /// Offers a thing closed for good: kept when it is among the lowest numbers that fit, the
    /// highest kept ones going to make room.
    pub fn offer(&mut self, item: T) {
        let full = self.heap.len() >= self.max;
        if full
            && self
                .heap
                .peek()
                .is_none_or(|top| top.0.number() < item.number())
        {
            return;
        }
        // One that could never fit is skipped (it must not push out the others first).
        let bytes = item.bytes();
        if bytes > self.bytes.limit() {
            return;
        }
        self.bytes.resize(0, bytes);
        self.heap.push(ByNumber(item));
        while self.heap.len() > self.max || self.bytes.over() {
            let Some(highest) = self.heap.pop() else {
                break;
            };
            self.bytes.resize(highest.0.bytes(), 0);
        }
    }

    /// The kept things by number.
    pub fn into_sorted(self) -> impl Iterator<Item = T> {
        self.heap.into_sorted_vec().into_iter().map(|kept| kept.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::tcp::Connection;
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

    fn streams(kept: Kept<Box<Connection>>) -> Vec<u32> {
        kept.into_sorted().map(|c| c.stream).collect()
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
