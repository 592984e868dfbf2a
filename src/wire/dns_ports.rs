//! Which ports carry DNS: 53 and those added with `--dns-port`. The one place that decides
//! what is DNS: the filter's `dns` fields (and their BPF), the packet list and the DNS
//! analyzer all ask it, so `-Y dns --dns-port 5353` selects what the DNS checks read.

use super::{Packet, Transport};

/// The DNS ports, 53 always among them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsPorts(Vec<u16>);

impl Default for DnsPorts {
    fn default() -> DnsPorts {
        DnsPorts(vec![53])
    }
}

impl DnsPorts {
    /// Port 53 and `extra`.
    pub fn with(extra: &[u16]) -> DnsPorts {
        let mut ports = DnsPorts::default();
        for &p in extra {
            ports.add(p);
        }
        ports
    }

    /// Adds a port.
    pub fn add(&mut self, port: u16) {
        if !self.0.contains(&port) {
            self.0.push(port);
        }
    }

    /// The ports, 53 first.
    pub fn ports(&self) -> &[u16] {
        &self.0
    }

    /// True when `port` carries DNS.
    pub fn carries(&self, port: u16) -> bool {
        // 53 is the first; most captures add none (asked of every packet).
        port == 53 || self.0[1..].contains(&port)
    }

    /// The source and destination ports of `packet`'s UDP or TCP header when one of them
    /// carries DNS: the packets the DNS analysis reads.
    pub fn ports_of(&self, packet: &Packet<'_>) -> Option<(u16, u16)> {
        packet
            .ports()
            .filter(|&(src, dst)| self.carries(src) || self.carries(dst))
    }

    /// True when Wireshark's DNS dissector would run on `packet` (with these ports decoded as
    /// DNS): UDP or TCP on a DNS port with a payload.
    pub fn is_dns(&self, packet: &Packet<'_>) -> bool {
        let (src, dst, len) = match &packet.transport {
            Transport::Udp(u) => (u.src_port, u.dst_port, u.len),
            Transport::Tcp(t) => (t.src_port, t.dst_port, t.len),
            Transport::None => return false,
        };
        len > 0 && (self.carries(src) || self.carries(dst))
    }

    /// The libpcap expression for "on a DNS port": `port 53`, or `(port 53 or port 5353)`.
    pub fn bpf(&self) -> String {
        match self.0.as_slice() {
            [one] => format!("port {one}"),
            many => format!(
                "({})",
                many.iter()
                    .map(|p| format!("port {p}"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Filter;
    use crate::wire::Udp;
    use std::net::Ipv4Addr;

    #[test]
    fn the_filter_reads_dns_on_the_same_ports_as_the_analyzer() {
        // A query for a.example on 5353.
        let query = [
            0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 7, b'e', b'x', b'a', b'm', b'p',
            b'l', b'e', 0, 0, 1, 0, 1,
        ];
        let packet = Packet::ipv4_for_test(
            0,
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 2),
            Transport::Udp(Udp {
                src_port: 40000,
                dst_port: 5353,
                len: query.len() as u32,
                payload: &query,
            }),
        );
        let ports = DnsPorts::with(&[5353]);
        for text in ["dns", "dns.id == 0x1234", "dns.qry.type == 1"] {
            let plain = Filter::parse(text).unwrap();
            assert!(!plain.matches(&packet), "{text} on 53 only");
            let with = plain.with_dns_ports(ports.clone());
            assert!(with.matches(&packet), "{text} with 5353");
            assert_eq!(
                with.to_bpf().expr.as_deref(),
                Some("(port 53 or port 5353)")
            );
        }
        assert_eq!(DnsPorts::default().bpf(), "port 53");
    }
}
