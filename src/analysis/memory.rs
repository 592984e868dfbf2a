//! The memory cap of analysis state, after Suricata's `flow.memcap` and `stream.memcap`: one
//! total budget (`--memcap`, 64 MiB by default) shared out among the analyzers' tables. Each
//! table counts what its entries hold (inline size, buffers' capacity, a per-entry overhead
//! for the table itself); past its share it evicts the entries quiet the longest and counts
//! them, so a report can say what was not analysed to the end and a check that needed it can
//! say so instead of passing.

use std::time::Duration;

/// The default total budget: 64 MiB.
pub const DEFAULT_MEMCAP: usize = 64 << 20;

/// A heap allocation's overhead: the allocator's header and rounding (see [`heap`]).
pub const ALLOCATION: usize = 16;

/// What a heap block for `capacity` bytes costs, as glibc's malloc lays it out: an 8-byte
/// header, rounded up to 16 bytes, 32 at least (a three-letter `String` costs 32, not 3);
/// nothing for a buffer never allocated. mimalloc, the binary's allocator, has no header but
/// rounds up to its size classes (up to an eighth more): an estimate within that.
pub const fn heap(capacity: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let block = (capacity + 8 + 15) & !15;
    if block < 32 {
        32
    } else {
        block
    }
}

/// What a hash table entry of type `T` costs: its slot twice over (a table is at most 7/8
/// full, grows by doubling and holds tombstones), and a control byte. An estimate the memory
/// benchmark (`scripts/bench-memory.sh`) holds to the measured RSS.
pub const fn slot<T>() -> usize {
    2 * (std::mem::size_of::<T>() + 1)
}

/// The total budget and each table's share of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemCap {
    /// The total, in bytes.
    pub total: usize,
}

impl Default for MemCap {
    fn default() -> MemCap {
        MemCap {
            total: DEFAULT_MEMCAP,
        }
    }
}

impl std::fmt::Display for MemCap {
    /// `64 MiB`, `1.5 GiB`, `512 KiB`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let units = [("GiB", 30), ("MiB", 20), ("KiB", 10)];
        for (unit, shift) in units {
            let size = 1usize << shift;
            if self.total >= size {
                let value = self.total as f64 / size as f64;
                return if self.total % size == 0 {
                    write!(f, "{} {unit}", self.total / size)
                } else {
                    write!(f, "{value:.1} {unit}")
                };
            }
        }
        write!(f, "{} bytes", self.total)
    }
}

impl MemCap {
    /// The smallest cap accepted: below it no table could hold a useful amount.
    pub const MIN: usize = 1 << 20;

    /// Parses `--memcap`: a number of bytes with an optional unit (K, M, G, with or without
    /// `iB`/`B`, binary multiples: `64M` = `64MiB` = 67,108,864 bytes).
    pub fn parse(text: &str) -> Result<MemCap, String> {
        let t = text.trim();
        let digits = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (number, unit) = t.split_at(digits);
        if number.is_empty() {
            return Err(format!("`{text}` is not a size (64M, 1G, 100000000)"));
        }
        let shift = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 0,
            "k" | "kb" | "kib" => 10,
            "m" | "mb" | "mib" => 20,
            "g" | "gb" | "gib" => 30,
            other => return Err(format!("unknown unit `{other}` (use K, M or G: 64M, 1G)")),
        };
        let value: f64 = number
            .parse()
            .map_err(|_| format!("`{text}` is not a size (64M, 1G, 100000000)"))?;
        let total = value * (1u64 << shift) as f64;
        if !(total.is_finite() && total >= Self::MIN as f64 && total <= (1u64 << 46) as f64) {
            return Err(format!(
                "`{text}`: the cap must be at least 1M (and at most 64T)"
            ));
        }
        Ok(MemCap {
            total: total as usize,
        })
    }

    // The shares add up to 11/16 of the total (each stream analyzer that runs takes 1/32 of
    // the TCP share for what it keeps in detail): the rest is for what is not a table (the
    // reader's buffers, batches between threads, the kept DNS transactions and UDP
    // conversations, the allocator's fragmentation).

    /// Open TCP connections: sequence state, reassembly and echo buffers, events.
    pub fn tcp(self) -> usize {
        self.total / 8 * 3
    }

    /// Connections kept in detail for tables and JSON once closed.
    pub fn tcp_kept(self) -> usize {
        self.total / 16
    }

    /// DNS queries waiting for their response.
    pub fn dns(self) -> usize {
        self.total / 8
    }

    /// DNS-over-TCP framing: the partial messages of each direction.
    pub fn dns_tcp(self) -> usize {
        self.total / 16
    }

    /// UDP conversations in progress.
    pub fn udp(self) -> usize {
        self.total / 16
    }

    /// What each stream analyzer (HTTP transactions, TLS sessions, framed exchanges) keeps in
    /// detail for tables and JSON, with their texts; the others are only counted.
    pub fn detail(self) -> usize {
        self.total / 32
    }
}

/// What the analyzers evicted to stay within the memory cap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Evictions {
    /// TCP connections closed early (their later packets start new ones).
    pub tcp_connections: u64,
    /// DNS queries given up on before their response (a late response stands alone).
    pub dns_queries: u64,
    /// DNS-over-TCP directions whose partial message was dropped.
    pub dns_tcp_flows: u64,
    /// UDP conversations closed early (a later datagram starts a new one).
    pub udp_conversations: u64,
}

impl Evictions {
    /// True when nothing was evicted.
    pub fn is_empty(&self) -> bool {
        *self == Evictions::default()
    }
}

/// A table's byte count against its share of the cap.
#[derive(Clone, Copy, Debug, Default)]
pub struct Budget {
    limit: usize,
    used: usize,
    /// [`Budget::admit`] refused one for its bytes: the list it counts is closed.
    closed: bool,
}

impl Budget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Budget {
        Budget {
            limit,
            used: 0,
            closed: false,
        }
    }

    /// An entry changed from `before` to `after` bytes (0 when it is new or gone).
    pub fn resize(&mut self, before: usize, after: usize) {
        self.used = (self.used + after).saturating_sub(before);
    }

    /// For a list of the first things kept in detail: counts `bytes` for one more when its
    /// list has `room` for it and they fit within the limit. True when it is to be kept; once
    /// one does not fit, none after it is kept either (the list holds the first ones, without
    /// gaps), the rest being only counted.
    pub fn admit(&mut self, bytes: usize, room: bool) -> bool {
        if !room || self.closed {
            return false;
        }
        if self.used + bytes > self.limit {
            self.closed = true;
            return false;
        }
        self.used += bytes;
        true
    }

    /// The limit, in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes counted now.
    pub fn used(&self) -> usize {
        self.used
    }

    /// True when the table holds more than its share.
    pub fn over(&self) -> bool {
        self.over_with(0)
    }

    /// True when the table and `extra` bytes held elsewhere for its entries hold more than
    /// its share.
    pub fn over_with(&self, extra: usize) -> bool {
        self.used + extra > self.limit
    }

    /// How many bytes to free so the table is back to 3/4 of its share (evicting in batches
    /// keeps the cost of choosing victims amortised over many packets).
    pub fn excess(&self) -> usize {
        self.excess_with(0)
    }

    /// [`Budget::excess`] with `extra` bytes held elsewhere for the table's entries.
    pub fn excess_with(&self, extra: usize) -> usize {
        (self.used + extra).saturating_sub(self.limit / 4 * 3)
    }
}

/// A table entry that could be evicted.
#[derive(Clone, Copy, Debug)]
pub struct Candidate<K> {
    /// Complete (an ended connection, an answered query) and only waiting out its linger time
    /// for late packets: closing it early loses little, so these go first.
    pub done: bool,
    /// When it was last active.
    pub last: Duration,
    /// Tie-break: insertion order.
    pub order: u64,
    /// What it holds.
    pub bytes: usize,
    /// Its key.
    pub key: K,
}

impl<K> Candidate<K> {
    fn rank(&self) -> (bool, Duration, u64) {
        (!self.done, self.last, self.order)
    }
}

/// The entries to evict until their bytes reach `excess`: the complete ones first, then the
/// ones quiet the longest (ties by insertion order). Linear in the entries: only the first
/// few are sorted.
pub fn oldest<K>(mut entries: Vec<Candidate<K>>, excess: usize) -> Vec<K> {
    if excess == 0 || entries.is_empty() {
        return Vec::new();
    }
    let total: usize = entries.iter().map(|e| e.bytes).sum();
    let n = entries.len();
    // As many entries as should hold `excess` bytes on average, doubled until they do.
    let mut k = (excess.saturating_mul(n) / total.max(1)).clamp(1, n);
    loop {
        if k < n {
            entries.select_nth_unstable_by_key(k, Candidate::rank);
        }
        let freed: usize = entries[..k].iter().map(|e| e.bytes).sum();
        if freed >= excess || k == n {
            break;
        }
        k = (k * 2).min(n);
    }
    entries.truncate(k);
    entries.sort_unstable_by_key(Candidate::rank);
    let mut freed = 0;
    entries
        .into_iter()
        .take_while(|e| {
            let more = freed < excess;
            freed += e.bytes;
            more
        })
        .map(|e| e.key)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_detail_list_admits_the_first_that_fit_and_none_after_one_that_did_not() {
        let mut b = Budget::new(100);
        let admitted: Vec<bool> = [60, 50, 10, 20].iter().map(|&n| b.admit(n, true)).collect();
        assert_eq!(admitted, [true, false, false, false]);
        assert_eq!(b.used(), 60);
        let mut count = Budget::new(100);
        assert!(!count.admit(10, false) && count.admit(10, true));
    }

    #[test]
    fn heap_blocks_cost_what_glibc_gives() {
        // malloc_usable_size of such blocks on glibc: 24 bytes in the smallest, then 16 more; a
        // block taken from a free one is not split when less than its smallest (32) would be
        // left, so it may be 16 bytes larger.
        assert_eq!(heap(0), 0);
        assert_eq!(heap(3), 32);
        assert_eq!(heap(24), 32);
        assert_eq!(heap(25), 48);
        assert_eq!(heap(672), 688);
        for n in 1..4096usize {
            // SAFETY: allocating and freeing a block of n bytes.
            let usable = unsafe {
                let p = libc::malloc(n);
                let usable = libc::malloc_usable_size(p);
                libc::free(p);
                usable
            };
            let block = usable + 8;
            assert!(block == heap(n) || block == heap(n) + 16, "{n}: {block}");
        }
    }

    #[test]
    fn caps_parse_with_units_and_print_back() {
        let mib = |n: usize| MemCap { total: n << 20 };
        assert_eq!(MemCap::parse("64M"), Ok(mib(64)));
        assert_eq!(MemCap::parse("64MiB"), Ok(mib(64)));
        assert_eq!(MemCap::parse("1g"), Ok(mib(1024)));
        assert_eq!(MemCap::parse("1.5G").unwrap().to_string(), "1.5 GiB");
        assert_eq!(MemCap::parse("2097152"), Ok(mib(2)));
        assert_eq!(mib(64).to_string(), "64 MiB");
        for bad in ["", "M", "64X", "100", "0.5M", "-1M", "1e9"] {
            assert!(MemCap::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_budget_counts_resizes_and_frees_down_to_three_quarters() {
        let mut b = Budget::new(800);
        b.resize(0, 500);
        b.resize(0, 400);
        assert!(b.over());
        assert_eq!(b.excess(), 900 - 600);
        b.resize(400, 0);
        assert!(!b.over());
        assert_eq!((b.used(), b.excess()), (500, 0));
    }

    #[test]
    fn the_oldest_go_first_until_enough_is_freed() {
        let s = Duration::from_secs;
        let c = |done, last, order, key| Candidate {
            done,
            last: s(last),
            order,
            bytes: 10,
            key,
        };
        let entries = vec![
            c(false, 5, 0, 'c'),
            c(false, 1, 1, 'a'),
            c(false, 1, 0, 'b'),
        ];
        assert_eq!(oldest(entries.clone(), 15), vec!['b', 'a']);
        assert_eq!(oldest(entries.clone(), 1), vec!['b']);
        assert_eq!(oldest(entries, 0), Vec::<char>::new());
        // Complete entries go before any in progress, however recent.
        let entries = vec![c(false, 1, 0, 'a'), c(true, 9, 1, 'z')];
        assert_eq!(oldest(entries, 15), vec!['z', 'a']);
    }

    #[test]
    fn choosing_the_oldest_agrees_with_sorting_them_all() {
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            seed >> 33
        };
        for round in 0..200 {
            let n = (next() % 300) as usize + 1;
            let entries: Vec<_> = (0..n as u64)
                .map(|i| Candidate {
                    done: next() % 3 == 0,
                    last: Duration::from_millis(next() % 50),
                    order: i,
                    bytes: (next() % 100) as usize,
                    key: i,
                })
                .collect();
            let excess = (next() % 20_000) as usize;
            let mut sorted = entries.clone();
            sorted.sort_by_key(Candidate::rank);
            let mut freed = 0;
            let want: Vec<u64> = sorted
                .iter()
                .take_while(|e| {
                    let more = freed < excess;
                    freed += e.bytes;
                    more
                })
                .map(|e| e.key)
                .collect();
            assert_eq!(oldest(entries, excess), want, "round {round}");
        }
    }
}
