//! DNS over TCP (RFC 1035 §4.2.2): each message is preceded by a two-byte length. Segments are
//! followed per direction by sequence number; retransmitted bytes are skipped, and after a gap
//! (a segment missing from the capture) framing restarts at the next segment.

use std::collections::HashMap;

use crate::analysis::Endpoint;
use crate::wire::{Tcp, TcpFlags};

/// The largest DNS-over-TCP frame: the length prefix and 65,535 bytes.
const MAX_FRAME: usize = 2 + 65_535;

#[derive(Debug, Default)]
struct Direction {
    next_seq: Option<u32>,
    buffer: Vec<u8>,
}

/// Splits the TCP byte streams of port-53 connections into DNS messages.
#[derive(Debug, Default)]
pub struct TcpFraming {
    directions: HashMap<(Endpoint, Endpoint), Direction>,
}

impl TcpFraming {
    /// Feeds one segment from `src` to `dst`; calls `on_message` with each message it completes.
    pub fn on_segment(
        &mut self,
        src: Endpoint,
        dst: Endpoint,
        tcp: &Tcp<'_>,
        on_message: &mut dyn FnMut(&[u8]),
    ) {
        let key = (src, dst);
        if tcp.flags.has(TcpFlags::SYN) {
            self.directions.insert(
                key,
                Direction {
                    next_seq: Some(tcp.seq.wrapping_add(1)),
                    buffer: Vec::new(),
                },
            );
            return;
        }
        if tcp.payload.is_empty() {
            if tcp.flags.has(TcpFlags::FIN) || tcp.flags.has(TcpFlags::RST) {
                self.directions.remove(&key);
            }
            return;
        }
        let direction = self.directions.entry(key).or_default();
        let mut payload = tcp.payload;
        let mut seq = tcp.seq;
        if let Some(next) = direction.next_seq {
            let ahead = next.wrapping_sub(seq) as i32;
            if ahead > 0 {
                // Bytes already seen (a retransmission): keep only what is new.
                let skip = (ahead as usize).min(payload.len());
                payload = &payload[skip..];
                seq = seq.wrapping_add(skip as u32);
            } else if ahead < 0 {
                // A gap: the message being assembled can never complete.
                direction.buffer.clear();
            }
        }
        if payload.is_empty() {
            return;
        }
        direction.next_seq = Some(seq.wrapping_add(payload.len() as u32));
        direction.buffer.extend_from_slice(payload);
        let mut start = 0;
        while let Some(len) = direction.buffer.get(start..start + 2) {
            let end = start + 2 + usize::from(u16::from_be_bytes([len[0], len[1]]));
            let Some(message) = direction.buffer.get(start + 2..end) else {
                break;
            };
            on_message(message);
            start = end;
        }
        direction.buffer.drain(..start);
        if direction.buffer.len() > MAX_FRAME {
            direction.buffer.clear();
        }
        if tcp.flags.has(TcpFlags::FIN) || tcp.flags.has(TcpFlags::RST) {
            self.directions.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn ep(port: u16) -> Endpoint {
        Endpoint {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port,
        }
    }

    fn segment(seq: u32, flags: u16, payload: &[u8]) -> Tcp<'_> {
        Tcp {
            src_port: 40000,
            dst_port: 53,
            seq,
            ack: 0,
            flags: TcpFlags(flags),
            window: 0,
            header_len: 20,
            len: payload.len() as u32,
            payload,
            option_bytes: &[],
        }
    }

    fn feed(framing: &mut TcpFraming, seq: u32, flags: u16, payload: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        framing.on_segment(ep(40000), ep(53), &segment(seq, flags, payload), &mut |m| {
            out.push(m.to_vec())
        });
        out
    }

    #[test]
    fn messages_split_across_segments_and_two_in_one() {
        let mut f = TcpFraming::default();
        assert!(feed(&mut f, 99, TcpFlags::SYN, b"").is_empty());
        assert!(feed(&mut f, 100, TcpFlags::ACK, b"\x00\x03ab").is_empty());
        assert_eq!(
            feed(&mut f, 104, TcpFlags::ACK, b"c\x00\x01x\x00"),
            vec![b"abc".to_vec(), b"x".to_vec()]
        );
        assert_eq!(
            feed(&mut f, 109, TcpFlags::ACK, b"\x02yz"),
            vec![b"yz".to_vec()]
        );
    }

    #[test]
    fn retransmitted_bytes_are_skipped() {
        let mut f = TcpFraming::default();
        feed(&mut f, 99, TcpFlags::SYN, b"");
        assert!(feed(&mut f, 100, TcpFlags::ACK, b"\x00\x04ab").is_empty());
        assert_eq!(
            feed(&mut f, 100, TcpFlags::ACK, b"\x00\x04abcd"),
            vec![b"abcd".to_vec()]
        );
        assert!(feed(&mut f, 100, TcpFlags::ACK, b"\x00\x04abcd").is_empty());
    }

    #[test]
    fn a_gap_restarts_framing() {
        let mut f = TcpFraming::default();
        feed(&mut f, 99, TcpFlags::SYN, b"");
        assert!(feed(&mut f, 100, TcpFlags::ACK, b"\x00\x09ab").is_empty());
        assert_eq!(
            feed(&mut f, 200, TcpFlags::ACK, b"\x00\x01z"),
            vec![b"z".to_vec()]
        );
    }

    #[test]
    fn random_segments_never_panic_and_stay_bounded() {
        let mut next = crate::test_rng(0x2545_f491_4f6c_dd1d);
        let mut f = TcpFraming::default();
        for _ in 0..5_000 {
            let payload: Vec<u8> = (0..next() % 1500).map(|_| next() as u8).collect();
            let flags =
                [TcpFlags::ACK, TcpFlags::SYN, TcpFlags::FIN, TcpFlags::RST][(next() % 4) as usize];
            let seq = next() as u32 % 10_000;
            feed(&mut f, seq, flags, &payload);
            assert!(f.directions.values().all(|d| d.buffer.len() <= MAX_FRAME));
        }
    }
}
