//! The trait packet analyzers plug in through. The pipeline keeps a registry of those the
//! filter, the checks and the outputs need, and feeds them every decoded packet. TCP is the
//! core beside them: it tracks connections and reassembles their bytes once, for the observers
//! (and stream analyzers) it feeds.

use super::dns::DnsAnalysis;
use crate::wire::dns::Message;
use crate::wire::Packet;

/// What analyzers say about one packet, for its line in the packet list.
#[derive(Debug, Default)]
pub struct PacketNotes {
    /// DNS messages the packet carried (for a TCP segment, those it completed).
    pub dns: Vec<Message>,
}

/// What the packet analyzers found; each part present when its analyzer ran.
#[derive(Debug, Default)]
pub struct Found {
    /// DNS transactions.
    pub dns: Option<DnsAnalysis>,
    /// UDP conversations.
    pub udp: Option<super::udp::UdpAnalysis>,
}

/// Something that watches decoded packets and produces results.
pub trait Analyzer: Send {
    /// Feeds one packet; `matched` says whether the filter selected it. `notes` is given when
    /// the packet is listed, to be told what the analyzer found in it.
    fn packet(&mut self, packet: &Packet<'_>, matched: bool, notes: Option<&mut PacketNotes>);

    /// Ends the capture, handing its results over.
    fn finish_into(self: Box<Self>, found: &mut Found);

    /// `Some(wants)` when the analyzer reads nothing of a packet but its time, IP addresses,
    /// transport header and payload, and nothing of the packets `wants` turns down: a replay
    /// without a packet list then runs it on a thread of its own, fed copies of those.
    fn copy_filter(&self) -> Option<CopyFilter> {
        None
    }
}

/// Which packets a transport-only analyzer wants (see [`Analyzer::copy_filter`]).
pub type CopyFilter = Box<dyn Fn(&Packet<'_>) -> bool + Send>;

impl Analyzer for super::dns::DnsAnalyzer {
    fn packet(&mut self, packet: &Packet<'_>, matched: bool, notes: Option<&mut PacketNotes>) {
        self.feed(packet, matched, notes.map(|n| &mut n.dns));
    }

    fn finish_into(self: Box<Self>, found: &mut Found) {
        found.dns = Some(self.finish());
    }

    /// The packets the DNS analysis reads: an IP header, from or to a DNS port.
    fn copy_filter(&self) -> Option<CopyFilter> {
        let ports = self.ports().clone();
        Some(Box::new(move |packet| {
            packet.ip.is_some() && ports.ports_of(packet).is_some()
        }))
    }
}
