//! The clients the concurrent server is serving, as its accept loop sees them, so that slow
//! clients cannot lock the others out: when every `--max-clients` slot is taken, a new client
//! takes the place of the connection idle the longest (no byte received or sent) among those
//! of the address that holds the most connections (the newcomer counted).
//!
//! Why this choice: the lab's clients send at once and pause at most a fraction of a second
//! (the 46-byte message, a 97-byte file, pieces 150 ms apart), so they are never the most idle,
//! and each machine holds one or two connections, so a machine flooding the server is the one
//! that pays. A flooder that reconnects whenever it is dropped only takes the place of its own
//! connections. With one connection per address it comes down to the most idle overall.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, TcpStream};
use std::os::unix::io::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// One connection being served.
pub(crate) struct Slot {
    pub peer: SocketAddr,
    /// The connection's descriptor, for `shutdown` when it is dropped to make room; it stays
    /// open while the slot is in `Slots` (a `Seat` leaves before it closes its stream).
    fd: RawFd,
    started: Instant,
    /// Milliseconds from `started` to the last byte received or sent.
    last: AtomicU64,
    evicted: AtomicBool,
}

impl Slot {
    pub fn new(peer: SocketAddr, fd: RawFd) -> Slot {
        Slot {
            peer,
            fd,
            started: Instant::now(),
            last: AtomicU64::new(0),
            evicted: AtomicBool::new(false),
        }
    }

    /// A byte moved: the connection is not idle.
    pub fn touch(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        self.last.store(now, Ordering::Relaxed);
    }

    /// Time since the last byte moved (since the connection was accepted if none did).
    pub fn idle(&self, now: Instant) -> Duration {
        let last = self.started + Duration::from_millis(self.last.load(Ordering::Relaxed));
        now.saturating_duration_since(last)
    }

    /// Time since the connection was accepted.
    pub fn age(&self) -> Duration {
        self.started.elapsed()
    }

    /// True once the accept loop dropped this connection to make room.
    pub fn evicted(&self) -> bool {
        self.evicted.load(Ordering::SeqCst)
    }
}

/// A connection dropped to make room.
pub(crate) struct Evicted {
    pub peer: SocketAddr,
    pub idle: Duration,
    /// Connections its address (its /64 for IPv6) held.
    pub from_its_address: usize,
}

/// The connections being served.
#[derive(Default)]
pub(crate) struct Slots {
    map: Mutex<HashMap<u64, Arc<Slot>>>,
    next: AtomicU64,
}

/// A connection's place in `Slots`, holding its stream: dropping it leaves `Slots` first and
/// closes the stream after, so `Slots` never shuts down a descriptor that was reused.
pub(crate) struct Seat<'a> {
    slots: &'a Slots,
    id: u64,
    pub slot: Arc<Slot>,
    pub stream: TcpStream,
}

impl Drop for Seat<'_> {
    fn drop(&mut self) {
        self.slots.lock().remove(&self.id);
        // `self.stream` closes after this.
    }
}

impl Slots {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Slot>>> {
        // A panic elsewhere does not leave the map inconsistent: recover it.
        self.map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Gives `stream` a seat, first dropping the connection chosen by `choose` when `max` are
    /// taken. `Err(stream)` when there is no seat to give (`max` is 0).
    pub fn admit(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
        max: usize,
    ) -> Result<(Seat<'_>, Option<Evicted>), TcpStream> {
        let mut map = self.lock();
        let mut evicted = None;
        if map.len() >= max {
            let now = Instant::now();
            let candidates = map.iter().map(|(&id, s)| (id, s.peer.ip(), s.idle(now)));
            let Some((id, from_its_address)) = choose(candidates, peer.ip()) else {
                return Err(stream);
            };
            let victim = map.remove(&id).expect("chosen from the map");
            victim.evicted.store(true, Ordering::SeqCst);
            // Wakes its thread from a blocked read or write; the thread then leaves quietly.
            // SAFETY: the descriptor is open: its Seat removes it from the map (under this
            // lock) before closing it.
            unsafe { libc::shutdown(victim.fd, libc::SHUT_RDWR) };
            evicted = Some(Evicted {
                peer: victim.peer,
                idle: victim.idle(now),
                from_its_address,
            });
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot::new(peer, stream.as_raw_fd()));
        map.insert(id, Arc::clone(&slot));
        drop(map);
        let seat = Seat {
            slots: self,
            id,
            slot,
            stream,
        };
        Ok((seat, evicted))
    }
}

/// The address group a peer counts in: its IPv4 address, or the /64 of an IPv6 address (one
/// host can use a whole /64).
fn group(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

/// Among `(id, address, idle)` connections, the one to drop for a newcomer from `newcomer`:
/// the most idle of the address group holding the most (the newcomer counted, so that a host
/// takes a place only from a group at least as big as its own would be); with the number of
/// connections its group holds.
fn choose(
    candidates: impl Iterator<Item = (u64, IpAddr, Duration)> + Clone,
    newcomer: IpAddr,
) -> Option<(u64, usize)> {
    let mut per_group: HashMap<IpAddr, usize> = HashMap::new();
    for (_, ip, _) in candidates.clone() {
        *per_group.entry(group(ip)).or_default() += 1;
    }
    *per_group.entry(group(newcomer)).or_default() += 1;
    let most = per_group.values().copied().max()?;
    let (id, ip, _) = candidates
        .filter(|(_, ip, _)| per_group[&group(*ip)] == most)
        .max_by_key(|&(id, _, idle)| (idle, std::cmp::Reverse(id)))?;
    let newcomer_too = group(ip) == group(newcomer);
    Some((id, most - usize::from(newcomer_too)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_most_idle_of_the_address_holding_the_most_is_dropped() {
        // Six slow connections from .66, two lab clients from .102 and .103.
        let mut slots: Vec<(u64, IpAddr, Duration)> = (0..6)
            .map(|i| (i, ip("172.16.16.66"), ms(100 * i)))
            .collect();
        slots.push((6, ip("172.16.16.102"), ms(5_000)));
        slots.push((7, ip("172.16.16.103"), ms(140)));
        // The lab client idle 5 s is spared: .66 holds the most.
        assert_eq!(
            choose(slots.iter().copied(), ip("172.16.16.103")),
            Some((5, 6))
        );
        // .66 coming back takes the place of its own most idle connection.
        assert_eq!(
            choose(slots.iter().copied(), ip("172.16.16.66")),
            Some((5, 6))
        );
    }

    #[test]
    fn with_one_connection_per_address_the_most_idle_is_dropped() {
        let slots = [
            (0, ip("10.0.0.1"), ms(30)),
            (1, ip("10.0.0.2"), ms(9_000)),
            (2, ip("10.0.0.3"), ms(200)),
        ];
        assert_eq!(choose(slots.iter().copied(), ip("10.0.0.9")), Some((1, 1)));
        // A second connection from 10.0.0.3 would make its address the biggest: it takes the
        // place of its first, not of another host's.
        assert_eq!(choose(slots.iter().copied(), ip("10.0.0.3")), Some((2, 1)));
    }

    #[test]
    fn an_ipv6_host_counts_as_its_64() {
        let slots = [
            (0, ip("2001:db8:0:1::a"), ms(10)),
            (1, ip("2001:db8:0:1::b"), ms(20)),
            (2, ip("2001:db8:0:2::1"), ms(9_000)),
            (3, ip("::ffff:10.0.0.1"), ms(50)),
        ];
        // The /64 holds two: its most idle goes, not the other /64's idle for 9 s.
        assert_eq!(choose(slots.iter().copied(), ip("10.0.0.2")), Some((1, 2)));
        assert_eq!(group(ip("::ffff:10.0.0.1")), ip("10.0.0.1"));
        assert_eq!(group(ip("2001:db8:0:1::b")), ip("2001:db8:0:1::"));
    }

    #[test]
    fn nothing_to_choose_from_an_empty_server() {
        assert_eq!(choose(std::iter::empty(), ip("10.0.0.1")), None);
    }
}
