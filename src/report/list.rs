//! One line per packet, in the columns of `tshark -r`: number, relative time, source,
//! destination, protocol, length, info.

use std::fmt;

use super::escape::escape_text;
use crate::analysis::tcp::SegmentInfo;
use crate::wire::dns::Message;
use crate::wire::{DnsPorts, Packet, Status, Tcp, TcpFlags, Transport};

/// A packet as the list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedPacket {
    /// 1-based frame number in the capture.
    pub number: u64,
    /// Nanoseconds since the first frame (negative if the clock went back).
    pub rel_nanos: i128,
    /// Source address (empty without IP).
    pub src: String,
    /// Destination address.
    pub dst: String,
    /// Protocol column.
    pub protocol: &'static str,
    /// Frame length on the wire.
    pub length: u32,
    /// Info column.
    pub info: String,
    /// `tcp.stream`, for TCP.
    pub stream: Option<u32>,
    /// The TCP analysis of this segment (relative numbers, window, findings).
    pub tcp: Option<crate::analysis::tcp::Event>,
}

impl fmt::Display for ListedPacket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>6} {} {:>15} → {:<15} {:<4} {:>5} {}",
            self.number,
            super::seconds_text(self.rel_nanos, 9),
            self.src,
            self.dst,
            self.protocol,
            self.length,
            self.info
        )
    }
}

/// Builds the list line of a decoded packet.
pub fn describe(
    number: u64,
    rel_nanos: i128,
    packet: &Packet<'_>,
    segment: Option<&SegmentInfo>,
    dns: &[Message],
    dns_ports: &DnsPorts,
) -> ListedPacket {
    let (src, dst) = packet.ip.map_or((String::new(), String::new()), |ip| {
        (ip.src.to_string(), ip.dst.to_string())
    });
    let (protocol, mut info) = match (&packet.transport, segment) {
        // Names in a capture are bytes anyone could have sent: escaped, as payloads are.
        _ if !dns.is_empty() => (
            "DNS",
            dns.iter()
                .map(|m| {
                    let info = m.info();
                    // A message the snapshot length cut is marked as that, not as malformed.
                    let info = match info.strip_suffix(" [Malformed Packet]") {
                        Some(cut) if packet.status == Status::Truncated => cut,
                        _ => &info,
                    };
                    escape_text(info).into_owned()
                })
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (Transport::Tcp(tcp), Some(segment)) => ("TCP", tcp_info(tcp, segment)),
        (Transport::Udp(udp), _) => {
            let proto = if dns_ports.is_dns(packet) {
                "DNS"
            } else {
                "UDP"
            };
            (
                proto,
                format!("{} → {} Len={}", udp.src_port, udp.dst_port, udp.len),
            )
        }
        _ => match packet.ip {
            Some(ip) if ip.fragment => (
                "IP",
                format!("Fragmented IP protocol (proto={})", ip.protocol),
            ),
            Some(ip) => (
                ip_protocol_name(ip.protocol),
                match crate::wire::icmp::Icmp::of(packet) {
                    Some(icmp) => icmp.info(),
                    None => format!("IP protocol {}", ip.protocol),
                },
            ),
            None => (
                ether_type_name(packet.ether_type),
                packet
                    .ether_type
                    .map_or_else(String::new, |t| format!("Ethernet type 0x{t:04x}")),
            ),
        },
    };
    match &packet.status {
        Status::Ok => {}
        Status::Truncated if limited_where_read(packet, dns_ports) => {
            info.push_str("[Packet size limited during capture]");
        }
        Status::Truncated => {}
        Status::Malformed(reason) => {
            info.push_str(" [Malformed Packet: ");
            info.push_str(reason);
            info.push(']');
        }
    }
    ListedPacket {
        number,
        rel_nanos,
        src,
        dst,
        protocol,
        length: packet.frame_len,
        info,
        stream: segment.map(|s| s.stream),
        tcp: segment.map(|s| s.event),
    }
}

/// Whether Wireshark marks a snaplen-cut frame `[Packet size limited during capture]`: when a
/// dissector reads past the captured bytes, that is when a header is cut (nothing decoded past
/// IP, a transport header or TCP's options cut) or a DNS message is; a cut payload nobody reads
/// (TCP or UDP data on a port without a dissector) is not marked.
fn limited_where_read(packet: &Packet<'_>, dns_ports: &DnsPorts) -> bool {
    match &packet.transport {
        Transport::None => !packet.ip.is_some_and(|ip| ip.fragment),
        Transport::Udp(udp) => dns_ports.is_dns(packet) && (udp.payload.len() as u32) < udp.len,
        Transport::Tcp(tcp) => {
            20 + tcp.option_bytes.len() < usize::from(tcp.header_len)
                || dns_ports.is_dns(packet) && (tcp.payload.len() as u32) < tcp.len
        }
    }
}

/// The Info text Wireshark shows for a TCP segment.
fn tcp_info(tcp: &Tcp<'_>, segment: &SegmentInfo) -> String {
    let e = &segment.event;
    let mut info = format!(
        "{}{} → {} ",
        super::findings::info_labels(e.findings, e.dup_ack),
        tcp.src_port,
        tcp.dst_port,
    );
    let flags = tcp.flags.join(", ");
    info.push('[');
    info.push_str(if flags.is_empty() { "<None>" } else { &flags });
    info.push_str("] Seq=");
    info.push_str(&e.seq.to_string());
    if tcp.flags.has(TcpFlags::ACK) {
        info.push_str(&format!(" Ack={}", e.ack));
    }
    info.push_str(&format!(" Win={} Len={}", e.win, e.len));
    let o = tcp.options();
    if let Some(mss) = o.mss {
        info.push_str(&format!(" MSS={mss}"));
    }
    if o.sack_perm {
        info.push_str(" SACK_PERM");
    }
    if let Some((val, ecr)) = o.timestamp {
        info.push_str(&format!(" TSval={val} TSecr={ecr}"));
    }
    // SACK edges are relative to the acknowledged side's base, as the ACK number is.
    let ack_base = if tcp.flags.has(TcpFlags::ACK) {
        tcp.ack.wrapping_sub(e.ack)
    } else {
        0
    };
    for (left, right) in &o.sack[..usize::from(o.sack_blocks)] {
        info.push_str(&format!(
            " SLE={} SRE={}",
            left.wrapping_sub(ack_base),
            right.wrapping_sub(ack_base)
        ));
    }
    if let Some(shift) = o.wscale {
        info.push_str(&format!(" WS={}", 1u32 << shift.min(14)));
    }
    info
}

fn ip_protocol_name(protocol: u8) -> &'static str {
    match protocol {
        1 => "ICMP",
        2 => "IGMP",
        6 => "TCP",
        17 => "UDP",
        58 => "ICMPv6",
        132 => "SCTP",
        _ => "IP",
    }
}

fn ether_type_name(ether_type: Option<u16>) -> &'static str {
    match ether_type {
        Some(0x0806) => "ARP",
        Some(0x0800) => "IPv4",
        Some(0x86dd) => "IPv6",
        Some(0x88cc) => "LLDP",
        _ => "",
    }
}
