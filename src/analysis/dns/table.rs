//! The open transactions: a hash index of small entries into a slab whose free slots are
//! reused. The index is what every message looks up, so it stays small enough for the cache;
//! a transaction is written once into a slot that was most likely freed a moment ago. The
//! linger queues hold 8-byte handles to slots instead of 48-byte keys.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

use super::{Key, Transaction};

/// Where an open transaction is: its slot, and the slot's generation, which changes each time
/// the slot is emptied, so that a handle to a closed transaction finds nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Handle {
    at: u32,
    generation: u32,
}

#[derive(Debug, Default)]
struct Slot {
    generation: u32,
    transaction: Option<Transaction>,
}

/// Open transactions by key.
#[derive(Debug, Default)]
pub(super) struct Table {
    index: HashMap<Key, u32, FxBuildHasher>,
    slab: Vec<Slot>,
    free: Vec<u32>,
}

/// The key a transaction is filed under.
fn key_of(t: &Transaction) -> Key {
    (t.transport, t.client, t.server, t.id)
}

impl Table {
    /// Bytes a transaction's place costs besides the transaction: its index entry (a hash
    /// table's slot twice over, see [`crate::analysis::memory::slot`]) and its slot in the slab
    /// (which grows by doubling).
    pub const PLACE: usize = crate::analysis::memory::slot::<(Key, u32)>()
        + 2 * std::mem::size_of::<Slot>()
        + std::mem::size_of::<u32>();

    /// Open transactions.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// The transaction of `key`.
    #[cfg(test)]
    pub fn get(&self, key: &Key) -> Option<&Transaction> {
        let &at = self.index.get(key)?;
        self.slab[at as usize].transaction.as_ref()
    }

    /// The transaction of `key`, to change.
    pub fn get_mut(&mut self, key: &Key) -> Option<&mut Transaction> {
        let &at = self.index.get(key)?;
        self.slab[at as usize].transaction.as_mut()
    }

    /// The transaction `handle` points at, if it is still open.
    pub fn by_handle(&self, handle: Handle) -> Option<&Transaction> {
        let slot = self.slab.get(handle.at as usize)?;
        (slot.generation == handle.generation)
            .then_some(slot.transaction.as_ref())
            .flatten()
    }

    /// Opens `t` under `key` (whose transaction, if any, must have been removed).
    pub fn insert(&mut self, key: Key, t: Transaction) -> Handle {
        let at = match self.free.pop() {
            Some(at) => {
                self.slab[at as usize].transaction = Some(t);
                at
            }
            None => {
                self.slab.push(Slot {
                    generation: 0,
                    transaction: Some(t),
                });
                u32::try_from(self.slab.len() - 1).expect("fewer than 2^32 open transactions")
            }
        };
        self.index.insert(key, at);
        Handle {
            at,
            generation: self.slab[at as usize].generation,
        }
    }

    /// Empties slot `at` (whose key is out of the index already).
    fn vacate(&mut self, at: u32) -> Option<Transaction> {
        let slot = &mut self.slab[at as usize];
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(at);
        slot.transaction.take()
    }

    /// Takes the transaction of `key` out, when `take` says yes to it: one lookup.
    pub fn remove_if(
        &mut self,
        key: Key,
        take: impl FnOnce(&Transaction) -> bool,
    ) -> Option<Transaction> {
        use std::collections::hash_map::Entry;
        let Entry::Occupied(entry) = self.index.entry(key) else {
            return None;
        };
        let at = *entry.get();
        if !self.slab[at as usize]
            .transaction
            .as_ref()
            .is_some_and(take)
        {
            return None;
        }
        entry.remove();
        self.vacate(at)
    }

    /// Takes the transaction of `key` out.
    pub fn remove(&mut self, key: &Key) -> Option<Transaction> {
        self.remove_if(*key, |_| true)
    }

    /// Takes the transaction `handle` points at out, when it is still open and `take` says yes
    /// to it.
    pub fn remove_handle_if(
        &mut self,
        handle: Handle,
        take: impl FnOnce(&Transaction) -> bool,
    ) -> Option<Transaction> {
        let key = key_of(self.by_handle(handle).filter(|t| take(t))?);
        self.index.remove(&key);
        self.vacate(handle.at)
    }

    /// Every open transaction with its key.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Transaction)> {
        self.index
            .iter()
            .filter_map(|(k, &at)| Some((k, self.slab[at as usize].transaction.as_ref()?)))
    }

    /// Takes every open transaction out.
    pub fn drain(&mut self) -> Vec<Transaction> {
        self.index.clear();
        self.free.clear();
        std::mem::take(&mut self.slab)
            .into_iter()
            .filter_map(|slot| slot.transaction)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::dns::DnsTransport;
    use crate::analysis::Endpoint;
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::Duration;

    fn key(id: u16) -> Key {
        let at = |last: u8, port: u16| Endpoint {
            ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)),
            port,
        };
        (DnsTransport::Udp, at(1, 40000), at(53, 53), id)
    }

    fn transaction(id: u16, answered: bool) -> Transaction {
        Transaction {
            id,
            transport: DnsTransport::Udp,
            client: key(id).1,
            server: key(id).2,
            query_ts: Some(Duration::ZERO),
            response_ts: answered.then_some(Duration::from_millis(1)),
            qname: format!("host{id}.example"),
            qtype: 1,
            rcode: answered.then_some(0),
            answers: Vec::new(),
            retries: 0,
            duplicate_responses: 0,
            malformed: false,
            matched: true,
            last_seen: Duration::ZERO,
        }
    }

    #[test]
    fn slots_are_reused_and_removal_asks_first() {
        let mut t = Table::default();
        for id in 0..100 {
            t.insert(key(id), transaction(id, id % 2 == 0));
        }
        assert_eq!(t.len(), 100);
        // Only the answered ones are taken: one lookup each, the others stay.
        let taken = (0..100)
            .filter_map(|id| t.remove_if(key(id), Transaction::answered))
            .count();
        assert_eq!((taken, t.len()), (50, 50));
        assert!(t.get(&key(0)).is_none() && t.get(&key(1)).is_some());
        // New transactions fill the freed slots: the slab does not grow.
        for id in 100..150 {
            t.insert(key(id), transaction(id, false));
        }
        assert_eq!((t.len(), t.slab.len()), (100, 100));
        t.get_mut(&key(101)).unwrap().retries = 3;
        assert_eq!(t.remove(&key(101)).map(|x| x.retries), Some(3));
        assert!(t.remove(&key(101)).is_none() && t.get(&key(101)).is_none());
        let mut ids: Vec<u16> = t
            .iter()
            .map(|(k, x)| {
                assert_eq!(k.3, x.id);
                x.id
            })
            .collect();
        ids.sort_unstable();
        assert_eq!(ids.len(), 99);
        assert_eq!(t.drain().len(), 99);
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn a_handle_finds_its_transaction_until_it_closes_and_never_the_next_in_its_slot() {
        let mut t = Table::default();
        let first = t.insert(key(1), transaction(1, false));
        assert_eq!(t.by_handle(first).map(|x| x.id), Some(1));
        // Not taken when the test says no; taken, with its key, when it says yes.
        assert!(t.remove_handle_if(first, Transaction::answered).is_none());
        assert_eq!(t.remove_handle_if(first, |_| true).map(|x| x.id), Some(1));
        assert!(t.get(&key(1)).is_none() && t.len() == 0);
        // The slot is reused; the old handle does not see the new transaction.
        let second = t.insert(key(2), transaction(2, true));
        assert_eq!(second.at, first.at);
        assert!(t.by_handle(first).is_none());
        assert!(t.remove_handle_if(first, |_| true).is_none());
        // Removed by key, the handle goes stale too.
        assert!(t.remove(&key(2)).is_some());
        assert!(t.by_handle(second).is_none());
    }
}
