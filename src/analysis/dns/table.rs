//! The open transactions: a hash index of small entries into a slab whose free slots are
//! reused. The index is what every message looks up, so it stays small enough for the cache;
//! a transaction is written once into a slot that was most likely freed a moment ago.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

use super::{Key, Transaction};

/// Open transactions by key.
#[derive(Debug, Default)]
pub(super) struct Table {
    index: HashMap<Key, u32, FxBuildHasher>,
    slab: Vec<Option<Transaction>>,
    free: Vec<u32>,
}

impl Table {
    /// Bytes a transaction's place costs besides the transaction: its index entry (a hash
    /// table's slot twice over, see [`crate::analysis::memory::slot`]) and its slot in the slab
    /// (which grows by doubling).
    pub const PLACE: usize = crate::analysis::memory::slot::<(Key, u32)>()
        + 2 * std::mem::size_of::<Option<Transaction>>()
        + std::mem::size_of::<u32>();

    /// Open transactions.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// The transaction of `key`.
    pub fn get(&self, key: &Key) -> Option<&Transaction> {
        let &at = self.index.get(key)?;
        self.slab[at as usize].as_ref()
    }

    /// The transaction of `key`, to change.
    pub fn get_mut(&mut self, key: &Key) -> Option<&mut Transaction> {
        let &at = self.index.get(key)?;
        self.slab[at as usize].as_mut()
    }

    /// True when `key` has an open transaction.
    pub fn contains_key(&self, key: &Key) -> bool {
        self.index.contains_key(key)
    }

    /// Opens `t` under `key` (whose transaction, if any, must have been removed).
    pub fn insert(&mut self, key: Key, t: Transaction) {
        let at = match self.free.pop() {
            Some(at) => {
                self.slab[at as usize] = Some(t);
                at
            }
            None => {
                self.slab.push(Some(t));
                u32::try_from(self.slab.len() - 1).expect("fewer than 2^32 open transactions")
            }
        };
        self.index.insert(key, at);
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
        if !self.slab[at as usize].as_ref().is_some_and(take) {
            return None;
        }
        entry.remove();
        self.free.push(at);
        self.slab[at as usize].take()
    }

    /// Takes the transaction of `key` out.
    pub fn remove(&mut self, key: &Key) -> Option<Transaction> {
        self.remove_if(*key, |_| true)
    }

    /// Every open transaction with its key.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Transaction)> {
        self.index
            .iter()
            .filter_map(|(k, &at)| Some((k, self.slab[at as usize].as_ref()?)))
    }

    /// Takes every open transaction out.
    pub fn drain(&mut self) -> Vec<Transaction> {
        self.index.clear();
        self.free.clear();
        std::mem::take(&mut self.slab)
            .into_iter()
            .flatten()
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
        assert!(t.remove(&key(101)).is_none() && !t.contains_key(&key(101)));
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
}
