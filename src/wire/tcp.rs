//! TCP header pieces etherparse leaves raw: the flag bits as one value, and the options
//! Wireshark shows (MSS, window scale, SACK, timestamps).

use std::fmt;

/// The TCP flag bits, `FIN` = bit 0 … `CWR` = bit 7, `AE` (formerly `NS`) = bit 8.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u16);

impl TcpFlags {
    /// No more data from the sender.
    pub const FIN: u16 = 0x001;
    /// Synchronise sequence numbers.
    pub const SYN: u16 = 0x002;
    /// Reset the connection.
    pub const RST: u16 = 0x004;
    /// Push.
    pub const PSH: u16 = 0x008;
    /// The acknowledgment field is significant.
    pub const ACK: u16 = 0x010;
    /// The urgent pointer is significant.
    pub const URG: u16 = 0x020;
    /// ECN echo.
    pub const ECE: u16 = 0x040;
    /// Congestion window reduced.
    pub const CWR: u16 = 0x080;
    /// Accurate ECN (formerly the nonce sum).
    pub const AE: u16 = 0x100;

    /// Names in Wireshark's order, as its Info column lists them.
    const NAMES: [(u16, &'static str); 9] = [
        (Self::FIN, "FIN"),
        (Self::SYN, "SYN"),
        (Self::RST, "RST"),
        (Self::PSH, "PSH"),
        (Self::ACK, "ACK"),
        (Self::URG, "URG"),
        (Self::ECE, "ECE"),
        (Self::CWR, "CWR"),
        (Self::AE, "AE"),
    ];

    /// Reads the flags from bytes 12 and 13 of a TCP header.
    pub fn from_header(byte12: u8, byte13: u8) -> TcpFlags {
        TcpFlags((u16::from(byte12 & 1) << 8) | u16::from(byte13))
    }

    /// True when every bit of `mask` is set.
    pub fn has(self, mask: u16) -> bool {
        self.0 & mask == mask
    }

    /// Flag names joined by `sep`, in Wireshark's order.
    pub fn join(self, sep: &str) -> String {
        let mut out = String::new();
        for (bit, name) in Self::NAMES {
            if self.0 & bit != 0 {
                if !out.is_empty() {
                    out.push_str(sep);
                }
                out.push_str(name);
            }
        }
        out
    }
}

impl fmt::Display for TcpFlags {
    /// `SYN,ACK` style: the form labcap's tables and JSON use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.join(","))
    }
}

/// The TCP options labcap reports; the others are skipped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpOptions {
    /// Maximum segment size.
    pub mss: Option<u16>,
    /// Window scale shift count.
    pub wscale: Option<u8>,
    /// SACK permitted.
    pub sack_perm: bool,
    /// Number of SACK blocks.
    pub sack_blocks: u8,
    /// The SACK blocks' left and right edges (absolute), the first `sack_blocks` of them.
    pub sack: [(u32, u32); 4],
    /// Timestamp value and echo reply.
    pub timestamp: Option<(u32, u32)>,
}

impl TcpOptions {
    /// Parses an options area. A malformed option ends the parse; what came before it stays.
    pub fn parse(mut area: &[u8]) -> TcpOptions {
        let mut options = TcpOptions::default();
        while let Some(&kind) = area.first() {
            match kind {
                0 => break,
                1 => {
                    area = &area[1..];
                    continue;
                }
                _ => {}
            }
            let Some(&len) = area.get(1) else { break };
            let len = usize::from(len);
            if len < 2 || len > area.len() {
                break;
            }
            let body = &area[2..len];
            match (kind, body.len()) {
                (2, 2) => options.mss = Some(u16::from_be_bytes([body[0], body[1]])),
                (3, 1) => options.wscale = Some(body[0]),
                (4, 0) => options.sack_perm = true,
                (5, _) => {
                    let blocks = body.chunks_exact(8).take(4);
                    options.sack_blocks = blocks.len() as u8;
                    for (edges, b) in options.sack.iter_mut().zip(blocks) {
                        let word =
                            |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
                        *edges = (word(0), word(4));
                    }
                }
                (8, 8) => {
                    let val = u32::from_be_bytes([body[0], body[1], body[2], body[3]]);
                    let ecr = u32::from_be_bytes([body[4], body[5], body[6], body[7]]);
                    options.timestamp = Some((val, ecr));
                }
                _ => {}
            }
            area = &area[len..];
        }
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_and_print_in_wireshark_order() {
        let flags = TcpFlags::from_header(0x50, 0x12);
        assert!(flags.has(TcpFlags::SYN | TcpFlags::ACK));
        assert!(!flags.has(TcpFlags::FIN));
        assert_eq!(flags.to_string(), "SYN,ACK");
        assert_eq!(
            TcpFlags::from_header(0x51, 0x19).join(", "),
            "FIN, PSH, ACK, AE"
        );
        assert_eq!(TcpFlags(0).to_string(), "");
    }

    #[test]
    fn syn_options_of_a_linux_loopback_handshake() {
        // MSS 65495, SACK_PERM, TS val 1 ecr 0, NOP, WS 7.
        let area = [
            2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
        ];
        let options = TcpOptions::parse(&area);
        assert_eq!(options.mss, Some(65495));
        assert!(options.sack_perm);
        assert_eq!(options.timestamp, Some((1, 0)));
        assert_eq!(options.wscale, Some(7));
    }

    #[test]
    fn malformed_options_stop_without_panicking() {
        assert_eq!(TcpOptions::parse(&[2, 4, 0xff]), TcpOptions::default());
        assert_eq!(TcpOptions::parse(&[3, 0, 7]), TcpOptions::default());
        assert_eq!(TcpOptions::parse(&[3, 1]), TcpOptions::default());
        let sack =
            TcpOptions::parse(&[1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4]);
        assert_eq!(sack.sack_blocks, 2);
        assert_eq!(sack.sack[..2], [(1, 2), (3, 4)]);
    }
}
