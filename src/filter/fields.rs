//! The Wireshark fields labcap's filters know, and how to read each from a [`Packet`].

use std::net::IpAddr;

use super::stream_fields;
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
    /// `frame.len`: length on the wire.
    FrameLen,
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
    /// `ipv6`: an IPv6 packet.
    Ipv6,
    /// `ipv6.addr`
    Ipv6Addr,
    /// `ipv6.src`
    Ipv6Src,
    /// `ipv6.dst`
    Ipv6Dst,
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
    /// `icmp`: an ICMP message (not a fragment).
    Icmp,
    /// `icmpv6`
    Icmpv6,
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
}

/// Every field name labcap accepts, with its field.
pub const NAMES: &[(&str, Field)] = &[
    ("frame.len", Field::FrameLen),
    ("ip", Field::Ip),
    ("ip.addr", Field::IpAddr),
    ("ip.src", Field::IpSrc),
    ("ip.dst", Field::IpDst),
    ("ip.proto", Field::IpProto),
    ("ip.ttl", Field::IpTtl),
    ("ipv6", Field::Ipv6),
    ("ipv6.addr", Field::Ipv6Addr),
    ("ipv6.src", Field::Ipv6Src),
    ("ipv6.dst", Field::Ipv6Dst),
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
    ("icmp", Field::Icmp),
    ("icmpv6", Field::Icmpv6),
    ("udp", Field::Udp),
    ("udp.port", Field::UdpPort),
    ("udp.srcport", Field::UdpSrcPort),
    ("udp.dstport", Field::UdpDstPort),
    ("udp.length", Field::UdpLength),
    ("dns", Field::Dns),
    ("dns.id", Field::DnsId),
    ("dns.flags.response", Field::DnsResponse),
    ("dns.flags.rcode", Field::DnsRcode),
    ("dns.qry.type", Field::DnsQryType),
    ("dns.count.answers", Field::DnsAnswers),
    ("dns.qry.name", Field::DnsQryName),
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

/// The values one field has in one packet: none (absent), one, or two (`ip.addr`, `tcp.port`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Values {
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
}

impl Field {
    /// Looks a field up by its Wireshark name.
    pub fn by_name(name: &str) -> Option<Field> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
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
            Field::Ip
            | Field::Ipv6
            | Field::Tcp
            | Field::Udp
            | Field::Icmp
            | Field::Icmpv6
            | Field::Dns
            | Field::Http
            | Field::HttpRequest
            | Field::HttpResponse
            | Field::Tls => Kind::Protocol,
            Field::HttpMethod
            | Field::HttpUri
            | Field::HttpHost
            | Field::HttpContentType
            | Field::TlsSni
            | Field::DnsQryName => Kind::Text,
            Field::EthAddr | Field::EthSrc | Field::EthDst => Kind::Mac,
            Field::IpAddr | Field::IpSrc | Field::IpDst => Kind::Ipv4,
            Field::Ipv6Addr | Field::Ipv6Src | Field::Ipv6Dst => Kind::Ipv6,
            Field::TcpFlag(_) | Field::DnsResponse => Kind::Boolean,
            _ => Kind::Number,
        }
    }

    /// How many bits wide the field's values are, as Wireshark declares the field (its
    /// `FT_UINT8/16/32`, 1 for a flag): a value that does not fit is an error. 0 for a protocol.
    pub fn bits(self) -> u32 {
        match self {
            Field::Ip | Field::Ipv6 | Field::Tcp | Field::Udp | Field::Dns => 0,
            Field::Icmp | Field::Icmpv6 => 0,
            Field::Http | Field::HttpRequest | Field::HttpResponse | Field::Tls => 0,
            Field::HttpMethod
            | Field::HttpUri
            | Field::HttpHost
            | Field::HttpContentType
            | Field::TlsSni
            | Field::DnsQryName => 0,
            Field::TlsHandshakeType => 8,
            Field::EthAddr | Field::EthSrc | Field::EthDst => 48,
            Field::TcpStream | Field::UdpStream => 32,
            Field::HttpCode => 16,
            Field::TcpFlag(_) | Field::DnsResponse => 1,
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
            | Field::DnsAnswers => 16,
            Field::FrameLen | Field::TcpLen => 32,
            Field::IpAddr | Field::IpSrc | Field::IpDst => 32,
            Field::Ipv6Addr | Field::Ipv6Src | Field::Ipv6Dst => 128,
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
    pub fn values(self, packet: &Packet<'_>, dns: &DnsPorts) -> Values {
        let ip = packet.ip.as_ref();
        let v4 = ip.filter(|ip| ip.src.is_ipv4());
        let v6 = ip.filter(|ip| ip.src.is_ipv6());
        let tcp = packet.tcp();
        let udp = packet.udp();
        let present = |yes: bool| if yes { Values::Present } else { Values::None };
        let num = |n: Option<u64>| n.map_or(Values::None, Values::Number);
        match self {
            Field::FrameLen => Values::Number(u64::from(packet.frame_len)),
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
            // Numbered by the pipeline (see `Filter::matches_with`).
            Field::TcpStream | Field::UdpStream => Values::None,
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
        )
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
                matches!(field.kind(), Kind::Protocol | Kind::Text),
                "{field:?}"
            );
        }
    }
}
