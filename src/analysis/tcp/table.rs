//! The open connections by 4-tuple: open addressing with linear probing over 16-byte slots,
//! each the key's hash and the boxed connection (the full key is checked against the
//! connection's endpoints). The slots a lookup probes stay small enough for the cache, and a
//! removal moves the slots after it back (no tombstones), so probes stay as short as the
//! load makes them under the churn of short connections.

use super::{Connection, Key};

/// One place of the table: empty when `connection` is `None`.
#[derive(Debug, Default)]
struct Slot {
    /// The key's hash (`Key::hash`).
    hash: u64,
    connection: Option<Box<Connection>>,
}

/// Open connections by key.
#[derive(Debug, Default)]
pub(super) struct Table {
    /// A power of two of them (or none), at most half full: probes stay short.
    slots: Vec<Slot>,
    len: usize,
}

impl Table {
    /// What a connection's place costs: its slot, with at most half the slots full and their
    /// number doubling when more are needed, up to four slots.
    pub const PLACE: usize = 4 * std::mem::size_of::<Slot>();

    /// Open connections.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Where the probe for `hash` starts: the top bits of the hash times a constant
    /// (Fibonacci hashing: every bit of the hash counts).
    fn home(&self, hash: u64) -> usize {
        let bits = self.slots.len().trailing_zeros();
        (hash.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// The slot holding `key`'s connection.
    pub fn find(&self, key: &Key) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mut at = self.home(key.hash);
        loop {
            let slot = &self.slots[at];
            match &slot.connection {
                None => return None,
                Some(c) if slot.hash == key.hash && key.is_of(c) => return Some(at),
                Some(_) => at = (at + 1) & self.mask(),
            }
        }
    }

    /// The connection of `key`.
    pub fn get(&self, key: &Key) -> Option<&Connection> {
        let at = self.find(key)?;
        self.slots[at].connection.as_deref()
    }

    /// The connection in slot `at` (found by [`Table::find`]), to change or replace with one
    /// of the same key.
    pub fn at(&mut self, at: usize) -> &mut Box<Connection> {
        self.slots[at]
            .connection
            .as_mut()
            .expect("a slot found holds a connection")
    }

    /// Files `connection` under `key`, which must not be in the table.
    pub fn insert(&mut self, key: &Key, connection: Box<Connection>) -> &mut Box<Connection> {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mut at = self.home(key.hash);
        while self.slots[at].connection.is_some() {
            at = (at + 1) & self.mask();
        }
        self.len += 1;
        let slot = &mut self.slots[at];
        slot.hash = key.hash;
        slot.connection.insert(connection)
    }

    /// Doubles the slots (16 to start with) and files the connections again.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, Vec::with_capacity(size));
        self.slots.resize_with(size, Slot::default);
        for slot in old {
            if let Some(c) = slot.connection {
                let mut at = self.home(slot.hash);
                while self.slots[at].connection.is_some() {
                    at = (at + 1) & self.mask();
                }
                self.slots[at] = Slot {
                    hash: slot.hash,
                    connection: Some(c),
                };
            }
        }
    }

    /// Takes `key`'s connection out. The slots after it move back into the gap where their
    /// probes allow (no tombstones: probes stay as short as the load makes them).
    pub fn remove(&mut self, key: &Key) -> Option<Box<Connection>> {
        let mut gap = self.find(key)?;
        let taken = self.slots[gap].connection.take();
        self.len -= 1;
        let mask = self.mask();
        let mut at = gap;
        loop {
            at = (at + 1) & mask;
            if self.slots[at].connection.is_none() {
                break;
            }
            // The entry at `at` may fill the gap unless its home lies cyclically in (gap, at].
            let home = self.home(self.slots[at].hash);
            let stays = if gap <= at {
                gap < home && home <= at
            } else {
                gap < home || home <= at
            };
            if !stays {
                self.slots.swap(gap, at);
                gap = at;
            }
        }
        taken
    }

    /// The open connections, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &Connection> {
        self.slots.iter().filter_map(|s| s.connection.as_deref())
    }

    /// Takes every connection out, leaving the table empty (even if the iterator is dropped
    /// early).
    pub fn drain(&mut self) -> impl Iterator<Item = Box<Connection>> {
        self.len = 0;
        std::mem::take(&mut self.slots)
            .into_iter()
            .filter_map(|s| s.connection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Endpoint;
    use std::collections::HashMap;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::time::Duration;

    /// Connection `n` between one of a few clients (v4 or v6) and a few servers.
    fn connection(n: u32) -> (Key, Box<Connection>) {
        let client = match n % 3 {
            0 => IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, n as u16 % 5)),
            _ => IpAddr::V4(Ipv4Addr::new(10, 0, 0, (n % 7) as u8)),
        };
        let server = match client {
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::new(172, 16, 16, 101)),
        };
        let at = |ip, port| Endpoint { ip, port };
        let mut c = Box::new(Connection::new(
            n,
            at(client, 1024 + (n % 40_000) as u16),
            at(server, 32434),
            Duration::ZERO,
        ));
        c.client_is_low = n % 2 == 0;
        (Key::of(&c), c)
    }

    #[test]
    fn the_table_agrees_with_a_map_through_inserts_and_removals() {
        let mut table = Table::default();
        let mut model: HashMap<u32, Key> = HashMap::new();
        let mut rng: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..50_000 {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = (rng >> 33) as u32 % 3_000;
            let (key, c) = connection(n);
            match model.remove(&n) {
                Some(key) => {
                    let removed = table.remove(&key).expect("a filed connection is found");
                    assert_eq!(removed.stream, n);
                    assert!(table.get(&key).is_none());
                }
                None => {
                    assert!(table.find(&key).is_none());
                    table.insert(&key, c);
                    model.insert(n, key);
                }
            }
            assert_eq!(table.len(), model.len());
        }
        // Every connection still filed is found under its key, and only there.
        for (n, key) in &model {
            assert_eq!(table.get(key).map(|c| c.stream), Some(*n));
        }
        assert_eq!(table.values().count(), model.len());
        let mut drained: Vec<u32> = table.drain().map(|c| c.stream).collect();
        drained.sort_unstable();
        let mut expected: Vec<u32> = model.keys().copied().collect();
        expected.sort_unstable();
        assert_eq!(drained, expected);
        assert!(table.values().next().is_none());
        // Emptied, the table files connections again.
        let (key, c) = connection(1);
        table.insert(&key, c);
        assert_eq!(table.get(&key).map(|c| c.stream), Some(1));
    }

    #[test]
    fn keys_made_to_collide_under_a_fixed_fold_get_their_own_hashes() {
        // Under the former hash (a fixed XOR fold of addresses and ports), these 16,384
        // connections all had one hash: every lookup walked all of them.
        let at = |ip: u32, port| Endpoint {
            ip: IpAddr::V4(Ipv4Addr::from(ip)),
            port,
        };
        let mut hashes: Vec<u64> = (0..16_384u32)
            .map(|k| {
                let mut c = Connection::new(
                    k,
                    at(0x0a00_0000 ^ (k << 17), 1024),
                    at(0xc800_0000 + k, 80),
                    Duration::ZERO,
                );
                c.client_is_low = true;
                Key::of(&c).hash
            })
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), 16_384);
    }

    #[test]
    fn a_connection_replaced_in_its_slot_is_found_under_the_same_key() {
        let mut table = Table::default();
        let (key, c) = connection(2);
        table.insert(&key, c);
        let at = table.find(&key).expect("filed");
        let (_, mut again) = connection(2);
        again.stream = 99;
        let old = std::mem::replace(table.at(at), again);
        assert_eq!(old.stream, 2);
        assert_eq!(table.get(&key).map(|c| c.stream), Some(99));
    }
}
