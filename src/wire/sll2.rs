//! Linux cooked capture v2 (`LINKTYPE_LINUX_SLL2`, 276): a 20-byte header that adds the
//! interface index to v1. Not handled by etherparse.

use super::PacketType;

/// Length of the SLL v2 header.
pub const HEADER_LEN: usize = 20;

/// A typed view of an SLL v2 header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sll2Header {
    /// The protocol, an Ethernet type.
    pub protocol: u16,
    /// The capturing interface's index.
    pub ifindex: u32,
    /// The Linux ARPHRD_ hardware type.
    pub arphrd: u16,
    /// To us, broadcast, multicast, to another host, or sent by us.
    pub packet_type: PacketType,
}

/// Splits an SLL v2 frame into its header and payload; `None` when the frame is shorter than
/// the header.
pub fn parse(frame: &[u8]) -> Option<(Sll2Header, &[u8])> {
    if frame.len() < HEADER_LEN {
        return None;
    }
    let header = Sll2Header {
        protocol: u16::from_be_bytes([frame[0], frame[1]]),
        ifindex: u32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]),
        arphrd: u16::from_be_bytes([frame[8], frame[9]]),
        packet_type: PacketType::from_code(u16::from(frame[10])),
    };
    Some((header, &frame[HEADER_LEN..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST_IPV6: [u8; 20] = [
        0x86, 0xdd, 0, 0, 0, 0, 0, 1, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    #[test]
    fn fields_are_read_from_their_offsets() {
        let (header, payload) = parse(&HOST_IPV6).unwrap();
        assert_eq!(header.protocol, 0x86dd);
        assert_eq!(header.ifindex, 1);
        assert_eq!(header.arphrd, 772);
        assert_eq!(header.packet_type, PacketType::Host);
        assert!(payload.is_empty());
    }

    #[test]
    fn short_frame_is_rejected() {
        assert!(parse(&HOST_IPV6[..19]).is_none());
    }
}
