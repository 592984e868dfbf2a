//! Linux cooked capture v1 (`LINKTYPE_LINUX_SLL`, 113): the 16-byte header libpcap puts in
//! front of every packet captured on the `any` interface.
//!
//! Parsed here rather than with etherparse, whose `from_linux_sll` rejects the loopback
//! hardware type (ARPHRD 772) that every lab capture on `any` contains.

use super::PacketType;

/// Length of the SLL v1 header.
pub const HEADER_LEN: usize = 16;

/// A typed view of an SLL v1 header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SllHeader {
    /// To us, broadcast, multicast, to another host, or sent by us.
    pub packet_type: PacketType,
    /// The Linux ARPHRD_ hardware type (1 Ethernet, 772 loopback, …).
    pub arphrd: u16,
    /// The protocol: an Ethernet type for every hardware type labcap decodes.
    pub protocol: u16,
}

/// Splits an SLL v1 frame into its header and payload; `None` when the frame is shorter than
/// the header.
pub fn parse(frame: &[u8]) -> Option<(SllHeader, &[u8])> {
    if frame.len() < HEADER_LEN {
        return None;
    }
    let be16 = |at: usize| u16::from_be_bytes([frame[at], frame[at + 1]]);
    let header = SllHeader {
        packet_type: PacketType::from_code(be16(0)),
        arphrd: be16(2),
        protocol: be16(14),
    };
    Some((header, &frame[HEADER_LEN..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An SLL v1 header as libpcap writes it for an outgoing IPv4 packet on `lo`.
    const LOOPBACK_OUT: [u8; 16] = [0, 4, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0];

    #[test]
    fn loopback_header_is_accepted() {
        let mut frame = LOOPBACK_OUT.to_vec();
        frame.extend_from_slice(&[0x45, 0]);
        let (header, payload) = parse(&frame).unwrap();
        assert_eq!(header.packet_type, PacketType::Outgoing);
        assert_eq!(header.arphrd, 772);
        assert_eq!(header.protocol, 0x0800);
        assert_eq!(payload, &[0x45, 0]);
    }

    #[test]
    fn short_frame_is_rejected() {
        assert_eq!(parse(&LOOPBACK_OUT[..15]), None);
        assert!(parse(&[]).is_none());
    }

    #[test]
    fn header_only_frame_has_empty_payload() {
        let (_, payload) = parse(&LOOPBACK_OUT).unwrap();
        assert!(payload.is_empty());
    }
}
