//! pcapng blocks (draft-ietf-opsawg-pcapng): section headers set the byte order, interface
//! descriptions the link type, name and timestamp resolution, and enhanced, simple and
//! (obsolete) packet blocks carry the frames. Other blocks are skipped.

use std::time::Duration;

use super::pcap::Order;
use super::LinkType;

/// The section header block's type (the same in both byte orders).
pub const SECTION_HEADER: u32 = 0x0a0d_0d0a;
const INTERFACE: u32 = 1;
const OBSOLETE_PACKET: u32 = 2;
const SIMPLE_PACKET: u32 = 3;
const ENHANCED_PACKET: u32 = 6;

/// The byte order of a section, from the byte-order magic of its header block.
pub fn section_order(b: &[u8]) -> Option<Order> {
    match b.get(8..12)? {
        [0x4d, 0x3c, 0x2b, 0x1a] => Some(Order::Little),
        [0x1a, 0x2b, 0x3c, 0x4d] => Some(Order::Big),
        _ => None,
    }
}

/// The longest interface name kept, in bytes (Linux names are at most 15, Windows device
/// names about 50); a longer one is cut.
const MAX_NAME: usize = 256;

/// An interface of the current section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// Its link type.
    pub link: LinkType,
    /// Its snapshot length (0: none).
    pub snaplen: u32,
    /// `if_name`, when given.
    pub name: Option<String>,
    /// Timestamp units per second (`if_tsresol`; 10^6 by default).
    pub units_per_sec: u64,
    /// `if_tsoffset`, seconds added to every timestamp.
    pub offset_secs: i64,
}

impl Interface {
    /// A raw 64-bit timestamp as time since the epoch.
    pub fn time(&self, raw: u64) -> Duration {
        let ups = self.units_per_sec;
        // The usual resolutions (µs, ns) divide by constants (multiplications), not by a
        // variable; decimal resolutions up to 1 ns scale by a whole factor; others need the
        // wide division.
        let (secs, nanos) = match ups {
            1_000_000 => (raw / 1_000_000, raw % 1_000_000 * 1_000),
            1_000_000_000 => (raw / 1_000_000_000, raw % 1_000_000_000),
            _ if 1_000_000_000 % ups == 0 => (raw / ups, raw % ups * (1_000_000_000 / ups)),
            _ => (
                raw / ups,
                (u128::from(raw % ups) * 1_000_000_000 / u128::from(ups)) as u64,
            ),
        };
        let (secs, nanos) = (secs.saturating_add_signed(self.offset_secs), nanos as u32);
        Duration::new(secs, nanos)
    }
}

/// A decoded block.
#[derive(Debug, PartialEq, Eq)]
pub enum Block<'a> {
    /// A section header: a new interface table begins.
    Section,
    /// An interface description.
    Interface(Interface),
    /// A packet: its interface, raw timestamp, captured bytes and length on the wire.
    Packet {
        /// Index into the section's interfaces.
        interface: u32,
        /// Raw timestamp in the interface's units.
        ts: u64,
        /// The captured bytes.
        data: &'a [u8],
        /// Length on the wire.
        orig_len: u32,
    },
    /// A simple packet block: interface 0, no timestamp.
    Simple {
        /// The captured bytes.
        data: &'a [u8],
        /// Length on the wire.
        orig_len: u32,
    },
    /// Anything else (statistics, name resolution, custom…).
    Other,
}

/// Decodes a whole block (`b` is the block from its type field to its trailing length).
/// `snaplen0` is interface 0's snapshot length, which bounds a simple packet block's data.
pub fn block(order: Order, b: &[u8], snaplen0: Option<u32>) -> Result<Block<'_>, String> {
    let kind = order.u32(b, 0);
    let body = &b[8..b.len() - 4];
    let need = |n: usize, what: &str| {
        if body.len() < n {
            Err(format!("{what} block too short ({} bytes)", b.len()))
        } else {
            Ok(())
        }
    };
    match kind {
        SECTION_HEADER => Ok(Block::Section),
        INTERFACE => {
            need(8, "interface description")?;
            let mut interface = Interface {
                link: LinkType(u32::from(order.u16(body, 0))),
                snaplen: order.u32(body, 4),
                name: None,
                units_per_sec: 1_000_000,
                offset_secs: 0,
            };
            for (code, value) in options(order, &body[8..]) {
                match (code, value) {
                    (2, name) => {
                        let name = name.split(|&c| c == 0).next().unwrap_or_default();
                        let name = &name[..name.len().min(MAX_NAME)];
                        interface.name = Some(String::from_utf8_lossy(name).into_owned());
                    }
                    (9, [v, ..]) => {
                        let exp = u32::from(v & 0x7f);
                        interface.units_per_sec = if v & 0x80 == 0 {
                            10u64.checked_pow(exp).ok_or("if_tsresol out of range")?
                        } else {
                            1u64.checked_shl(exp)
                                .filter(|&u| u > 0)
                                .ok_or("if_tsresol out of range")?
                        };
                    }
                    (14, v) if v.len() >= 8 => {
                        let raw = match order {
                            Order::Little => {
                                u64::from_le_bytes(v[..8].try_into().expect("8 bytes"))
                            }
                            Order::Big => u64::from_be_bytes(v[..8].try_into().expect("8 bytes")),
                        };
                        interface.offset_secs = raw as i64;
                    }
                    _ => {}
                }
            }
            Ok(Block::Interface(interface))
        }
        ENHANCED_PACKET | OBSOLETE_PACKET => {
            need(20, "packet")?;
            let interface = if kind == ENHANCED_PACKET {
                order.u32(body, 0)
            } else {
                u32::from(order.u16(body, 0))
            };
            let ts = (u64::from(order.u32(body, 4)) << 32) | u64::from(order.u32(body, 8));
            let captured = order.u32(body, 12) as usize;
            let data = body.get(20..20 + captured).ok_or_else(|| {
                format!("packet claims {captured} captured bytes, more than its block holds")
            })?;
            Ok(Block::Packet {
                interface,
                ts,
                data,
                orig_len: order.u32(body, 16),
            })
        }
        SIMPLE_PACKET => {
            need(4, "simple packet")?;
            let orig_len = order.u32(body, 0);
            let room = body.len() - 4;
            let len = (orig_len as usize).min(room).min(
                snaplen0
                    .filter(|&s| s > 0)
                    .map_or(usize::MAX, |s| s as usize),
            );
            Ok(Block::Simple {
                data: &body[4..4 + len],
                orig_len,
            })
        }
        _ => Ok(Block::Other),
    }
}

/// The options of a block: (code, value) until the end marker or the end of the area.
fn options(order: Order, mut area: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        if area.len() < 4 {
            return None;
        }
        let code = order.u16(area, 0);
        let len = usize::from(order.u16(area, 2));
        if code == 0 || area.len() < 4 + len {
            return None;
        }
        let value = &area[4..4 + len];
        area = &area[(4 + len.next_multiple_of(4)).min(area.len())..];
        Some((code, value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idb(options: &[u8]) -> Vec<u8> {
        let len = 20 + options.len();
        let mut b = Vec::new();
        b.extend(1u32.to_le_bytes());
        b.extend((len as u32).to_le_bytes());
        b.extend(113u16.to_le_bytes());
        b.extend([0, 0]);
        b.extend(262_144u32.to_le_bytes());
        b.extend(options);
        b.extend((len as u32).to_le_bytes());
        b
    }

    #[test]
    fn interface_options_name_resolution_and_offset() {
        let mut opts = vec![2, 0, 3, 0, b'a', b'n', b'y', 0];
        opts.extend([9, 0, 1, 0, 9, 0, 0, 0]);
        opts.extend([14, 0, 8, 0]);
        opts.extend(10i64.to_le_bytes());
        opts.extend([0, 0, 0, 0]);
        let Block::Interface(i) = block(Order::Little, &idb(&opts), None).unwrap() else {
            panic!("not an interface");
        };
        assert_eq!(i.name.as_deref(), Some("any"));
        assert_eq!(i.link, LinkType::LINUX_SLL);
        assert_eq!(i.units_per_sec, 1_000_000_000);
        assert_eq!(
            i.time(1_764_000_000_123_456_789),
            Duration::new(1_764_000_010, 123_456_789)
        );
        let Block::Interface(i) =
            block(Order::Little, &idb(&[9, 0, 1, 0, 0x94, 0, 0, 0]), None).unwrap()
        else {
            panic!("not an interface");
        };
        assert_eq!(i.units_per_sec, 1 << 20);
        assert_eq!(i.time((3 << 20) + (1 << 19)), Duration::new(3, 500_000_000));
    }

    #[test]
    fn packet_blocks_that_lie_are_errors() {
        let mut epb = Vec::new();
        epb.extend(6u32.to_le_bytes());
        epb.extend(36u32.to_le_bytes());
        for v in [0u32, 0, 1, 99, 99] {
            epb.extend(v.to_le_bytes());
        }
        epb.extend(36u32.to_le_bytes());
        let err = block(Order::Little, &epb, None).unwrap_err();
        assert!(err.contains("claims 99 captured bytes"), "{err}");
    }
}
