//! The records of a DNS message read directly when every one has a common shape (A, AAAA,
//! CNAME, NS or PTR data, empty data, one EDNS OPT among the additional records): most
//! responses on a network. `simple-dns` builds a vector of labels per name and a vector per
//! section; this reads the same bytes in place and, when only the message's validity is asked
//! for, allocates nothing. Any other shape gets `None` and the caller asks `simple-dns`, so
//! what is decoded, and what is malformed, stays what `simple-dns` says (a test holds the two
//! equal on every message this path accepts).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::dns::{Record, HEADER_LEN};

/// `simple-dns` refuses a name whose labels and length bytes reach this many bytes.
const MAX_NAME_LENGTH: usize = 255;
/// The longest label.
const MAX_LABEL_LENGTH: u8 = 63;
/// Pointers followed in one name at most (each must point back, so this is only a guard).
const MAX_POINTERS: usize = 128;
/// The header's reserved (Z) flag bit, which `simple-dns` refuses.
const RESERVED_FLAG: u16 = 0x0040;
/// The mDNS cache-flush bit of a record's class.
const CACHE_FLUSH: u16 = 0x8000;
/// The EDNS OPT pseudo-record's type.
const OPT: u16 = 41;

/// The answer section and the other records (authority, additional, the OPT record last), as
/// `simple-dns` would give them; empty vectors when `decode` is false. `None` when some part
/// of the message is not of a shape read here (the caller then asks `simple-dns`).
pub(super) fn read(data: &[u8], decode: bool) -> Option<(Vec<Record>, Vec<Record>)> {
    let header = data.get(..HEADER_LEN)?;
    let word = |at: usize| u16::from_be_bytes([header[at], header[at + 1]]);
    if word(2) & RESERVED_FLAG != 0 {
        return None;
    }
    let mut offset = HEADER_LEN;
    for _ in 0..word(4) {
        let end = name_end(data, offset, data.len())?;
        let fixed = data.get(end..end + 4)?;
        let qtype = u16::from_be_bytes([fixed[0], fixed[1]]);
        let qclass = u16::from_be_bytes([fixed[2], fixed[3]]);
        simple_dns::QTYPE::try_from(qtype).ok()?;
        simple_dns::QCLASS::try_from(qclass & 0x7fff).ok()?;
        offset = end + 4;
    }
    let mut answers = Vec::new();
    let mut others = Vec::new();
    let mut opt = false;
    for (section, count) in [word(6), word(8), word(10)].into_iter().enumerate() {
        for _ in 0..count {
            let name_at = offset;
            let end = name_end(data, name_at, data.len())?;
            let fixed = data.get(end..end + 10)?;
            let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
            let class = u16::from_be_bytes([fixed[2], fixed[3]]);
            let ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
            let rdata_start = end + 10;
            let rdata_end = rdata_start + usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
            let rdata = data.get(rdata_start..rdata_end)?;
            offset = rdata_end;
            if rtype == OPT {
                // Only the additional section's single OPT is taken out as EDNS.
                if section != 2 || opt || !options_fit(rdata) {
                    return None;
                }
                opt = true;
                continue;
            }
            simple_dns::CLASS::try_from(class & !CACHE_FLUSH).ok()?;
            let shown = match (rtype, rdata.len()) {
                (_, 0) => Shown::Nothing,
                (1, 4) => Shown::V4([rdata[0], rdata[1], rdata[2], rdata[3]]),
                (28, 16) => Shown::V6(rdata.try_into().ok()?),
                (2 | 5 | 12, _) => {
                    name_end(data, rdata_start, rdata_end)?;
                    Shown::Name(rdata_start)
                }
                _ => return None,
            };
            if decode {
                let record = Record {
                    name: name_text(data, name_at),
                    rtype,
                    ttl,
                    data: shown.text(data),
                };
                if section == 0 {
                    answers.push(record);
                } else {
                    others.push(record);
                }
            }
        }
    }
    if decode && opt {
        others.push(Record {
            name: "<Root>".into(),
            rtype: OPT,
            ttl: 0,
            data: String::new(),
        });
    }
    Some((answers, others))
}

/// What a record's data shows.
enum Shown {
    /// Nothing (empty data).
    Nothing,
    /// An IPv4 address.
    V4([u8; 4]),
    /// An IPv6 address.
    V6([u8; 16]),
    /// The name at this offset.
    Name(usize),
}

impl Shown {
    fn text(&self, data: &[u8]) -> String {
        match self {
            Shown::Nothing => String::new(),
            Shown::V4(a) => Ipv4Addr::from(*a).to_string(),
            Shown::V6(a) => Ipv6Addr::from(*a).to_string(),
            Shown::Name(at) => name_text(data, *at),
        }
    }
}

/// True when the OPT data is a whole number of options (code, length, data).
fn options_fit(mut rdata: &[u8]) -> bool {
    while !rdata.is_empty() {
        let Some(head) = rdata.get(..4) else {
            return false;
        };
        let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
        let Some(rest) = rdata.get(4 + len..) else {
            return false;
        };
        rdata = rest;
    }
    true
}

/// Where the name at `offset` ends in place (after its terminator or its first pointer), when
/// `simple-dns` would read it: labels of at most 63 bytes lying before `limit`, pointers that
/// point back, fewer than 255 bytes of labels in all.
fn name_end(data: &[u8], mut offset: usize, limit: usize) -> Option<usize> {
    let data = data.get(..limit)?;
    let mut end = None;
    let mut length = 0;
    for _ in 0..MAX_POINTERS {
        loop {
            let len = *data.get(offset)?;
            if len == 0 {
                return Some(end.unwrap_or(offset + 1));
            }
            if len & 0xc0 == 0xc0 {
                let low = *data.get(offset + 1)?;
                let target = usize::from(u16::from_be_bytes([len & 0x3f, low]));
                if target >= offset {
                    return None;
                }
                end.get_or_insert(offset + 2);
                offset = target;
                break;
            }
            length += 1 + usize::from(len);
            if length >= MAX_NAME_LENGTH || len > MAX_LABEL_LENGTH {
                return None;
            }
            offset += 1 + usize::from(len);
            data.get(..offset)?;
        }
    }
    None
}

/// The name at `offset` (already checked by [`name_end`]) as `simple-dns` shows it: labels
/// joined by dots, each read as UTF-8 (invalid bytes replaced), its own dots and backslashes
/// escaped; `<Root>` for the root.
fn name_text(data: &[u8], mut offset: usize) -> String {
    let mut name = String::with_capacity(32);
    for _ in 0..MAX_NAME_LENGTH {
        let Some(&len) = data.get(offset) else { break };
        if len == 0 {
            break;
        }
        if len & 0xc0 == 0xc0 {
            let low = data.get(offset + 1).copied().unwrap_or(0);
            offset = usize::from(u16::from_be_bytes([len & 0x3f, low]));
            continue;
        }
        let label = data
            .get(offset + 1..offset + 1 + usize::from(len))
            .unwrap_or_default();
        if !name.is_empty() {
            name.push('.');
        }
        for c in String::from_utf8_lossy(label).chars() {
            if c == '.' || c == '\\' {
                name.push('\\');
            }
            name.push(c);
        }
        offset += 1 + usize::from(len);
    }
    if name.is_empty() {
        name.push_str("<Root>");
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::dns::{encode_name, records_of};

    fn record(owner: &[u8], rtype: u16, class: u16, rdata: &[u8]) -> Vec<u8> {
        let mut r = owner.to_vec();
        r.extend(rtype.to_be_bytes());
        r.extend(class.to_be_bytes());
        r.extend(300u32.to_be_bytes());
        r.extend((rdata.len() as u16).to_be_bytes());
        r.extend(rdata);
        r
    }

    /// A response to `www.its.ac.id A`: a CNAME, two A, an AAAA, an NS and a PTR, an OPT.
    fn response() -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 4, 0, 1, 0, 2];
        m.extend(encode_name("www.its.ac.id"));
        m.extend([0, 1, 0, 1]);
        let q = [0xc0, 0x0c];
        m.extend(record(&q, 5, 1, &encode_name("web.its.ac.id")));
        m.extend(record(&[0xc0, 0x2b], 1, 1, &[10, 0, 0, 1]));
        m.extend(record(&[0xc0, 0x2b], 1, 0x8001, &[10, 0, 0, 2]));
        m.extend(record(
            &q,
            28,
            1,
            &[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        ));
        m.extend(record(&[0xc0, 0x10], 2, 1, &[2, b'n', b's', 0xc0, 0x10]));
        m.extend(record(
            &encode_name("1.0.0.10.in-addr.arpa"),
            12,
            1,
            &[0xc0, 0x1f],
        ));
        m.extend(record(&[0], 41, 1232, &[0, 10, 0, 2, 0xab, 0xcd]));
        m
    }

    #[test]
    fn common_records_are_read_as_simple_dns_reads_them() {
        let m = response();
        let (answers, others) = read(&m, true).expect("a common shape");
        let packet = simple_dns::Packet::parse(&m).unwrap();
        assert_eq!((answers.clone(), others.clone()), records_of(&packet));
        assert_eq!(answers.len(), 4);
        assert_eq!(answers[0].data, "web.its.ac.id");
        assert_eq!(answers[1].name, "web.its.ac.id");
        assert_eq!(answers[3].data, "2001:db8::1");
        assert_eq!(others.last().unwrap().rtype, OPT);
        assert_eq!(read(&m, false), Some((Vec::new(), Vec::new())));
    }

    #[test]
    fn other_shapes_are_left_to_simple_dns() {
        let mut m = vec![0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        m.extend(encode_name("its.ac.id"));
        m.extend([0, 15, 0, 1]);
        let mx = record(&[0xc0, 0x0c], 15, 1, &[0, 10, 0xc0, 0x0c]);
        assert_eq!(read(&[&m[..], &mx].concat(), true), None);
        // An A record of 5 bytes, a class simple-dns does not know, the reserved flag.
        let a5 = record(&[0xc0, 0x0c], 1, 1, &[1, 2, 3, 4, 5]);
        assert_eq!(read(&[&m[..], &a5].concat(), true), None);
        let class = record(&[0xc0, 0x0c], 1, 9, &[1, 2, 3, 4]);
        assert_eq!(read(&[&m[..], &class].concat(), true), None);
        let mut z = [&m[..], &record(&[0xc0, 0x0c], 1, 1, &[1, 2, 3, 4])].concat();
        assert!(read(&z, true).is_some());
        z[3] |= 0x40;
        assert_eq!(read(&z, true), None);
    }

    #[test]
    fn labels_with_dots_and_bad_bytes_are_shown_as_simple_dns_shows_them() {
        let mut m = vec![0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0];
        m.extend(record(
            &[3, b'a', b'.', b'\\', 2, 0xff, b'x', 0],
            1,
            1,
            &[1, 2, 3, 4],
        ));
        let (answers, _) = read(&m, true).unwrap();
        let packet = simple_dns::Packet::parse(&m).unwrap();
        assert_eq!(answers, records_of(&packet).0);
        assert_eq!(answers[0].name, "a\\.\\\\.\u{fffd}x");
    }

    /// Whatever bytes it is given, a message this path reads is one simple-dns reads alike.
    #[test]
    fn agrees_with_simple_dns_on_mangled_messages() {
        let mut next = crate::test_rng(0x5eed_d115);
        let good = response();
        let mut accepted = 0;
        for round in 0..50_000 {
            let mut b = good.clone();
            for _ in 0..1 + next() % 3 {
                let at = (next() as usize) % b.len();
                b[at] = match next() % 4 {
                    0 => 0,
                    1 => 0xc0,
                    2 => b[at].wrapping_add(1),
                    _ => next() as u8,
                };
            }
            if round % 3 == 0 {
                b.truncate((next() as usize) % (b.len() + 1));
            }
            let Some(ours) = read(&b, true) else { continue };
            accepted += 1;
            let packet = simple_dns::Packet::parse(&b)
                .unwrap_or_else(|e| panic!("simple-dns refuses what was read: {e} {b:02x?}"));
            assert_eq!(ours, records_of(&packet), "{b:02x?}");
            assert_eq!(read(&b, false), Some((Vec::new(), Vec::new())));
        }
        assert!(accepted > 5_000, "{accepted}");
    }
}
