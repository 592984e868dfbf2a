//! The pipeline's decoding stage: each frame decoded, and IP fragments put back together, so
//! that the fragment completing a datagram is the packet carrying it whole (as Wireshark
//! shows the reassembled datagram on that frame; the other fragments stay fragments).

use crate::source::Frame;
use crate::wire::defrag::{DatagramKey, DefragLimits, DefragStats, Defragmenter};
use crate::wire::{self, Packet};

/// Decodes frames and reassembles IP datagrams, in bounded memory (see [`DefragLimits`]).
#[derive(Debug, Default)]
pub struct Decoder {
    defrag: Defragmenter,
    /// The last reassembled datagram's payload, reused from one to the next.
    datagram: Vec<u8>,
}

impl Decoder {
    /// A decoder reassembling within `limits`.
    pub fn new(limits: DefragLimits) -> Decoder {
        Decoder {
            defrag: Defragmenter::new(limits),
            datagram: Vec::new(),
        }
    }

    /// Decodes `frame` and hands the packet to `then`: for the fragment that completes a
    /// datagram, the packet carrying the whole datagram.
    pub fn decode<R>(&mut self, frame: &Frame<'_>, then: impl FnOnce(&Packet<'_>) -> R) -> R {
        let mut packet = Packet::undecoded(frame);
        wire::decode_into(frame, &mut packet, true);
        if let (Some(fragment), Some(ip)) = (packet.ip_fragment, packet.ip) {
            let key = DatagramKey {
                src: ip.src,
                dst: ip.dst,
                protocol: ip.protocol,
                id: fragment.id,
            };
            if self
                .defrag
                .push(key, &fragment, packet.ts, &mut self.datagram)
            {
                let mut whole = packet.clone();
                wire::decode_reassembled(&mut whole, &self.datagram);
                return then(&whole);
            }
        }
        then(&packet)
    }

    /// What reassembly did so far.
    pub fn fragment_stats(&self) -> DefragStats {
        self.defrag.stats()
    }
}
