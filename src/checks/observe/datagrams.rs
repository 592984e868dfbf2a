//! "Datagrams reached port 5005 from mesin2 and mesin3, five each, of 13 bytes" and "a
//! broadcast reached port 5005": counted per sender as datagrams go by.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::Observation;
use crate::analysis::observer::Observer;
use crate::analysis::udp::Datagram;
use crate::analysis::Examples;
use crate::checks::vocabulary::UdpSpec;

/// Senders followed beyond those the spec names.
const SENDERS: usize = 64;

/// Counts datagrams to a port per sender (or broadcasts to it).
#[derive(Debug)]
pub struct DatagramsTo {
    port: u16,
    size: Option<u32>,
    broadcast_only: bool,
    seen: DatagramsSeen,
}

/// What reached the port.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DatagramsSeen {
    /// Datagrams per sender address (the first senders).
    pub from: BTreeMap<IpAddr, u64>,
    /// All datagrams counted.
    pub datagrams: u64,
    /// Datagrams of another size: sender and size.
    pub wrong_size: Examples<(IpAddr, u32)>,
}

impl DatagramsTo {
    /// Datagrams to the port of `spec`.
    pub fn new(spec: &UdpSpec) -> DatagramsTo {
        let mut seen = DatagramsSeen::default();
        for a in &spec.from {
            seen.from.insert(*a, 0);
        }
        DatagramsTo {
            port: spec.port,
            size: spec.size,
            broadcast_only: false,
            seen,
        }
    }

    /// Broadcast datagrams to `port`.
    pub fn broadcasts(port: u16) -> DatagramsTo {
        DatagramsTo {
            port,
            size: None,
            broadcast_only: true,
            seen: DatagramsSeen::default(),
        }
    }
}

impl Observer for DatagramsTo {
    fn datagram(&mut self, d: &Datagram, matched: bool) {
        if !matched || d.dst.port != self.port || (self.broadcast_only && !d.broadcast) {
            return;
        }
        self.seen.datagrams += 1;
        let sender = d.src.ip;
        if let Some(n) = self.seen.from.get_mut(&sender) {
            *n += 1;
        } else if self.seen.from.len() < SENDERS {
            self.seen.from.insert(sender, 1);
        }
        if let Some(size) = self.size {
            if d.len != size {
                self.seen.wrong_size.add(|| (sender, d.len));
            }
        }
    }

    fn finish(self: Box<Self>) -> Observation {
        Observation::Datagrams(self.seen)
    }
}
