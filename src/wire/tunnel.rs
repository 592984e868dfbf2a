//! The encapsulations Wireshark 4.0 decodes by default, and the packet an ICMP error quotes:
//! where the inner bytes start and what they begin with. Pure code over bytes.

/// VXLAN's UDP port (Wireshark's default).
pub const VXLAN_PORT: u16 = 4789;
/// Geneve's UDP port.
pub const GENEVE_PORT: u16 = 6081;
/// IP protocol number of GRE.
pub const GRE_PROTOCOL: u8 = 47;

/// How deep tunnels are unwrapped: a frame nesting more is decoded to this depth.
pub const MAX_DEPTH: u8 = 4;

/// What an encapsulation carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inner<'a> {
    /// An Ethernet frame.
    Ethernet(&'a [u8]),
    /// A network layer of this Ethernet type.
    EtherType(u16, &'a [u8]),
}

/// True when a UDP datagram between these ports is a tunnel labcap unwraps.
pub fn is_tunnel_port(src: u16, dst: u16) -> bool {
    [VXLAN_PORT, GENEVE_PORT]
        .iter()
        .any(|&p| src == p || dst == p)
}

/// The frame a VXLAN or Geneve datagram carries, by its ports.
pub fn over_udp(src: u16, dst: u16, payload: &[u8]) -> Option<Inner<'_>> {
    let port = |p| src == p || dst == p;
    if port(VXLAN_PORT) {
        // Flags (the I bit says the VNI is valid), reserved, VNI, reserved.
        return Some(Inner::Ethernet(payload.get(8..)?));
    }
    if port(GENEVE_PORT) {
        let version_and_options = *payload.first()?;
        if version_and_options >> 6 != 0 {
            return None;
        }
        let header = 8 + usize::from(version_and_options & 0x3f) * 4;
        let protocol = u16::from_be_bytes([*payload.get(2)?, *payload.get(3)?]);
        return Some(ether_type(protocol, payload.get(header..)?));
    }
    None
}

/// The frame a GRE packet (version 0) carries: IPv4, IPv6, transparent Ethernet bridging,
/// ERSPAN type I and II, NSH, or another Ethernet type.
pub fn gre(packet: &[u8]) -> Option<Inner<'_>> {
    let flags = u16::from_be_bytes([*packet.first()?, *packet.get(1)?]);
    if flags & 0x0007 != 0 {
        return None; // version 1 (PPTP's enhanced GRE) carries PPP
    }
    let protocol = u16::from_be_bytes([*packet.get(2)?, *packet.get(3)?]);
    let mut header = 4;
    for bit in [0x8000, 0x2000, 0x1000] {
        // Checksum (with its reserved half), key, sequence number.
        if flags & bit != 0 {
            header += 4;
        }
    }
    let body = packet.get(header..)?;
    match protocol {
        // ERSPAN type II has a sequence number and an 8-byte header; type I neither.
        0x88be if flags & 0x1000 != 0 => Some(Inner::Ethernet(body.get(8..)?)),
        0x88be => Some(Inner::Ethernet(body)),
        0x894f => nsh(body),
        other => Some(ether_type(other, body)),
    }
}

/// The packet an NSH header (RFC 8300) leads.
fn nsh(packet: &[u8]) -> Option<Inner<'_>> {
    let length = usize::from(*packet.get(1)? & 0x3f) * 4;
    let body = packet.get(length.max(8)..)?;
    match *packet.get(3)? {
        1 => Some(Inner::EtherType(0x0800, body)),
        2 => Some(Inner::EtherType(0x86dd, body)),
        3 => Some(Inner::Ethernet(body)),
        _ => None,
    }
}

fn ether_type(protocol: u16, body: &[u8]) -> Inner<'_> {
    if protocol == 0x6558 {
        Inner::Ethernet(body)
    } else {
        Inner::EtherType(protocol, body)
    }
}

/// The IP packet an ICMP (`v6` false) or ICMPv6 error message quotes: the bytes after its
/// 8-byte header. `None` for messages that are not errors (echo, neighbour discovery, …).
pub fn icmp_quote(message: &[u8], v6: bool) -> Option<&[u8]> {
    let kind = *message.first()?;
    let error = if v6 {
        matches!(kind, 1..=4)
    } else {
        matches!(kind, 3 | 4 | 5 | 11 | 12)
    };
    if !error {
        return None;
    }
    message.get(8..).filter(|quoted| !quoted.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gre_headers_by_their_flags() {
        assert_eq!(
            gre(&[0, 0, 0x08, 0x00, 0x45]),
            Some(Inner::EtherType(0x0800, &[0x45][..]))
        );
        // Key and sequence number present.
        let keyed = [0x30, 0, 0x65, 0x58, 0, 0, 0, 1, 0, 0, 0, 2, 0xaa];
        assert_eq!(gre(&keyed), Some(Inner::Ethernet(&[0xaa][..])));
        // ERSPAN II: sequence number, then its own 8 bytes.
        let erspan = [
            0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0xbb,
        ];
        assert_eq!(gre(&erspan), Some(Inner::Ethernet(&[0xbb][..])));
        assert_eq!(gre(&[0x00, 0x01, 0x88, 0x0b]), None, "version 1");
        assert_eq!(gre(&[0x80, 0x00, 0x08, 0x00, 0, 0]), None, "cut");
    }

    #[test]
    fn udp_tunnels_and_nsh() {
        let vxlan = [0x08, 0, 0, 0, 0, 0, 42, 0, 0xcc];
        assert_eq!(
            over_udp(50000, 4789, &vxlan),
            Some(Inner::Ethernet(&[0xcc][..]))
        );
        let geneve = [0x01, 0, 0x08, 0x00, 0, 0, 77, 0, 9, 9, 9, 9, 0x45];
        assert_eq!(
            over_udp(6081, 6081, &geneve),
            Some(Inner::EtherType(0x0800, &[0x45][..]))
        );
        assert_eq!(over_udp(53, 40000, &vxlan), None);
        let nsh_ipv6 = [0x0f, 0xc2, 0x02, 0x02, 0, 0, 42, 255, 0x60];
        assert_eq!(
            gre(&[&[0, 0, 0x89, 0x4f][..], &nsh_ipv6].concat()).map(|i| match i {
                Inner::EtherType(t, b) => (t, b.to_vec()),
                Inner::Ethernet(b) => (0, b.to_vec()),
            }),
            Some((0x86dd, vec![0x60]))
        );
    }

    #[test]
    fn only_icmp_errors_quote_a_packet() {
        let unreachable = [3, 3, 0, 0, 0, 0, 0, 0, 0x45];
        assert_eq!(icmp_quote(&unreachable, false), Some(&[0x45][..]));
        assert_eq!(
            icmp_quote(&[8, 0, 0, 0, 0, 0, 0, 0, 1], false),
            None,
            "echo"
        );
        assert_eq!(
            icmp_quote(&[1, 4, 0, 0, 0, 0, 0, 0, 0x60], true),
            Some(&[0x60][..])
        );
        assert_eq!(icmp_quote(&[135, 0, 0, 0, 0, 0, 0, 0, 1], true), None);
        assert_eq!(icmp_quote(&[3, 3, 0], false), None);
    }
}
