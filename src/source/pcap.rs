//! Classic pcap (libpcap's format): a 24-byte file header, then 16-byte record headers each
//! followed by the captured bytes. Either byte order, microsecond or nanosecond timestamps.

use std::time::Duration;

use super::LinkType;

/// Byte order of a file or section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Little-endian.
    Little,
    /// Big-endian.
    Big,
}

impl Order {
    /// A `u16` at `at`.
    pub fn u16(self, b: &[u8], at: usize) -> u16 {
        let v = [b[at], b[at + 1]];
        match self {
            Order::Little => u16::from_le_bytes(v),
            Order::Big => u16::from_be_bytes(v),
        }
    }

    /// A `u32` at `at`.
    pub fn u32(self, b: &[u8], at: usize) -> u32 {
        let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        match self {
            Order::Little => u32::from_le_bytes(v),
            Order::Big => u32::from_be_bytes(v),
        }
    }
}

/// Length of the file header.
pub const FILE_HEADER: usize = 24;
/// Length of a record header.
pub const RECORD_HEADER: usize = 16;

/// What the file header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileHeader {
    /// Byte order of every field.
    pub order: Order,
    /// Timestamps in nanoseconds (else microseconds).
    pub nanos: bool,
    /// The link type of every record.
    pub link: LinkType,
}

/// The byte order and timestamp resolution (true: nanoseconds) a pcap magic number says;
/// `None` when `b` does not start with one.
pub fn magic(b: &[u8]) -> Option<(Order, bool)> {
    match b.get(..4)? {
        [0xd4, 0xc3, 0xb2, 0xa1] => Some((Order::Little, false)),
        [0xa1, 0xb2, 0xc3, 0xd4] => Some((Order::Big, false)),
        [0x4d, 0x3c, 0xb2, 0xa1] => Some((Order::Little, true)),
        [0xa1, 0xb2, 0x3c, 0x4d] => Some((Order::Big, true)),
        _ => None,
    }
}

/// Reads the file header; `None` when the magic number is not pcap's or the header is cut.
pub fn file_header(b: &[u8]) -> Option<FileHeader> {
    let (order, nanos) = magic(b)?;
    let b = b.get(..FILE_HEADER)?;
    // The upper bits of the link-type field carry FCS information, not the type.
    let link = LinkType(order.u32(b, 20) & 0x0fff_ffff);
    Some(FileHeader { order, nanos, link })
}

/// A record header: time, bytes captured, length on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Capture time.
    pub ts: Duration,
    /// Bytes that follow in the file.
    pub captured: u32,
    /// Length on the wire.
    pub orig_len: u32,
}

/// Reads a 16-byte record header.
pub fn record(header: &FileHeader, b: &[u8]) -> Record {
    let o = header.order;
    let frac = o.u32(b, 4);
    let nanos = if header.nanos {
        frac.min(999_999_999)
    } else {
        frac.min(999_999) * 1000
    };
    Record {
        ts: Duration::new(u64::from(o.u32(b, 0)), nanos),
        captured: o.u32(b, 8),
        orig_len: o.u32(b, 12),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_orders_and_resolutions() {
        let mut le = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        le.extend([0; 8]);
        le.extend(65535u32.to_le_bytes());
        le.extend(113u32.to_le_bytes());
        let h = file_header(&le).unwrap();
        assert_eq!(
            (h.order, h.nanos, h.link),
            (Order::Little, false, LinkType::LINUX_SLL)
        );
        let mut rec = Vec::new();
        for v in [7u32, 250, 60, 74] {
            rec.extend(v.to_le_bytes());
        }
        let r = record(&h, &rec);
        assert_eq!(r.ts, Duration::new(7, 250_000));
        assert_eq!((r.captured, r.orig_len), (60, 74));
        let mut be = vec![0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4];
        be.extend([0; 8]);
        be.extend(65535u32.to_be_bytes());
        be.extend((0x1000_0001u32).to_be_bytes());
        let h = file_header(&be).unwrap();
        assert_eq!(
            (h.order, h.nanos, h.link),
            (Order::Big, true, LinkType::ETHERNET)
        );
        assert_eq!(file_header(b"\x0a\x0d\x0d\x0a"), None);
    }
}
