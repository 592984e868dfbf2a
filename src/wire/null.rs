//! BSD loopback encapsulations: `NULL` (0, address family in the capturing host's byte order)
//! and `LOOP` (108, network byte order).

/// Length of the address-family header.
pub const HEADER_LEN: usize = 4;

/// The Ethernet type for a BSD address family, `None` for families labcap does not decode.
/// IPv6 has a different number on every BSD (24, 28, 30) and Linux (10).
fn ether_type(family: u32) -> Option<u16> {
    match family {
        2 => Some(0x0800),
        10 | 24 | 28 | 30 => Some(0x86dd),
        _ => None,
    }
}

/// Splits a NULL/LOOP frame into the Ethernet type of its payload and the payload.
/// `network_order` is true for LOOP; for NULL either byte order is accepted, as Wireshark does.
/// Returns `None` for a frame shorter than the header, and `Some((None, _))` for an unknown family.
pub fn parse(frame: &[u8], network_order: bool) -> Option<(Option<u16>, &[u8])> {
    let head: [u8; 4] = frame.get(..HEADER_LEN)?.try_into().ok()?;
    let family = if network_order {
        u32::from_be_bytes(head)
    } else {
        // The family is a small number: whichever byte order makes it small is the writer's.
        let le = u32::from_le_bytes(head);
        if le <= 0xffff {
            le
        } else {
            u32::from_be_bytes(head)
        }
    };
    Some((ether_type(family), &frame[HEADER_LEN..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_accepts_both_byte_orders() {
        assert_eq!(
            parse(&[2, 0, 0, 0, 0x45], false),
            Some((Some(0x0800), &[0x45][..]))
        );
        assert_eq!(parse(&[0, 0, 0, 2], false), Some((Some(0x0800), &[][..])));
        assert_eq!(parse(&[30, 0, 0, 0], false).unwrap().0, Some(0x86dd));
    }

    #[test]
    fn loop_is_network_order() {
        assert_eq!(parse(&[0, 0, 0, 24], true).unwrap().0, Some(0x86dd));
        assert_eq!(parse(&[24, 0, 0, 0], true).unwrap().0, None);
    }

    #[test]
    fn short_and_unknown() {
        assert_eq!(parse(&[2, 0, 0], false), None);
        assert_eq!(parse(&[99, 0, 0, 0], false).unwrap().0, None);
    }
}
