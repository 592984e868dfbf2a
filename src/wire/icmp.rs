//! ICMP and ICMPv6 messages: their type and code, and the words Wireshark's Info column puts
//! to them (`Destination unreachable (Port unreachable)`).

use super::Packet;

/// An ICMP or ICMPv6 message's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Icmp {
    /// ICMPv6 (IP next header 58) rather than ICMP (IP protocol 1).
    pub v6: bool,
    /// The message type.
    pub kind: u8,
    /// The code.
    pub code: u8,
}

impl Icmp {
    /// The ICMP or ICMPv6 message `packet` carries right after its IP header (not a fragment).
    pub fn of(packet: &Packet<'_>) -> Option<Icmp> {
        let ip = packet.ip.filter(|ip| !ip.fragment)?;
        let v6 = match (ip.src.is_ipv6(), ip.protocol) {
            (false, 1) => false,
            (true, 58) => true,
            _ => return None,
        };
        // The message follows the IP header in the frame (an IPv6 header only when 58 is its
        // own next header, not after extension headers).
        let header = packet.ip_header;
        if v6 && header.get(6) != Some(&58) {
            return None;
        }
        let start = (header.as_ptr() as usize).checked_sub(packet.frame_data.as_ptr() as usize)?
            + header.len();
        let body = packet.frame_data.get(start..start + 2)?;
        Some(Icmp {
            v6,
            kind: body[0],
            code: body[1],
        })
    }

    /// Wireshark's Info column for it.
    pub fn info(&self) -> String {
        let (kind, codes): (&str, &[&str]) = match (self.v6, self.kind) {
            (false, 0) => ("Echo (ping) reply", &[]),
            (false, 8) => ("Echo (ping) request", &[]),
            (false, 3) => ("Destination unreachable", &UNREACHABLE),
            (false, 5) => ("Redirect", &[]),
            (false, 11) => ("Time-to-live exceeded", &TIME_EXCEEDED),
            (true, 1) => ("Destination Unreachable", &UNREACHABLE_V6),
            (true, 2) => ("Packet Too Big", &[]),
            (true, 3) => ("Time Exceeded", &TIME_EXCEEDED),
            (true, 128) => ("Echo (ping) request", &[]),
            (true, 129) => ("Echo (ping) reply", &[]),
            (true, 133) => ("Router Solicitation", &[]),
            (true, 134) => ("Router Advertisement", &[]),
            (true, 135) => ("Neighbor Solicitation", &[]),
            (true, 136) => ("Neighbor Advertisement", &[]),
            (v6, kind) => {
                let name = if v6 { "ICMPv6" } else { "ICMP" };
                return format!("{name} type {kind}, code {}", self.code);
            }
        };
        match codes.get(usize::from(self.code)) {
            Some(code) if !code.is_empty() => format!("{kind} ({code})"),
            _ if codes.is_empty() => kind.to_string(),
            _ => format!("{kind} (code {})", self.code),
        }
    }
}

/// ICMP destination unreachable codes, by code.
const UNREACHABLE: [&str; 14] = [
    "Network unreachable",
    "Host unreachable",
    "Protocol unreachable",
    "Port unreachable",
    "Fragmentation needed",
    "Source route failed",
    "Destination network unknown",
    "Destination host unknown",
    "Source host isolated",
    "Network administratively prohibited",
    "Host administratively prohibited",
    "Network unreachable for TOS",
    "Host unreachable for TOS",
    "Communication administratively filtered",
];

/// ICMPv6 destination unreachable codes, by code.
const UNREACHABLE_V6: [&str; 7] = [
    "no route to destination",
    "Administratively prohibited",
    "Beyond scope of source address",
    "Address unreachable",
    "Port unreachable",
    "Source address failed ingress/egress policy",
    "Reject route to destination",
];

/// Time exceeded codes (ICMP and ICMPv6 alike), by code.
const TIME_EXCEEDED: [&str; 2] = [
    "Time to live exceeded in transit",
    "Fragment reassembly time exceeded",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_codes_read_as_wireshark_writes_them() {
        let icmp = |v6, kind, code| Icmp { v6, kind, code }.info();
        assert_eq!(
            icmp(false, 3, 3),
            "Destination unreachable (Port unreachable)"
        );
        assert_eq!(
            icmp(true, 1, 4),
            "Destination Unreachable (Port unreachable)"
        );
        assert_eq!(icmp(false, 8, 0), "Echo (ping) request");
        assert_eq!(icmp(false, 3, 99), "Destination unreachable (code 99)");
        assert_eq!(icmp(false, 42, 1), "ICMP type 42, code 1");
    }
}
