//! From frame bytes to a [`Packet`]: the link layer by link type, then IP, TCP and UDP with
//! etherparse's lax slicer, which decodes a snaplen-cut frame as far as it goes.

use std::net::{IpAddr, Ipv4Addr};

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, LenSource, TransportSlice};

use super::packet::{
    EthAddrs, Ip, IpFragment, Layer, LayerRole, Packet, Status, Tcp, Transport, Udp,
};
use super::tunnel::{self, Inner};
use super::{null, sll, sll2, TcpFlags};
use crate::source::{Frame, LinkType};

/// Decodes one frame. Never fails: what cannot be decoded is reported in [`Packet::status`].
pub fn decode<'a>(frame: &Frame<'a>) -> Packet<'a> {
    let mut packet = Packet::undecoded(frame);
    decode_into(frame, &mut packet, true);
    packet
}

/// The frame decoded by the direct IPv4 path and by etherparse's alone, as debug text, for
/// the fuzz target that holds them equal. Not part of labcap's API.
#[doc(hidden)]
pub fn decode_paths(frame: &Frame<'_>) -> (String, String) {
    let (mut fast, mut slow) = (Packet::undecoded(frame), Packet::undecoded(frame));
    decode_into(frame, &mut fast, true);
    decode_into(frame, &mut slow, false);
    (format!("{fast:?}"), format!("{slow:?}"))
}

/// Decodes `frame` into `packet`, which is [`Packet::undecoded`] for it: the replay loop keeps
/// the packet in place instead of moving a large value through every call. `fast` takes the
/// direct IPv4 path (the tests hold it against etherparse's).
pub(crate) fn decode_into<'a>(frame: &Frame<'a>, packet: &mut Packet<'a>, fast: bool) {
    let cut = frame.is_cut();
    let short = |what: &str| {
        if cut {
            Status::Truncated
        } else {
            Status::Malformed(format!("frame shorter than a {what} header"))
        }
    };
    let data = frame.data;
    if frame.link == LinkType::ETHERNET {
        packet.eth = EthAddrs::of(data);
    }
    let sliced = match frame.link {
        LinkType::ETHERNET
            if fast
                && !cut
                && data.get(12..14) == Some(&[0x08, 0x00])
                && ipv4_fast(packet, &data[14..]) =>
        {
            return;
        }
        LinkType::ETHERNET => match LaxSlicedPacket::from_ethernet(data) {
            Ok(sliced) => {
                packet.ether_type = sliced.link.as_ref().and_then(|link| match link {
                    etherparse::LinkSlice::Ethernet2(eth) => Some(eth.ether_type().0),
                    _ => None,
                });
                if let Some(last_vlan) = sliced.link_exts.iter().rev().find_map(|ext| match ext {
                    etherparse::LaxLinkExtSlice::Vlan(vlan) => Some(vlan.ether_type().0),
                    _ => None,
                }) {
                    packet.ether_type = Some(last_vlan);
                }
                sliced
            }
            Err(_) => {
                packet.status = short("Ethernet");
                return;
            }
        },
        LinkType::LINUX_SLL | LinkType::LINUX_SLL2 => {
            // Both cooked headers carry the same three fields; only their layout differs.
            let (parsed, what) = if frame.link == LinkType::LINUX_SLL {
                (
                    sll::parse(data).map(|(h, p)| (h.packet_type, h.arphrd, h.protocol, p)),
                    "Linux cooked (SLL)",
                )
            } else {
                (
                    sll2::parse(data).map(|(h, p)| (h.packet_type, h.arphrd, h.protocol, p)),
                    "Linux cooked v2 (SLL2)",
                )
            };
            let Some((packet_type, arphrd, protocol, payload)) = parsed else {
                packet.status = short(what);
                return;
            };
            packet.packet_type = Some(packet_type);
            if fast
                && protocol == 0x0800
                && arphrd != ARPHRD_NETLINK
                && !cut
                && ipv4_fast(packet, payload)
            {
                return;
            }
            match by_ether_type(packet, arphrd, protocol, payload) {
                Some(sliced) => sliced,
                None => return,
            }
        }
        LinkType::RAW | LinkType::RAW_BSD | LinkType::IPV4 | LinkType::IPV6 => {
            match LaxSlicedPacket::from_ip(data) {
                Ok(sliced) => sliced,
                Err(e) => {
                    packet.status = if cut && data.len() < 40 {
                        Status::Truncated
                    } else {
                        Status::Malformed(format!("raw IP: {e}"))
                    };
                    return;
                }
            }
        }
        LinkType::NULL | LinkType::LOOP => match null::parse(data, frame.link == LinkType::LOOP) {
            Some((Some(ether_type), payload)) => {
                packet.ether_type = Some(ether_type);
                LaxSlicedPacket::from_ether_type(EtherType(ether_type), payload)
            }
            Some((None, _)) => return,
            None => {
                packet.status = short("BSD loopback");
                return;
            }
        },
        other => {
            packet.status = Status::Malformed(format!("unsupported link type {other}"));
            return;
        }
    };
    network_and_transport(packet, &sliced, cut, 0);
}

/// The common case decoded directly: a whole, unfragmented IPv4 packet without options
/// trouble carrying a whole TCP segment or UDP datagram. Returns false, having changed nothing,
/// for anything else, which then goes through etherparse's lax slicer.
fn ipv4_fast<'a>(packet: &mut Packet<'a>, data: &'a [u8]) -> bool {
    let Some(h) = data.get(..20) else {
        return false;
    };
    let ihl = usize::from(h[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let fragment = u16::from_be_bytes([h[6], h[7]]) & 0x3fff != 0;
    if h[0] >> 4 != 4 || ihl < 20 || total < ihl || total > data.len() || fragment {
        return false;
    }
    let protocol = h[9];
    let Some(transport) = transport_direct(protocol, &data[ihl..total]) else {
        return false;
    };
    if let Transport::Udp(u) = &transport {
        if tunnel::is_tunnel_port(u.src_port, u.dst_port) {
            return false; // unwrapped by the slow path
        }
    }
    packet.ether_type = Some(0x0800);
    packet.ip = Some(Ip {
        src: IpAddr::V4(Ipv4Addr::new(h[12], h[13], h[14], h[15])),
        dst: IpAddr::V4(Ipv4Addr::new(h[16], h[17], h[18], h[19])),
        protocol,
        ttl: h[8],
        fragment: false,
    });
    packet.ip_header = &data[..ihl];
    packet.transport = transport;
    true
}

/// A whole TCP segment or UDP datagram (`protocol` 6 or 17) read directly from an IP payload;
/// `None` for another protocol or a header that does not fit.
#[inline]
fn transport_direct(protocol: u8, body: &[u8]) -> Option<Transport<'_>> {
    Some(match protocol {
        6 => {
            let t = body.get(..20)?;
            let header_len = usize::from(t[12] >> 4) * 4;
            if header_len < 20 || header_len > body.len() {
                return None;
            }
            Transport::Tcp(Tcp {
                src_port: u16::from_be_bytes([t[0], t[1]]),
                dst_port: u16::from_be_bytes([t[2], t[3]]),
                seq: u32::from_be_bytes([t[4], t[5], t[6], t[7]]),
                ack: u32::from_be_bytes([t[8], t[9], t[10], t[11]]),
                flags: TcpFlags::from_header(t[12], t[13]),
                window: u16::from_be_bytes([t[14], t[15]]),
                header_len: header_len as u8,
                len: (body.len() - header_len) as u32,
                payload: &body[header_len..],
                option_bytes: &body[20..header_len],
            })
        }
        17 => {
            let u = body.get(..8)?;
            let length = usize::from(u16::from_be_bytes([u[4], u[5]]));
            if length < 8 || length > body.len() {
                return None;
            }
            Transport::Udp(Udp {
                src_port: u16::from_be_bytes([u[0], u[1]]),
                dst_port: u16::from_be_bytes([u[2], u[3]]),
                len: (length - 8) as u32,
                payload: &body[8..length],
            })
        }
        _ => return None,
    })
}

/// Makes `packet`, the fragment that completed an IP datagram, the packet carrying the
/// datagram: its transport decoded from `datagram`, the reassembled payload.
pub fn decode_reassembled<'a>(packet: &mut Packet<'a>, datagram: &'a [u8]) {
    let Some(ip) = packet.ip.as_mut() else {
        return;
    };
    ip.fragment = false;
    let protocol = ip.protocol;
    packet.ip_fragment = None;
    packet.transport = match transport_direct(protocol, datagram) {
        Some(transport) => transport,
        None => {
            let broken =
                broken_transport(protocol, datagram).filter(|_| matches!(protocol, 6 | 17));
            if let Some(broken) = broken {
                packet.other_layers.push(Layer {
                    role: LayerRole::Broken,
                    ip: None,
                    ip_header: &[],
                    transport: broken,
                });
            }
            Transport::None
        }
    };
}

/// The bytes of `whole` where `part` lies, when it lies inside it (empty otherwise).
fn same_bytes<'a>(whole: &'a [u8], part: &[u8]) -> &'a [u8] {
    (part.as_ptr() as usize)
        .checked_sub(whole.as_ptr() as usize)
        .and_then(|start| whole.get(start..start + part.len()))
        .unwrap_or(&[])
}

/// Linux ARPHRD_NETLINK: the SLL protocol field is a netlink family, not an Ethernet type.
const ARPHRD_NETLINK: u16 = 824;

/// Slices the payload of a cooked capture by its protocol field. `None` for payloads that are
/// not a network layer labcap decodes (netlink, 802.2 LLC, …): such packets are listed, not
/// malformed.
fn by_ether_type<'a>(
    packet: &mut Packet<'a>,
    arphrd: u16,
    protocol: u16,
    payload: &'a [u8],
) -> Option<LaxSlicedPacket<'a>> {
    if arphrd == ARPHRD_NETLINK || protocol < 0x0600 {
        return None;
    }
    packet.ether_type = Some(protocol);
    Some(LaxSlicedPacket::from_ether_type(
        EtherType(protocol),
        payload,
    ))
}

/// Decodes the network and transport layers `sliced` holds into `packet`, then what they
/// carry: a tunnel's inner packet (`depth` tunnels deep already), the packet an ICMP error
/// quotes, a cut or invalid transport header.
fn network_and_transport<'a>(
    packet: &mut Packet<'a>,
    sliced: &LaxSlicedPacket<'a>,
    cut: bool,
    depth: u8,
) {
    // The IP payload length the headers claim, which a snaplen cut does not change.
    let mut claimed_payload: Option<usize> = None;
    // The IP payload as captured (a fragment's piece for a fragment).
    let mut ip_payload: &'a [u8] = &[];
    match &sliced.net {
        Some(LaxNetSlice::Ipv4(ipv4)) => {
            let header = ipv4.header();
            let payload = ipv4.payload();
            packet.ether_type = Some(0x0800);
            let total = header.total_len();
            if total != 0 && usize::from(total) < usize::from(header.ihl()) * 4 {
                // Wireshark: "Bogus IP length", the header's fields not shown.
                packet.status =
                    Status::Malformed("IPv4 total length is smaller than its header".into());
                return;
            }
            packet.ip = Some(Ip {
                src: IpAddr::V4(header.source_addr()),
                dst: IpAddr::V4(header.destination_addr()),
                protocol: payload.ip_number.0,
                ttl: header.ttl(),
                fragment: payload.fragmented,
            });
            // etherparse lends the IPv4 header for less long than the frame: the same bytes,
            // taken from the frame.
            packet.ip_header = same_bytes(packet.frame_data, header.slice());
            if payload.fragmented && !payload.incomplete && !cut {
                packet.ip_fragment = Some(IpFragment {
                    id: u32::from(header.identification()),
                    offset: u32::from(header.fragments_offset().value()) * 8,
                    more: header.more_fragments(),
                    payload: payload.payload,
                });
            }
            ip_payload = payload.payload;
            claimed_payload = Some(if (payload.incomplete || cut) && total != 0 {
                let headers = usize::from(header.ihl()) * 4
                    + ipv4.extensions().auth.map_or(0, |a| a.slice().len());
                usize::from(total).saturating_sub(headers)
            } else {
                payload.payload.len()
            });
            if payload.incomplete && !cut && payload.len_source == LenSource::Ipv4HeaderTotalLen {
                packet.status =
                    Status::Malformed("IPv4 total length is larger than the frame".into());
            }
        }
        Some(LaxNetSlice::Ipv6(ipv6)) => {
            let header = ipv6.header();
            let payload = ipv6.payload();
            packet.ether_type = Some(0x86dd);
            packet.ip = Some(Ip {
                src: IpAddr::V6(header.source_addr()),
                dst: IpAddr::V6(header.destination_addr()),
                protocol: payload.ip_number.0,
                ttl: header.hop_limit(),
                fragment: payload.fragmented,
            });
            packet.ip_header = header.slice();
            if payload.fragmented && !payload.incomplete && !cut {
                packet.ip_fragment = ipv6_fragment(ipv6.extensions(), payload.payload);
            }
            ip_payload = payload.payload;
            claimed_payload = Some(
                if (payload.incomplete || cut) && header.payload_length() != 0 {
                    usize::from(header.payload_length())
                        .saturating_sub(ipv6.extensions().slice().len())
                } else {
                    payload.payload.len()
                },
            );
            if payload.incomplete && !cut && payload.len_source == LenSource::Ipv6HeaderPayloadLen {
                packet.status =
                    Status::Malformed("IPv6 payload length is larger than the frame".into());
            }
        }
        Some(LaxNetSlice::Arp(_)) | None => {}
    }
    match &sliced.transport {
        Some(TransportSlice::Tcp(tcp)) => {
            let header = tcp.header_slice();
            let header_len = header.len();
            let captured = tcp.payload();
            let len = claimed_payload
                .map_or(captured.len(), |claimed| claimed.saturating_sub(header_len));
            packet.transport = Transport::Tcp(Tcp {
                src_port: tcp.source_port(),
                dst_port: tcp.destination_port(),
                seq: tcp.sequence_number(),
                ack: tcp.acknowledgment_number(),
                flags: TcpFlags::from_header(header[12], header[13]),
                window: tcp.window_size(),
                header_len: header_len as u8,
                len: len as u32,
                payload: captured,
                option_bytes: &header[20..],
            });
        }
        Some(TransportSlice::Udp(udp)) if udp.length() >= 8 => {
            let len = u32::from(udp.length()).saturating_sub(8);
            packet.transport = Transport::Udp(Udp {
                src_port: udp.source_port(),
                dst_port: udp.destination_port(),
                len,
                payload: udp.payload(),
            });
        }
        _ => {}
    }
    if let Some((error, layer)) = &sliced.stop_err {
        let length_error = matches!(error, etherparse::err::packet::SliceError::Len(_));
        packet.status = if cut && length_error {
            Status::Truncated
        } else {
            Status::Malformed(format!("{layer}: {error}"))
        };
    } else if cut && packet.status == Status::Ok {
        packet.status = Status::Truncated;
    }
    let Some(ip) = packet.ip.filter(|ip| !ip.fragment) else {
        return;
    };
    match (&packet.transport, ip.protocol) {
        (Transport::None, 6) if cut && cut_within_options(ip_payload) => {
            // Wireshark analyses such a segment (a SYN's options cut by a short snaplen): its
            // fixed header is whole, its options as far as they were captured.
            if let Some(Transport::Tcp(tcp)) = broken_transport(6, ip_payload) {
                let header_len = usize::from(tcp.header_len);
                packet.transport = Transport::Tcp(Tcp {
                    len: claimed_payload.map_or(0, |c| c.saturating_sub(header_len) as u32),
                    option_bytes: &ip_payload[20..],
                    ..tcp
                });
            }
        }
        (Transport::None, 6 | 17) => {
            if let Some(broken) = broken_transport(ip.protocol, ip_payload) {
                packet.other_layers.push(Layer {
                    role: LayerRole::Broken,
                    ip: None,
                    ip_header: &[],
                    transport: broken,
                });
            }
        }
        (Transport::Udp(udp), _) if depth < tunnel::MAX_DEPTH => {
            if let Some(inner) = tunnel::over_udp(udp.src_port, udp.dst_port, udp.payload) {
                unwrap_tunnel(packet, inner, cut, depth);
            }
        }
        (Transport::None, tunnel::GRE_PROTOCOL) if depth < tunnel::MAX_DEPTH => {
            if let Some(inner) = tunnel::gre(ip_payload) {
                unwrap_tunnel(packet, inner, cut, depth);
            }
        }
        (Transport::None, 1 | 58) if depth == 0 => {
            if let Some(quoted) = tunnel::icmp_quote(ip_payload, ip.protocol == 58) {
                quote(packet, quoted);
            }
        }
        _ => {}
    }
}

/// The fragment header's fields, when IPv6 extension headers hold one that fragments.
fn ipv6_fragment<'a>(
    extensions: &etherparse::Ipv6ExtensionsSlice<'a>,
    payload: &'a [u8],
) -> Option<IpFragment<'a>> {
    extensions.clone().into_iter().find_map(|ext| match ext {
        etherparse::Ipv6ExtensionSlice::Fragment(f) => Some(IpFragment {
            id: f.identification(),
            offset: u32::from(f.fragment_offset().value()) * 8,
            more: f.more_fragments(),
            payload,
        }),
        _ => None,
    })
}

/// True when `bytes` hold a TCP header's 20 fixed bytes, valid, but not all of its options.
fn cut_within_options(bytes: &[u8]) -> bool {
    let header_len = bytes.get(12).map_or(0, |b| usize::from(b >> 4) * 4);
    bytes.len() >= 20 && header_len > bytes.len()
}

/// What Wireshark still shows of a TCP or UDP header that is cut or invalid: its ports (and
/// the TCP fields captured). `None` when not even the ports are there.
fn broken_transport(protocol: u8, bytes: &[u8]) -> Option<Transport<'_>> {
    let b = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let (src_port, dst_port) = (
        u16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]),
        u16::from_be_bytes([*bytes.get(2)?, *bytes.get(3)?]),
    );
    Some(if protocol == 6 {
        Transport::Tcp(Tcp {
            src_port,
            dst_port,
            seq: u32::from_be_bytes([b(4), b(5), b(6), b(7)]),
            ack: u32::from_be_bytes([b(8), b(9), b(10), b(11)]),
            flags: TcpFlags::from_header(b(12), b(13)),
            window: u16::from_be_bytes([b(14), b(15)]),
            header_len: (b(12) >> 4) * 4,
            len: 0,
            payload: &[],
            option_bytes: &[],
        })
    } else {
        Transport::Udp(Udp {
            src_port,
            dst_port,
            len: u32::from(u16::from_be_bytes([b(4), b(5)])).saturating_sub(8),
            payload: &[],
        })
    })
}

/// Makes the packet a tunnel carries the packet, its outer headers an envelope layer. A
/// tunnel carrying no IP packet (ARP, …) is left as it is: the outer headers stay the packet's.
fn unwrap_tunnel<'a>(packet: &mut Packet<'a>, inner: Inner<'a>, cut: bool, depth: u8) {
    let sliced = match inner {
        Inner::Ethernet(bytes) => LaxSlicedPacket::from_ethernet(bytes).ok(),
        Inner::EtherType(ether_type, bytes) => Some(LaxSlicedPacket::from_ether_type(
            EtherType(ether_type),
            bytes,
        )),
    };
    let Some(sliced) = sliced else { return };
    let mut carried = Packet::frame_facts(packet);
    network_and_transport(&mut carried, &sliced, cut, depth + 1);
    if carried.ip.is_none() {
        return;
    }
    let outer = Layer {
        role: LayerRole::Envelope,
        ip: packet.ip.take(),
        ip_header: std::mem::replace(&mut packet.ip_header, carried.ip_header),
        transport: std::mem::replace(&mut packet.transport, carried.transport),
    };
    packet.other_layers.push(outer);
    packet.other_layers.append(&mut carried.other_layers);
    packet.ip = carried.ip;
    packet.ether_type = carried.ether_type;
    packet.ip_fragment = carried.ip_fragment;
    if carried.status != Status::Ok {
        packet.status = carried.status;
    }
}

/// Adds the headers an ICMP error quotes as a quoted layer.
fn quote<'a>(packet: &mut Packet<'a>, quoted: &'a [u8]) {
    let Ok(sliced) = LaxSlicedPacket::from_ip(quoted) else {
        return;
    };
    let mut carried = Packet::frame_facts(packet);
    // Nothing inside a quote is unwrapped or quoted again.
    network_and_transport(&mut carried, &sliced, false, tunnel::MAX_DEPTH);
    if carried.ip.is_none() {
        return;
    }
    packet.other_layers.push(Layer {
        role: LayerRole::Quoted,
        ip: carried.ip,
        ip_header: carried.ip_header,
        transport: carried.transport,
    });
    for layer in carried.other_layers {
        packet.other_layers.push(Layer {
            role: LayerRole::Quoted,
            ..layer
        });
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use etherparse::PacketBuilder;

    use super::*;

    #[test]
    fn the_direct_ipv4_path_decodes_every_fixture_frame_as_etherparse_does() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut compared = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                continue; // fixtures/class: submissions, graded by their own tests
            }
            crate::source::FileSource::open(&path)
                .unwrap()
                .for_each_frame(&mut |f| {
                    let (mut fast, mut slow) = (Packet::undecoded(&f), Packet::undecoded(&f));
                    decode_into(&f, &mut fast, true);
                    decode_into(&f, &mut slow, false);
                    assert_eq!(
                        format!("{fast:?}"),
                        format!("{slow:?}"),
                        "{}",
                        path.display()
                    );
                    compared += 1;
                    std::ops::ControlFlow::Continue(())
                })
                .unwrap();
        }
        assert!(compared > 400, "{compared}");
    }

    fn frame(link: LinkType, data: &[u8], orig_len: u32) -> Frame<'_> {
        Frame {
            ts: Duration::from_secs(1),
            link,
            data,
            orig_len,
            interface: None,
        }
    }

    fn tcp_ipv4(payload: &[u8]) -> Vec<u8> {
        let builder = PacketBuilder::ipv4([172, 16, 16, 102], [172, 16, 16, 101], 64)
            .tcp(37534, 10000, 1000, 512)
            .psh()
            .ack(77);
        let mut out = Vec::new();
        builder.write(&mut out, payload).unwrap();
        out
    }

    #[test]
    fn vlan_tagged_ethernet() {
        let builder = PacketBuilder::ethernet2([1; 6], [2; 6])
            .single_vlan(etherparse::VlanId::try_new(10).unwrap())
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .udp(5000, 53);
        let mut bytes = Vec::new();
        builder.write(&mut bytes, b"q").unwrap();
        let p = decode(&frame(LinkType::ETHERNET, &bytes, bytes.len() as u32));
        assert_eq!(p.status, Status::Ok);
        assert_eq!(p.ether_type, Some(0x0800));
        assert_eq!(p.udp().unwrap().dst_port, 53);
        assert!(crate::wire::DnsPorts::default().is_dns(&p));
    }

    #[test]
    fn sll_v1_for_an_ethernet_device_and_raw_ip() {
        let ip = tcp_ipv4(b"INI ADALAH");
        let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
        sll.extend_from_slice(&ip);
        for (link, data) in [
            (LinkType::LINUX_SLL, &sll),
            (LinkType::RAW, &ip),
            (LinkType::IPV4, &ip),
        ] {
            let p = decode(&frame(link, data, data.len() as u32));
            let tcp = p.tcp().unwrap();
            assert_eq!(
                (tcp.src_port, tcp.dst_port, tcp.seq, tcp.ack, tcp.len),
                (37534, 10000, 1000, 77, 10)
            );
            assert_eq!(tcp.payload, b"INI ADALAH");
            assert_eq!(p.ip.unwrap().src.to_string(), "172.16.16.102");
        }
    }

    #[test]
    fn cut_payload_keeps_the_claimed_length() {
        let ip = tcp_ipv4(b"INI ADALAH DATA");
        let cut = &ip[..ip.len() - 5];
        let p = decode(&frame(LinkType::RAW, cut, ip.len() as u32));
        assert_eq!(p.status, Status::Truncated);
        let tcp = p.tcp().unwrap();
        assert_eq!(tcp.len, 15);
        assert_eq!(tcp.payload, b"INI ADALAH");
    }

    /// An IPv4 header (checksum left 0: the decoder does not check it) before `payload`.
    fn ipv4_raw(protocol: u8, payload: &[u8]) -> Vec<u8> {
        let total = (20 + payload.len()) as u16;
        let mut out = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, protocol, 0, 0];
        out[2..4].copy_from_slice(&total.to_be_bytes());
        out.extend([10, 0, 0, 1, 10, 0, 0, 2]);
        out.extend(payload);
        out
    }

    #[test]
    fn tunnels_nest_to_a_bounded_depth() {
        let udp = {
            let mut u = vec![0x9c, 0x40, 0, 53, 0, 9, 0, 0];
            u.push(b'q');
            u
        };
        let mut packet = ipv4_raw(17, &udp);
        for _ in 0..6 {
            packet = ipv4_raw(47, &[&[0, 0, 0x08, 0x00][..], &packet].concat());
        }
        let p = decode(&frame(LinkType::RAW, &packet, packet.len() as u32));
        let envelopes = p
            .other_layers
            .iter()
            .filter(|l| l.role == LayerRole::Envelope);
        assert_eq!(envelopes.count(), usize::from(tunnel::MAX_DEPTH));
        assert_eq!(p.ip.unwrap().protocol, 47, "the fifth GRE is left wrapped");
        assert_eq!(p.transport, Transport::None);
        // Two deep, the UDP datagram inside is the packet's own.
        let two = ipv4_raw(47, &[&[0, 0, 0x08, 0x00][..], &ipv4_raw(17, &udp)].concat());
        let p = decode(&frame(LinkType::RAW, &two, two.len() as u32));
        assert_eq!(p.udp().unwrap().dst_port, 53);
        assert_eq!(p.other_layers.len(), 1);
    }

    #[test]
    fn icmp_errors_quote_and_broken_headers_stay_visible() {
        let udp = [0x9c, 0x40, 0, 53, 0, 30, 0, 0];
        let quoted = ipv4_raw(17, &udp);
        let icmp = ipv4_raw(1, &[&[3, 3, 0, 0, 0, 0, 0, 0][..], &quoted].concat());
        let p = decode(&frame(LinkType::RAW, &icmp, icmp.len() as u32));
        assert_eq!(p.transport, Transport::None, "no datagram of its own");
        let layer = &p.other_layers[0];
        assert_eq!(layer.role, LayerRole::Quoted);
        assert!(matches!(&layer.transport, Transport::Udp(u) if u.dst_port == 53));
        // A UDP length below its header: the ports stay, as a broken layer.
        let bad = ipv4_raw(17, &[0x9c, 0x40, 0, 53, 0, 4, 0, 0, 1, 2]);
        let p = decode(&frame(LinkType::RAW, &bad, bad.len() as u32));
        assert_eq!(p.transport, Transport::None);
        assert_eq!(p.other_layers[0].role, LayerRole::Broken);
    }

    #[test]
    fn bad_ip_version_and_short_frames() {
        let p = decode(&frame(LinkType::RAW, &[0x75, 0, 0, 0], 4));
        assert!(matches!(p.status, Status::Malformed(_)));
        let p = decode(&frame(LinkType::LINUX_SLL, &[0, 0, 3], 3));
        assert!(matches!(p.status, Status::Malformed(_)));
        let p = decode(&frame(LinkType::LINUX_SLL2, &[0, 0, 3], 40));
        assert_eq!(p.status, Status::Truncated);
        let p = decode(&frame(LinkType::NULL, &[2, 0, 0, 0, 0x45], 5));
        assert!(matches!(p.status, Status::Malformed(_)));
    }
}
