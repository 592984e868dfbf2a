//! The Wireshark fields labcap's filters know, and how to read each from a [`Packet`].

use std::net::IpAddr;

use super::stream_fields;
use crate::analysis::tcp::Findings;
use crate::wire::{dns, DnsPorts, Packet, TcpFlags, Transport};

/// The DNS message a packet carries, as Wireshark's DNS dissector sees it: a UDP payload on
/// port 53, or a whole length-prefixed message in one TCP segment.
fn dns_message<'a>(packet: &Packet<'a>, ports: &DnsPorts) -> Option<&'a [u8]> {
    if !ports.is_dns(packet) {
        return None;
    }
    match &packet.transport {
        Transport::Udp(u) => Some(u.payload),
        Transport::Tcp(t) => {
            let len = usize::from(u16::from_be_bytes([
                *t.payload.first()?,
                *t.payload.get(1)?,
            ]));
            t.payload.get(2..2 + len)
        }
        Transport::None => None,
    }
}

/// A filter field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `frame`: every frame, its captured bytes.
    Frame,
    /// `frame.len`: length on the wire.
    FrameLen,
    /// `frame.cap_len`: length captured.
    FrameCapLen,
    /// `frame.number`: 1 for the capture's first frame (numbered by the pipeline).
    FrameNumber,
    /// `frame.time_relative`: seconds since the capture's first frame (known to the pipeline).
    FrameTimeRelative,
    /// `ip`: an IPv4 packet.
    Ip,
    /// `ip.addr`: IPv4 source or destination.
    IpAddr,
    /// `ip.src`
    IpSrc,
    /// `ip.dst`
    IpDst,
    /// `ip.proto`
    IpProto,
    /// `ip.ttl`
    IpTtl,
    /// `ip.id`: the identification field.
    IpId,
    /// `ip.flags`: the three flag bits as a number (DF is 2, MF 1).
    IpFlags,
    /// `ip.flags.<name>`: one flag bit of the header's byte 6 (`rb` 0x80, `df` 0x40, `mf` 0x20).
    IpFlag(u8),
    /// `ip.frag_offset`: the fragment's offset in bytes.
    IpFragOffset,
    /// `ipv6`: an IPv6 packet.
    Ipv6,
    /// `ipv6.addr`
    Ipv6Addr,
    /// `ipv6.src`
    Ipv6Src,
    /// `ipv6.dst`
    Ipv6Dst,
    /// `ipv6.nxt`: the fixed header's next header.
    Ipv6Nxt,
    /// `ipv6.hlim`: the hop limit.
    Ipv6Hlim,
    /// `tcp`
    Tcp,
    /// `tcp.port`: source or destination.
    TcpPort,
    /// `tcp.srcport`
    TcpSrcPort,
    /// `tcp.dstport`
    TcpDstPort,
    /// `tcp.len`: payload length.
    TcpLen,
    /// `tcp.flags`: the flag bits as a number.
    TcpFlags,
    /// `tcp.flags.<name>`: one flag bit.
    TcpFlag(u16),
    /// `tcp.window_size_value`: the raw window field.
    TcpWindow,
    /// `tcp.payload`: the segment's captured payload bytes (present when not empty).
    TcpPayload,
    /// `icmp`: an ICMP message (not a fragment).
    Icmp,
    /// `icmpv6`
    Icmpv6,
    /// `icmp.type`
    IcmpType,
    /// `icmp.code`
    IcmpCode,
    /// `icmpv6.type`
    Icmpv6Type,
    /// `icmpv6.code`
    Icmpv6Code,
    /// `udp`
    Udp,
    /// `udp.port`
    UdpPort,
    /// `udp.srcport`
    UdpSrcPort,
    /// `udp.dstport`
    UdpDstPort,
    /// `udp.length`: the UDP length field, header included.
    UdpLength,
    /// `udp.payload`: the datagram's captured payload bytes (present when not empty).
    UdpPayload,
    /// `dns`
    Dns,
    /// `dns.id`: the transaction id.
    DnsId,
    /// `dns.flags.response`: a response (1) or a query (0).
    DnsResponse,
    /// `dns.flags.rcode`: the response code.
    DnsRcode,
    /// `dns.qry.type`: the first question's type.
    DnsQryType,
    /// `dns.count.answers`: the answer count of the header.
    DnsAnswers,
    /// `dns.qry.name`: the first question's name.
    DnsQryName,
    /// `dns.resp.name`: the owner name of every record (answers, authority, additional; the
    /// EDNS OPT record's is `<Root>`).
    DnsRespName,
    /// `dns.a`: the address of every A record.
    DnsA,
    /// `dns.aaaa`: the address of every AAAA record.
    DnsAaaa,
    /// `dns.cname`: the target of every CNAME record.
    DnsCname,
    /// `http`: the segment opens with an HTTP request or status line.
    Http,
    /// `http.request`
    HttpRequest,
    /// `http.response`
    HttpResponse,
    /// `http.request.method`
    HttpMethod,
    /// `http.request.uri`
    HttpUri,
    /// `http.host`
    HttpHost,
    /// `http.response.code`
    HttpCode,
    /// `http.content_type`
    HttpContentType,
    /// `tls`: the segment opens with a TLS record.
    Tls,
    /// `tls.handshake.type`: each plaintext handshake message's type.
    TlsHandshakeType,
    /// `tls.handshake.extensions_server_name`: the ClientHello's SNI.
    TlsSni,
    /// `tcp.stream`: the connection's index (numbered by the TCP analyzer).
    TcpStream,
    /// `udp.stream`: the conversation's index (numbered in order of first appearance).
    UdpStream,
    /// `tcp.analysis.<name>`: present when the TCP analysis found any of these
    /// [`Findings`] bits (`tcp.analysis.flags`: any at all).
    TcpAnalysis(u16),
    /// `tcp.analysis.duplicate_ack_num`: which duplicate of its ACK a duplicate ACK is.
    TcpDupAckNum,
    /// `tcp.analysis.duplicate_ack_frame`: the frame of the ACK a duplicate ACK repeats.
    TcpDupAckFrame,
    /// `tcp.window_size`: the window scaled by the handshake's window scale.
    TcpWindowSize,
    /// `tcp.seq`: the sequence number relative to the connection's base.
    TcpSeq,
    /// `tcp.ack`: the acknowledgment number relative to the other side's base (0 without
    /// the ACK flag).
    TcpAck,
    /// `tcp.seq_raw`: the sequence number as sent.
    TcpSeqRaw,
    /// `tcp.ack_raw`: the acknowledgment number as sent.
    TcpAckRaw,
    /// `eth.addr`: Ethernet source or destination.
    EthAddr,
    /// `eth.src`
    EthSrc,
    /// `eth.dst`
    EthDst,
}

/// What values a field holds, which decides what it can be compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A protocol: only tested for presence.
    Protocol,
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// An unsigned number.
    Number,
    /// A flag: 0/1, false/true.
    Boolean,
    /// A text, compared as text (`"GET"`).
    Text,
    /// An Ethernet address (`ff:ff:ff:ff:ff:ff`), held as a 48-bit number.
    Mac,
    /// A byte string (`47:45:54` or `"GET"`).
    Bytes,
    /// A relative time in seconds (`1.5`), held in nanoseconds.
    Time,
}

/// Every field name labcap accepts, with its field.
pub const NAMES: &[(&str, Field)] = &[
    ("frame", Field::Frame),
    ("frame.len", Field::FrameLen),
    ("frame.cap_len", Field::FrameCapLen),
    ("frame.number", Field::FrameNumber),
    ("frame.time_relative", Field::FrameTimeRelative),
    ("ip", Field::Ip),
    ("ip.addr", Field::IpAddr),
    ("ip.src", Field::IpSrc),
    ("ip.dst", Field::IpDst),
    ("ip.proto", Field::IpProto),
    ("ip.ttl", Field::IpTtl),
    ("ip.id", Field::IpId),
    ("ip.flags", Field::IpFlags),
    ("ip.flags.rb", Field::IpFlag(0x80)),
    ("ip.flags.df", Field::IpFlag(0x40)),
    ("ip.flags.mf", Field::IpFlag(0x20)),
    ("ip.frag_offset", Field::IpFragOffset),
    ("ipv6", Field::Ipv6),
    ("ipv6.addr", Field::Ipv6Addr),
    ("ipv6.src", Field::Ipv6Src),
    ("ipv6.dst", Field::Ipv6Dst),
    ("ipv6.nxt", Field::Ipv6Nxt),
    ("ipv6.hlim", Field::Ipv6Hlim),
    ("tcp", Field::Tcp),
    ("tcp.port", Field::TcpPort),
    ("tcp.srcport", Field::TcpSrcPort),
    ("tcp.dstport", Field::TcpDstPort),
    ("tcp.len", Field::TcpLen),
    ("tcp.flags", Field::TcpFlags),
    ("tcp.flags.fin", Field::TcpFlag(TcpFlags::FIN)),
    ("tcp.flags.syn", Field::TcpFlag(TcpFlags::SYN)),
    ("tcp.flags.reset", Field::TcpFlag(TcpFlags::RST)),
    ("tcp.flags.rst", Field::TcpFlag(TcpFlags::RST)),
    ("tcp.flags.push", Field::TcpFlag(TcpFlags::PSH)),
    ("tcp.flags.ack", Field::TcpFlag(TcpFlags::ACK)),
    ("tcp.flags.urg", Field::TcpFlag(TcpFlags::URG)),
    ("tcp.flags.ece", Field::TcpFlag(TcpFlags::ECE)),
    ("tcp.flags.cwr", Field::TcpFlag(TcpFlags::CWR)),
    ("tcp.flags.ae", Field::TcpFlag(TcpFlags::AE)),
    ("tcp.window_size_value", Field::TcpWindow),
    ("tcp.window_size", Field::TcpWindowSize),
    ("tcp.seq", Field::TcpSeq),
    ("tcp.ack", Field::TcpAck),
    ("tcp.seq_raw", Field::TcpSeqRaw),
    ("tcp.ack_raw", Field::TcpAckRaw),
    ("tcp.analysis.flags", Field::TcpAnalysis(Findings::ALL)),
    (
        "tcp.analysis.retransmission",
        Field::TcpAnalysis(Findings::ANY_RETRANSMISSION),
    ),
    (
        "tcp.analysis.fast_retransmission",
        Field::TcpAnalysis(Findings::FAST_RETRANSMISSION),
    ),
    (
        "tcp.analysis.spurious_retransmission",
        Field::TcpAnalysis(Findings::SPURIOUS_RETRANSMISSION),
    ),
    (
        "tcp.analysis.out_of_order",
        Field::TcpAnalysis(Findings::OUT_OF_ORDER),
    ),
    (
        "tcp.analysis.lost_segment",
        Field::TcpAnalysis(Findings::LOST_SEGMENT),
    ),
    (
        "tcp.analysis.ack_lost_segment",
        Field::TcpAnalysis(Findings::ACK_LOST_SEGMENT),
    ),
    (
        "tcp.analysis.duplicate_ack",
        Field::TcpAnalysis(Findings::DUP_ACK),
    ),
    ("tcp.analysis.duplicate_ack_num", Field::TcpDupAckNum),
    ("tcp.analysis.duplicate_ack_frame", Field::TcpDupAckFrame),
    (
        "tcp.analysis.zero_window",
        Field::TcpAnalysis(Findings::ZERO_WINDOW),
    ),
    (
        "tcp.analysis.zero_window_probe",
        Field::TcpAnalysis(Findings::ZERO_WINDOW_PROBE),
    ),
    (
        "tcp.analysis.zero_window_probe_ack",
        Field::TcpAnalysis(Findings::ZERO_WINDOW_PROBE_ACK),
    ),
    (
        "tcp.analysis.keep_alive",
        Field::TcpAnalysis(Findings::KEEP_ALIVE),
    ),
    (
        "tcp.analysis.keep_alive_ack",
        Field::TcpAnalysis(Findings::KEEP_ALIVE_ACK),
    ),
    (
        "tcp.analysis.window_update",
        Field::TcpAnalysis(Findings::WINDOW_UPDATE),
    ),
    (
        "tcp.analysis.window_full",
        Field::TcpAnalysis(Findings::WINDOW_FULL),
    ),
    (
        "tcp.analysis.reused_ports",
        Field::TcpAnalysis(Findings::REUSED_PORTS),
    ),
    ("tcp.payload", Field::TcpPayload),
    ("icmp", Field::Icmp),
    ("icmpv6", Field::Icmpv6),
    ("icmp.type", Field::IcmpType),
    ("icmp.code", Field::IcmpCode),
    ("icmpv6.type", Field::Icmpv6Type),
    ("icmpv6.code", Field::Icmpv6Code),
    ("udp", Field::Udp),
    ("udp.port", Field::UdpPort),
    ("udp.srcport", Field::UdpSrcPort),
    ("udp.dstport", Field::UdpDstPort),
    ("udp.length", Field::UdpLength),
    ("udp.payload", Field::UdpPayload),
    ("dns", Field::Dns),
    ("dns.id", Field::DnsId),
    ("dns.flags.response", Field::DnsResponse),
    ("dns.flags.rcode", Field::DnsRcode),
    ("dns.qry.type", Field::DnsQryType),
    ("dns.count.answers", Field::DnsAnswers),
    ("dns.qry.name", Field::DnsQryName),
    ("dns.resp.name", Field::DnsRespName),
    ("dns.a", Field::DnsA),
    ("dns.aaaa", Field::DnsAaaa),
    ("dns.cname", Field::DnsCname),
    ("http", Field::Http),
    ("http.request", Field::HttpRequest),
    ("http.response", Field::HttpResponse),
    ("http.request.method", Field::HttpMethod),
    ("http.request.uri", Field::HttpUri),
    ("http.host", Field::HttpHost),
    ("http.response.code", Field::HttpCode),
    ("http.content_type", Field::HttpContentType),
    ("tcp.stream", Field::TcpStream),
    ("udp.stream", Field::UdpStream),
    ("eth.addr", Field::EthAddr),
    ("eth.src", Field::EthSrc),
    ("eth.dst", Field::EthDst),
    ("tls", Field::Tls),
    ("tls.handshake.type", Field::TlsHandshakeType),
    ("tls.handshake.extensions_server_name", Field::TlsSni),
];

/// The values one field has in one packet: none (absent), one, or two (`ip.addr`, `tcp.port`),
/// or one per occurrence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Values<'a> {
    /// The field is absent.
    None,
    /// One number.
    Number(u64),
    /// Two numbers (source and destination).
    Numbers(u64, u64),
    /// One address.
    Addr(IpAddr),
    /// Two addresses.
    Addrs(IpAddr, IpAddr),
    /// A protocol that is present.
    Present,
    /// Numbers (one per occurrence).
    Many(Vec<u64>),
    /// A text.
    Text(String),
    /// Texts (one per occurrence).
    Texts(Vec<String>),
    /// Addresses (one per occurrence).
    AddrList(Vec<IpAddr>),
    /// Bytes of the packet.
    Bytes(&'a [u8]),
    /// A relative time, in nanoseconds.
    Time(i64),
}

impl Field {
    /// Looks a field up by its Wireshark name.
    pub fn by_name(name: &str) -> Option<Field> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    /// True for the fields the pipeline's analyzers give (stream numbers, the TCP analysis),
    /// not the packet's bytes.
    pub fn is_analysed(self) -> bool {
        matches!(
            self,
            Field::TcpStream
                | Field::UdpStream
                | Field::TcpAnalysis(_)
                | Field::TcpDupAckNum
                | Field::TcpDupAckFrame
                | Field::TcpWindowSize
                | Field::TcpSeq
                | Field::TcpAck
        )
    }

    /// The Wireshark name.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    /// The kind of value the field holds.
    pub fn kind(self) -> Kind {
        match self {
            Field::Frame
            | Field::Ip
            | Field::Ipv6
            | Field::Tcp
            | Field::Udp
            | Field::Icmp
            | Field::Icmpv6
            | Field::Dns
            | Field::Http
            | Field::HttpRequest
            | Field::HttpResponse
            | Field::Tls
            | Field::TcpAnalysis(_) => Kind::Protocol,
            Field::HttpMethod
            | Field::HttpUri
            | Field::HttpHost
            | Field::HttpContentType
            | Field::TlsSni
            | Field::DnsQryName
            | Field::DnsRespName
            | Field::DnsCname => Kind::Text,
            Field::EthAddr | Field::EthSrc | Field::EthDst => Kind::Mac,
            Field::IpAddr | Field::IpSrc | Field::IpDst | Field::DnsA => Kind::Ipv4,
            Field::Ipv6Addr | Field::Ipv6Src | Field::Ipv6Dst | Field::DnsAaaa => Kind::Ipv6,
            Field::TcpFlag(_) | Field::IpFlag(_) | Field::DnsResponse => Kind::Boolean,
            Field::TcpPayload | Field::UdpPayload => Kind::Bytes,
            Field::FrameTimeRelative => Kind::Time,
            _ => Kind::Number,
        }
    }

    /// How many bits wide the field's values are, as Wireshark declares the field (its
    /// `FT_UINT8/16/32`, 1 for a flag): a value that does not fit is an error. 0 for a protocol.
    pub fn bits(self) -> u32 {
        match self {
            Field::Frame | Field::Ip | Field::Ipv6 | Field::Tcp | Field::Udp | Field::Dns => 0,
            Field::TcpPayload | Field::UdpPayload | Field::FrameTimeRelative => 0,
            Field::Icmp | Field::Icmpv6 => 0,
            Field::IcmpType | Field::IcmpCode | Field::Icmpv6Type | Field::Icmpv6Code => 8,
            Field::Http | Field::HttpRequest | Field::HttpResponse | Field::Tls => 0,
            Field::TcpAnalysis(_) => 0,
            Field::TcpDupAckNum | Field::TcpDupAckFrame | Field::TcpWindowSize => 32,
            Field::TcpSeq | Field::TcpAck | Field::TcpSeqRaw | Field::TcpAckRaw => 32,
            Field::HttpMethod
            | Field::HttpUri
            | Field::HttpHost
            | Field::HttpContentType
            | Field::TlsSni
            | Field::DnsQryName
            | Field::DnsRespName
            | Field::DnsCname => 0,
            Field::TlsHandshakeType | Field::IpFlags | Field::Ipv6Nxt | Field::Ipv6Hlim => 8,
            Field::EthAddr | Field::EthSrc | Field::EthDst => 48,
            Field::TcpStream | Field::UdpStream => 32,
            Field::HttpCode => 16,
            Field::TcpFlag(_) | Field::IpFlag(_) | Field::DnsResponse => 1,
            Field::IpProto | Field::IpTtl => 8,
            Field::TcpPort
            | Field::TcpSrcPort
            | Field::TcpDstPort
            | Field::TcpFlags
            | Field::TcpWindow
            | Field::UdpPort
            | Field::UdpSrcPort
            | Field::UdpDstPort
            | Field::UdpLength
            | Field::DnsId
            | Field::DnsRcode
            | Field::DnsQryType
            | Field::DnsAnswers
            | Field::IpId
            | Field::IpFragOffset => 16,
            Field::FrameLen | Field::FrameCapLen | Field::FrameNumber | Field::TcpLen => 32,
            Field::IpAddr | Field::IpSrc | Field::IpDst | Field::DnsA => 32,
            Field::Ipv6Addr | Field::Ipv6Src | Field::Ipv6Dst | Field::DnsAaaa => 128,
        }
    }

    /// The largest value a number or flag field holds.
    pub fn max(self) -> u64 {
        match self.bits() {
            bits @ 0..=63 => (1u64 << bits) - 1,
            _ => u64::MAX,
        }
    }

    /// The field's values in `packet`, DNS read on the `dns` ports.
    pub fn values<'a>(self, packet: &Packet<'a>, dns: &DnsPorts) -> Values<'a> {
        let ip = packet.ip.as_ref();
        let v4 = ip.filter(|ip| ip.src.is_ipv4());
        let v6 = ip.filter(|ip| ip.src.is_ipv6());
        let tcp = packet.tcp();
        let udp = packet.udp();
        let present = |yes: bool| if yes { Values::Present } else { Values::None };
        let num = |n: Option<u64>| n.map_or(Values::None, Values::Number);
        let v4_header = |at: usize| v4.and(packet.ip_header.get(at)).copied();
        let v6_header = |at: usize| v6.and(packet.ip_header.get(at)).copied();
        let payload = |bytes: Option<&'a [u8]>| match bytes {
            Some(b) if !b.is_empty() => Values::Bytes(b),
            _ => Values::None,
        };
        match self {
            Field::Frame => Values::Present,
            Field::FrameLen => Values::Number(u64::from(packet.frame_len)),
            Field::FrameCapLen => Values::Number(u64::from(packet.cap_len)),
            // Known to the pipeline (see `Filter::matches_in`).
            Field::FrameNumber | Field::FrameTimeRelative => Values::None,
            Field::IpId => num(v4_header(4)
                .zip(v4_header(5))
                .map(|(a, b)| u64::from(u16::from_be_bytes([a, b])))),
            Field::IpFlags => num(v4_header(6).map(|b| u64::from(b >> 5))),
            Field::IpFlag(mask) => num(v4_header(6).map(|b| u64::from(b & mask != 0))),
            Field::IpFragOffset => num(v4_header(6)
                .zip(v4_header(7))
                .map(|(a, b)| u64::from(u16::from_be_bytes([a, b]) & 0x1fff))),
            Field::Ipv6Nxt => num(v6_header(6).map(u64::from)),
            Field::Ipv6Hlim => num(v6_header(7).map(u64::from)),
            Field::TcpPayload => payload(match &packet.transport {
                Transport::Tcp(t) => Some(t.payload),
                _ => None,
            }),
            Field::UdpPayload => payload(match &packet.transport {
                Transport::Udp(u) => Some(u.payload),
                _ => None,
            }),
            Field::DnsRespName | Field::DnsA | Field::DnsAaaa | Field::DnsCname => {
                dns_records(self, packet, dns)
            }
            // An IPv4 header too bogus for its fields is still `ip` (Wireshark's "Bogus IP
            // length").
            Field::Ip => {
                present(v4.is_some() || (ip.is_none() && packet.ether_type == Some(0x0800)))
            }
            Field::IpAddr => v4.map_or(Values::None, |ip| Values::Addrs(ip.src, ip.dst)),
            Field::IpSrc => v4.map_or(Values::None, |ip| Values::Addr(ip.src)),
            Field::IpDst => v4.map_or(Values::None, |ip| Values::Addr(ip.dst)),
            Field::IpProto => num(v4.map(|ip| u64::from(ip.protocol))),
            Field::IpTtl => num(v4.map(|ip| u64::from(ip.ttl))),
            Field::Ipv6 => present(v6.is_some()),
            Field::Ipv6Addr => v6.map_or(Values::None, |ip| Values::Addrs(ip.src, ip.dst)),
            Field::Ipv6Src => v6.map_or(Values::None, |ip| Values::Addr(ip.src)),
            Field::Ipv6Dst => v6.map_or(Values::None, |ip| Values::Addr(ip.dst)),
            Field::Tcp => present(tcp.is_some()),
            Field::TcpPort => tcp.map_or(Values::None, |t| {
                Values::Numbers(u64::from(t.src_port), u64::from(t.dst_port))
            }),
            Field::TcpSrcPort => num(tcp.map(|t| u64::from(t.src_port))),
            Field::TcpDstPort => num(tcp.map(|t| u64::from(t.dst_port))),
            Field::TcpLen => num(tcp.map(|t| u64::from(t.len))),
            Field::TcpFlags => num(tcp.map(|t| u64::from(t.flags.0))),
            Field::TcpFlag(bit) => num(tcp.map(|t| u64::from(t.flags.0 & bit != 0))),
            Field::TcpWindow => num(tcp.map(|t| u64::from(t.window))),
            Field::Icmp => present(v4.is_some_and(|ip| ip.protocol == 1 && !ip.fragment)),
            Field::Icmpv6 => present(v6.is_some_and(|ip| ip.protocol == 58 && !ip.fragment)),
            Field::IcmpType | Field::IcmpCode | Field::Icmpv6Type | Field::Icmpv6Code => {
                let v6 = matches!(self, Field::Icmpv6Type | Field::Icmpv6Code);
                let code = matches!(self, Field::IcmpCode | Field::Icmpv6Code);
                num(crate::wire::icmp::Icmp::of(packet)
                    .filter(|i| i.v6 == v6)
                    .map(|i| u64::from(if code { i.code } else { i.kind })))
            }
            Field::Udp => present(udp.is_some()),
            Field::UdpPort => udp.map_or(Values::None, |u| {
                Values::Numbers(u64::from(u.src_port), u64::from(u.dst_port))
            }),
            Field::UdpSrcPort => num(udp.map(|u| u64::from(u.src_port))),
            Field::UdpDstPort => num(udp.map(|u| u64::from(u.dst_port))),
            Field::UdpLength => num(udp.map(|u| u64::from(u.len) + 8)),
            Field::Dns => present(dns.is_dns(packet)),
            Field::DnsId | Field::DnsResponse | Field::DnsRcode | Field::DnsAnswers => {
                let header = dns_message(packet, dns).and_then(dns::Header::parse);
                num(header.and_then(|h| match self {
                    Field::DnsId => Some(u64::from(h.id)),
                    Field::DnsResponse => Some(u64::from(h.response)),
                    // Wireshark shows a reply code on responses only.
                    Field::DnsRcode => h.response.then_some(u64::from(h.rcode)),
                    _ => Some(u64::from(h.answers)),
                }))
            }
            Field::Http | Field::HttpRequest | Field::HttpResponse => {
                let head = tcp.and_then(|t| stream_fields::http(t.payload));
                present(match self {
                    Field::HttpRequest => head.is_some_and(|h| h.method.is_some()),
                    Field::HttpResponse => head.is_some_and(|h| h.code.is_some()),
                    _ => head.is_some(),
                })
            }
            Field::HttpMethod | Field::HttpUri | Field::HttpHost | Field::HttpContentType => {
                let head = tcp.and_then(|t| stream_fields::http(t.payload));
                let text = head.and_then(|h| match self {
                    Field::HttpMethod => h.method,
                    Field::HttpUri => h.uri,
                    Field::HttpHost => h.host,
                    _ => h.content_type,
                });
                text.map_or(Values::None, Values::Text)
            }
            Field::HttpCode => num(tcp
                .and_then(|t| stream_fields::http(t.payload))
                .and_then(|h| h.code)),
            // Numbered and analysed by the pipeline (see `Filter::matches_with`).
            Field::TcpStream
            | Field::UdpStream
            | Field::TcpAnalysis(_)
            | Field::TcpDupAckNum
            | Field::TcpDupAckFrame
            | Field::TcpWindowSize
            | Field::TcpSeq
            | Field::TcpAck => Values::None,
            Field::TcpSeqRaw => num(tcp.map(|t| u64::from(t.seq))),
            // Present without the ACK flag too (0, as the header has it), as in Wireshark 4.0.
            Field::TcpAckRaw => num(tcp.map(|t| u64::from(t.ack))),
            Field::EthAddr => packet
                .eth
                .map_or(Values::None, |e| Values::Numbers(e.src, e.dst)),
            Field::EthSrc => num(packet.eth.map(|e| e.src)),
            Field::EthDst => num(packet.eth.map(|e| e.dst)),
            Field::Tls => present(tcp.and_then(|t| stream_fields::tls(t.payload)).is_some()),
            Field::TlsHandshakeType => match tcp.and_then(|t| stream_fields::tls(t.payload)) {
                Some(r) if !r.handshake_types.is_empty() => Values::Many(r.handshake_types),
                _ => Values::None,
            },
            Field::TlsSni => tcp
                .and_then(|t| stream_fields::tls(t.payload))
                .and_then(|r| r.sni)
                .map_or(Values::None, Values::Text),
            Field::DnsQryName => dns_message(packet, dns)
                .and_then(crate::wire::dns::first_question)
                .map_or(Values::None, |q| Values::Text(q.name)),
            Field::DnsQryType => num(dns_message(packet, dns)
                .and_then(crate::wire::dns::first_question)
                .map(|q| u64::from(q.qtype))),
        }
    }

    /// True for the fields read from a TCP segment's HTTP or TLS message.
    pub fn is_stream(self) -> bool {
        matches!(
            self,
            Field::Http
                | Field::HttpRequest
                | Field::HttpResponse
                | Field::HttpMethod
                | Field::HttpUri
                | Field::HttpHost
                | Field::HttpCode
                | Field::HttpContentType
                | Field::Tls
                | Field::TlsHandshakeType
                | Field::TlsSni
        )
    }

    /// True for the fields read from a DNS message.
    pub fn is_dns(self) -> bool {
        matches!(
            self,
            Field::Dns
                | Field::DnsId
                | Field::DnsResponse
                | Field::DnsRcode
                | Field::DnsQryType
                | Field::DnsQryName
                | Field::DnsAnswers
                | Field::DnsRespName
                | Field::DnsA
                | Field::DnsAaaa
                | Field::DnsCname
        )
    }

    /// The bytes a protocol or byte field covers in `packet`, for slices, `contains` and
    /// `matches`: the frame's, the IP packet's (header first, to its total length), the TCP
    /// segment's or UDP datagram's (header first), a payload's, the DNS message's (after its
    /// TCP length prefix, as Wireshark's), the HTTP or TLS segment's payload. `None` when the
    /// packet does not have it, or for a field that is no byte string.
    pub fn bytes<'a>(self, packet: &Packet<'a>, dns: &DnsPorts) -> Option<&'a [u8]> {
        let frame = packet.frame_data;
        let v4 = packet.ip.as_ref().is_some_and(|ip| ip.src.is_ipv4());
        match (self, &packet.transport) {
            (Field::Frame, _) => Some(frame),
            (Field::Ip | Field::Ipv6, _) if packet.ip.is_some() && v4 == (self == Field::Ip) => {
                let header = packet.ip_header;
                let start = offset_in(frame, header)?;
                let length = if v4 {
                    usize::from(u16::from_be_bytes([*header.get(2)?, *header.get(3)?]))
                } else {
                    40 + usize::from(u16::from_be_bytes([*header.get(4)?, *header.get(5)?]))
                };
                frame.get(start..(start + length.max(header.len())).min(frame.len()))
            }
            (Field::Tcp, Transport::Tcp(t)) => {
                let start = offset_in(frame, t.payload)?.checked_sub(t.header_len.into())?;
                frame.get(start..start + usize::from(t.header_len) + t.payload.len())
            }
            (Field::Udp, Transport::Udp(u)) => {
                let start = offset_in(frame, u.payload)?.checked_sub(8)?;
                frame.get(start..start + 8 + u.payload.len())
            }
            (Field::TcpPayload, Transport::Tcp(t)) => Some(t.payload),
            (Field::UdpPayload, Transport::Udp(u)) => Some(u.payload),
            (Field::Dns, Transport::Udp(u)) if dns.is_dns(packet) => Some(u.payload),
            (Field::Dns, Transport::Tcp(t)) if dns.is_dns(packet) => {
                let len = usize::from(u16::from_be_bytes([
                    *t.payload.first()?,
                    *t.payload.get(1)?,
                ]));
                t.payload.get(..2 + len)
            }
            (Field::Http, Transport::Tcp(t)) => stream_fields::http(t.payload).map(|_| t.payload),
            (Field::Tls, Transport::Tcp(t)) => stream_fields::tls(t.payload).map(|_| t.payload),
            _ => None,
        }
    }

    /// What the field holds, for people: "a 16-bit number", "a protocol", "text".
    pub fn describe(self) -> &'static str {
        match self.kind() {
            Kind::Protocol => "a protocol",
            Kind::Ipv4 => "an IPv4 address",
            Kind::Ipv6 => "an IPv6 address",
            Kind::Boolean => "a flag",
            Kind::Text => "text",
            Kind::Mac => "an Ethernet address",
            Kind::Bytes => "bytes",
            Kind::Time => "a time in seconds",
            Kind::Number => match self.bits() {
                8 => "an 8-bit number",
                16 => "a 16-bit number",
                _ => "a 32-bit number",
            },
        }
    }

    /// The operators the field takes (beside `and`, `or`, `not`), for people.
    pub fn operators(self) -> &'static str {
        match self.kind() {
            Kind::Protocol if self.has_bytes() => "alone, contains, matches, [slice]",
            Kind::Protocol => "alone",
            Kind::Bytes => "alone, == != < <= > >=, contains, matches, in, [slice]",
            Kind::Text => "alone, == != < <= > >=, contains, matches, in",
            Kind::Number => "alone, == != < <= > >=, in, & mask",
            _ => "alone, == != < <= > >=, in",
        }
    }

    /// True for the fields whose bytes [`Field::bytes`] gives: they can be sliced and searched.
    pub fn has_bytes(self) -> bool {
        matches!(
            self,
            Field::Frame
                | Field::Ip
                | Field::Ipv6
                | Field::Tcp
                | Field::Udp
                | Field::Dns
                | Field::Http
                | Field::Tls
                | Field::TcpPayload
                | Field::UdpPayload
        )
    }
}

/// Where `part` starts inside `whole`, when it is a part of it.
fn offset_in(whole: &[u8], part: &[u8]) -> Option<usize> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (start + part.len() <= whole.len()).then_some(start)
}

/// The values of a field read from a DNS message's records.
fn dns_records<'a>(field: Field, packet: &Packet<'_>, ports: &DnsPorts) -> Values<'a> {
    let Some(message) = dns_message(packet, ports).and_then(dns::Message::parse) else {
        return Values::None;
    };
    let records = message.answers.iter().chain(&message.others);
    let values: Vec<String> = match field {
        Field::DnsRespName => records.map(|r| r.name.clone()).collect(),
        _ => {
            let rtype = match field {
                Field::DnsA => 1,
                Field::DnsAaaa => 28,
                _ => 5,
            };
            records
                .filter(|r| r.rtype == rtype)
                .map(|r| r.data.clone())
                .collect()
        }
    };
    if values.is_empty() {
        return Values::None;
    }
    match field {
        Field::DnsA | Field::DnsAaaa => {
            Values::AddrList(values.iter().filter_map(|a| a.parse().ok()).collect())
        }
        _ => Values::Texts(values),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for (name, field) in NAMES {
            assert_eq!(Field::by_name(name), Some(*field));
            // `rst` is an alias of Wireshark's `reset`: the first name is the canonical one.
            if *name != "tcp.flags.rst" {
                assert_eq!(field.name(), *name);
            }
        }
        assert_eq!(Field::by_name("tcp.bogus"), None);
    }

    #[test]
    fn widths_are_wiresharks() {
        let bits = |name| Field::by_name(name).unwrap().bits();
        assert_eq!(bits("tcp.port"), 16);
        assert_eq!(bits("tcp.len"), 32);
        assert_eq!(bits("frame.len"), 32);
        assert_eq!(bits("ip.ttl"), 8);
        assert_eq!(bits("tcp.flags.syn"), 1);
        assert_eq!(bits("dns.flags.rcode"), 16);
        assert_eq!(bits("http.response.code"), 16);
        assert_eq!(bits("tls.handshake.type"), 8);
        assert_eq!(Field::TcpPort.max(), 65535);
        assert_eq!(Field::TcpLen.max(), 4_294_967_295);
        assert_eq!(Field::TcpFlag(TcpFlags::SYN).max(), 1);
        for (_, field) in NAMES {
            assert_eq!(
                field.bits() == 0,
                matches!(
                    field.kind(),
                    Kind::Protocol | Kind::Text | Kind::Bytes | Kind::Time
                ),
                "{field:?}"
            );
        }
    }
}
