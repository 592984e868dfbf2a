//! The decoded form of a frame that filters and analyzers read.

use std::net::IpAddr;
use std::time::Duration;

use super::{PacketType, TcpFlags, TcpOptions};

/// One decoded frame. Borrowed payloads point into the frame's bytes.
#[derive(Clone, Debug)]
pub struct Packet<'a> {
    /// Capture time since the Unix epoch.
    pub ts: Duration,
    /// Length on the wire.
    pub frame_len: u32,
    /// Length captured.
    pub cap_len: u32,
    /// Capturing interface, where the source names it.
    pub interface: Option<&'a str>,
    /// The Ethernet addresses, for Ethernet frames.
    pub eth: Option<EthAddrs>,
    /// SLL packet type, for Linux cooked captures.
    pub packet_type: Option<PacketType>,
    /// The Ethernet type of the network layer, where the link layer gives one.
    pub ether_type: Option<u16>,
    /// The IP layer, if any.
    pub ip: Option<Ip>,
    /// The captured bytes of the whole frame (the filters' `frame`, `frame[…]`).
    pub frame_data: &'a [u8],
    /// The IP header's bytes (IPv4 with its options, IPv6's fixed 40), inside `frame_data`;
    /// empty without an IP layer. The filters read `ip.id`, `ip.flags.*`, `ip.frag_offset` and
    /// `ipv6.nxt` from it, and find where `ip`, `tcp` and `udp` start in the frame.
    pub ip_header: &'a [u8],
    /// The transport layer.
    pub transport: Transport<'a>,
    /// Whether the frame decoded whole.
    pub status: Status,
    /// This frame's piece of a fragmented IP datagram (slow path only), for the reassembler.
    pub ip_fragment: Option<IpFragment<'a>>,
    /// The frame's other IP/transport headers, which display filters see (Wireshark matches
    /// every occurrence of a field) but the analyzers do not take for this packet's own; see
    /// [`LayerRole`]. Empty for an ordinary packet (no allocation).
    pub other_layers: Vec<Layer<'a>>,
}

/// One fragment of an IPv4 or IPv6 datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpFragment<'a> {
    /// The identification field (16 bits in IPv4, 32 in IPv6's fragment header).
    pub id: u32,
    /// Where the piece starts in the datagram's payload, in bytes.
    pub offset: u32,
    /// More fragments follow (the MF / M flag).
    pub more: bool,
    /// The piece.
    pub payload: &'a [u8],
}

/// Headers a frame carries besides its own IP and transport layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer<'a> {
    /// What these headers are to the packet.
    pub role: LayerRole,
    /// The IP header, if the layer has one.
    pub ip: Option<Ip>,
    /// That IP header's bytes (empty without one), for the fields read from them.
    pub ip_header: &'a [u8],
    /// Its transport header.
    pub transport: Transport<'a>,
}

/// Why a [`Layer`] is not the packet's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerRole {
    /// The outer headers of a tunnel (VXLAN, Geneve, GRE, …), outermost first; the packet is
    /// the innermost one. An envelope's UDP datagram counts as a datagram of its own, as in
    /// tshark's `-z conv,udp`.
    Envelope,
    /// The headers an ICMP/ICMPv6 error quotes from the packet it refuses: filters match them,
    /// they are no datagram or message of their own.
    Quoted,
    /// A transport header Wireshark still shows as that protocol though it is cut or invalid
    /// (a malformed TCP/UDP): filters see `tcp`/`udp` and its ports, analyzers nothing.
    Broken,
}

/// The IPv4 or IPv6 header fields labcap uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ip {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// The payload's protocol number (6 TCP, 17 UDP, …).
    pub protocol: u8,
    /// Time to live / hop limit.
    pub ttl: u8,
    /// True for a fragment of a larger datagram (not decoded further).
    pub fragment: bool,
}

/// The transport layer of a packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport<'a> {
    /// No transport header decoded.
    None,
    /// A TCP segment.
    Tcp(Tcp<'a>),
    /// A UDP datagram.
    Udp(Udp<'a>),
}

/// A TCP segment's header and payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tcp<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Raw sequence number.
    pub seq: u32,
    /// Raw acknowledgment number.
    pub ack: u32,
    /// Flag bits.
    pub flags: TcpFlags,
    /// Raw (unscaled) window field.
    pub window: u16,
    /// Header length in bytes.
    pub header_len: u8,
    /// Payload length from the IP length, as Wireshark's `tcp.len` (may exceed `payload.len()`
    /// in a snaplen-cut frame).
    pub len: u32,
    /// The payload bytes that were captured.
    pub payload: &'a [u8],
    /// The options area of the header, parsed on demand by [`Tcp::options`] (most segments
    /// never need it).
    pub option_bytes: &'a [u8],
}

impl Tcp<'_> {
    /// The options Wireshark shows.
    pub fn options(&self) -> TcpOptions {
        TcpOptions::parse(self.option_bytes)
    }
}

/// A UDP datagram's header and payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Udp<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Payload length from the UDP header.
    pub len: u32,
    /// The payload bytes that were captured.
    pub payload: &'a [u8],
}

/// An Ethernet frame's addresses, as 48-bit numbers (`eth.src`, `eth.dst`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EthAddrs {
    /// Destination.
    pub dst: u64,
    /// Source.
    pub src: u64,
}

impl EthAddrs {
    /// The addresses at the start of an Ethernet header, if it is long enough.
    pub fn of(header: &[u8]) -> Option<EthAddrs> {
        let mac = |b: &[u8]| b.iter().fold(0u64, |n, &x| n << 8 | u64::from(x));
        Some(EthAddrs {
            dst: mac(header.get(0..6)?),
            src: mac(header.get(6..12)?),
        })
    }
}

/// Whether a frame decoded whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every layer present decoded.
    Ok,
    /// The snapshot length cut the frame; the layers before the cut decoded.
    Truncated,
    /// A header is invalid (or the link type unknown); the reason says which.
    Malformed(String),
}

impl<'a> Packet<'a> {
    /// An IPv4 packet at `ms` milliseconds carrying `transport`, for the analyzers' tests.
    #[cfg(test)]
    pub(crate) fn ipv4_for_test(
        ms: u64,
        src: std::net::Ipv4Addr,
        dst: std::net::Ipv4Addr,
        transport: Transport<'a>,
    ) -> Packet<'a> {
        let protocol = match transport {
            Transport::Tcp(_) => 6,
            Transport::Udp(_) => 17,
            Transport::None => 0,
        };
        let ip = Ip {
            src: IpAddr::V4(src),
            dst: IpAddr::V4(dst),
            protocol,
            ttl: 64,
            fragment: false,
        };
        Packet {
            ether_type: Some(0x0800),
            ..Packet::transport_only(Duration::from_millis(ms), ip, transport)
        }
    }

    /// A packet of which only the time, the IP addresses and the transport are known: what a
    /// transport-only analyzer is fed on a thread of its own (see
    /// [`Analyzer::copy_filter`](crate::analysis::analyzer::Analyzer::copy_filter)).
    pub fn transport_only(ts: Duration, ip: Ip, transport: Transport<'a>) -> Packet<'a> {
        Packet {
            ts,
            frame_len: 0,
            cap_len: 0,
            interface: None,
            eth: None,
            packet_type: None,
            ether_type: None,
            ip: Some(ip),
            frame_data: &[],
            ip_header: &[],
            transport,
            status: Status::Ok,
            ip_fragment: None,
            other_layers: Vec::new(),
        }
    }

    /// A packet with `packet`'s frame facts (time, lengths, interface, link layer, frame bytes)
    /// and nothing decoded: the start of a layer inside it.
    pub(crate) fn frame_facts(packet: &Packet<'a>) -> Packet<'a> {
        Packet {
            ts: packet.ts,
            frame_len: packet.frame_len,
            cap_len: packet.cap_len,
            interface: packet.interface,
            eth: packet.eth,
            packet_type: packet.packet_type,
            ether_type: None,
            ip: None,
            transport: Transport::None,
            status: Status::Ok,
            ip_fragment: None,
            other_layers: Vec::new(),
            frame_data: packet.frame_data,
            ip_header: &[],
        }
    }

    /// The packet of `frame` before decoding: times, lengths and interface only.
    pub fn undecoded(frame: &crate::source::Frame<'a>) -> Packet<'a> {
        Packet {
            ts: frame.ts,
            frame_len: frame.orig_len,
            cap_len: frame.data.len() as u32,
            interface: frame.interface,
            eth: None,
            packet_type: None,
            ether_type: None,
            ip: None,
            frame_data: frame.data,
            ip_header: &[],
            transport: Transport::None,
            status: Status::Ok,
            ip_fragment: None,
            other_layers: Vec::new(),
        }
    }

    /// The TCP segment, if this is one.
    pub fn tcp(&self) -> Option<&Tcp<'_>> {
        match &self.transport {
            Transport::Tcp(tcp) => Some(tcp),
            _ => None,
        }
    }

    /// The UDP datagram, if this is one.
    pub fn udp(&self) -> Option<&Udp<'_>> {
        match &self.transport {
            Transport::Udp(udp) => Some(udp),
            _ => None,
        }
    }

    /// Source and destination ports of TCP or UDP.
    pub fn ports(&self) -> Option<(u16, u16)> {
        match &self.transport {
            Transport::Tcp(t) => Some((t.src_port, t.dst_port)),
            Transport::Udp(u) => Some((u.src_port, u.dst_port)),
            Transport::None => None,
        }
    }
}
