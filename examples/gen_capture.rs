//! Generates a large, realistic capture of the lab for the benchmark (`scripts/bench.sh`):
//! Linux cooked v1 pcapng as Wireshark records it on `any`, with many interleaved echo sessions
//! on the lab's ports (handshake, client data, the echo in 32-byte pieces, ACKs, FIN or RST
//! closes), refused connections, DNS lookups (answers, NXDOMAIN, unanswered) and noise.
//!
//! Usage: cargo run --release --example gen_capture -- OUT.pcapng PACKETS

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

use labcap::source::{Frame, LinkType, PcapngWriter};

/// xorshift64*: deterministic, so every run makes the same file.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;
const FIN: u8 = 0x01;
const SERVER: Ipv4Addr = Ipv4Addr::new(172, 16, 16, 101);
const MESSAGE: &[u8] = b"INI ADALAH DATA YANG DIKIRIM ABCDEFGHIJKLMNOPQ";

/// A packet to write: bytes after the SLL header, and the SLL packet type.
struct Out {
    outgoing: bool,
    ip: Vec<u8>,
}

fn checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, payload: &[u8]) -> Vec<u8> {
    let total = 20 + payload.len();
    let mut p = Vec::with_capacity(total);
    p.extend([
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        0,
        0x40,
        0,
        64,
        protocol,
        0,
        0,
    ]);
    p.extend(src.octets());
    p.extend(dst.octets());
    let c = checksum(&p);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p.extend(payload);
    p
}

#[allow(clippy::too_many_arguments)]
fn tcp(
    src: (Ipv4Addr, u16),
    dst: (Ipv4Addr, u16),
    seq: u32,
    ack: u32,
    flags: u8,
    data: &[u8],
    ts: u32,
) -> Vec<u8> {
    let syn = flags & SYN != 0;
    let options: Vec<u8> = if syn {
        // MSS, SACK permitted, timestamps, window scale: as Linux sends them.
        let mut o = vec![2, 4, 0x05, 0xb4, 4, 2, 8, 10];
        o.extend(ts.to_be_bytes());
        o.extend(0u32.to_be_bytes());
        o.extend([1, 3, 3, 7]);
        o
    } else {
        let mut o = vec![1, 1, 8, 10];
        o.extend(ts.to_be_bytes());
        o.extend(ts.wrapping_sub(3).to_be_bytes());
        o
    };
    let header_len = 20 + options.len();
    let mut t = Vec::with_capacity(header_len + data.len());
    t.extend(src.1.to_be_bytes());
    t.extend(dst.1.to_be_bytes());
    t.extend(seq.to_be_bytes());
    t.extend(if flags & ACK != 0 { ack } else { 0 }.to_be_bytes());
    t.extend([((header_len / 4) << 4) as u8, flags]);
    t.extend(if syn { 64240u16 } else { 502 }.to_be_bytes());
    t.extend([0, 0, 0, 0]);
    t.extend(options);
    t.extend(data);
    ipv4(src.0, dst.0, 6, &t)
}

fn udp(src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), data: &[u8]) -> Vec<u8> {
    let len = 8 + data.len();
    let mut u = Vec::with_capacity(len);
    u.extend(src.1.to_be_bytes());
    u.extend(dst.1.to_be_bytes());
    u.extend((len as u16).to_be_bytes());
    u.extend([0, 0]);
    u.extend(data);
    ipv4(src.0, dst.0, 17, &u)
}

fn dns_message(
    id: u16,
    response: bool,
    rcode: u8,
    name: &str,
    qtype: u16,
    answer: Option<&[u8]>,
) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend(id.to_be_bytes());
    m.extend(if response {
        [0x81, 0x80 | rcode]
    } else {
        [0x01, 0x00]
    });
    m.extend([0, 1, 0, u8::from(answer.is_some()), 0, 0, 0, 0]);
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend(label.as_bytes());
    }
    m.extend([0]);
    m.extend(qtype.to_be_bytes());
    m.extend([0, 1]);
    if let Some(rdata) = answer {
        m.extend([0xc0, 0x0c]);
        m.extend(qtype.to_be_bytes());
        m.extend([0, 1, 0, 0, 0, 60]);
        m.extend((rdata.len() as u16).to_be_bytes());
        m.extend(rdata);
    }
    m
}

/// One scripted exchange: its packets, in order.
fn session(rng: &mut Rng, k: u64) -> Vec<Out> {
    let client_ip = Ipv4Addr::new(
        172,
        16,
        (16 + (k / (250 * 28_000))) as u8,
        2 + ((k / 28_000) % 250) as u8,
    );
    let cport = 32768 + (k % 28_000) as u16;
    let kind = rng.below(100);
    let ts = rng.next() as u32;
    let mut out = Vec::new();
    if kind < 8 {
        // A DNS lookup from the loopback side, as Docker's resolver sees it.
        let lo = Ipv4Addr::new(127, 0, 0, 1);
        let resolver = (Ipv4Addr::new(127, 0, 0, 11), 53);
        let c = (lo, cport);
        let id = rng.next() as u16;
        let (name, rcode, answer, qtype): (&str, u8, Option<&[u8]>, u16) = match rng.below(10) {
            0 => ("www.espnfc.cosm", 3, None, 1),
            1 => (
                "www.its.ac.id",
                0,
                Some(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]),
                28,
            ),
            2..=4 => ("www.its.ac.id", 0, Some(&[203, 0, 113, 5]), 1),
            _ => ("www.espnfc.com", 0, Some(&[192, 0, 2, 10]), 1),
        };
        out.push(Out {
            outgoing: true,
            ip: udp(c, resolver, &dns_message(id, false, 0, name, qtype, None)),
        });
        if rng.below(50) != 0 {
            out.push(Out {
                outgoing: false,
                ip: udp(
                    resolver,
                    c,
                    &dns_message(id, true, rcode, name, qtype, answer),
                ),
            });
        }
        return out;
    }
    if kind < 10 {
        // Noise: a datagram to a port nobody analyses.
        let data = vec![b'n'; 20 + rng.below(200) as usize];
        out.push(Out {
            outgoing: true,
            ip: udp((client_ip, cport), (SERVER, 9999), &data),
        });
        return out;
    }
    if kind < 14 {
        // Lab task 2: nothing listens on this machine's localhost.
        let lo = Ipv4Addr::new(127, 0, 0, 1);
        let isn = rng.next() as u32;
        out.push(Out {
            outgoing: true,
            ip: tcp((lo, cport), (lo, 10000), isn, 0, SYN, &[], ts),
        });
        out.push(Out {
            outgoing: false,
            ip: tcp(
                (lo, 10000),
                (lo, cport),
                0,
                isn.wrapping_add(1),
                RST | ACK,
                &[],
                ts,
            ),
        });
        return out;
    }
    let (port, data): (u16, Vec<u8>) = match kind % 3 {
        0 => (10000, MESSAGE.to_vec()),
        1 => {
            let len = 97 + rng.below(1500) as usize;
            (32444, (0..len).map(|i| b'a' + (i % 26) as u8).collect())
        }
        _ => (32434, MESSAGE.to_vec()),
    };
    let c = (client_ip, cport);
    let s = (SERVER, port);
    let (mut cseq, mut sseq) = (rng.next() as u32, rng.next() as u32);
    // The capture is on the server (mesin1): client packets arrive, server packets go out.
    let to_s = |seq: u32, ack: u32, flags: u8, d: &[u8]| Out {
        outgoing: false,
        ip: tcp(c, s, seq, ack, flags, d, ts),
    };
    let to_c = |seq: u32, ack: u32, flags: u8, d: &[u8]| Out {
        outgoing: true,
        ip: tcp(s, c, seq, ack, flags, d, ts),
    };
    out.push(to_s(cseq, 0, SYN, &[]));
    out.push(to_c(sseq, cseq.wrapping_add(1), SYN | ACK, &[]));
    cseq = cseq.wrapping_add(1);
    sseq = sseq.wrapping_add(1);
    out.push(to_s(cseq, sseq, ACK, &[]));
    for piece in data.chunks(1448) {
        out.push(to_s(cseq, sseq, PSH | ACK, piece));
        cseq = cseq.wrapping_add(piece.len() as u32);
        out.push(to_c(sseq, cseq, ACK, &[]));
    }
    for (i, piece) in data.chunks(32).enumerate() {
        out.push(to_c(sseq, cseq, PSH | ACK, piece));
        sseq = sseq.wrapping_add(piece.len() as u32);
        if i % 2 == 1 || (i + 1) * 32 >= data.len() {
            out.push(to_s(cseq, sseq, ACK, &[]));
        }
    }
    if rng.below(10) == 0 {
        out.push(to_s(cseq, sseq, RST | ACK, &[]));
    } else {
        out.push(to_s(cseq, sseq, FIN | ACK, &[]));
        cseq = cseq.wrapping_add(1);
        out.push(to_c(sseq, cseq, FIN | ACK, &[]));
        sseq = sseq.wrapping_add(1);
        out.push(to_s(cseq, sseq, ACK, &[]));
    }
    out
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(count)) = (args.get(1), args.get(2).and_then(|n| n.parse::<u64>().ok()))
    else {
        anyhow::bail!("usage: gen_capture OUT.pcapng PACKETS");
    };
    let mut writer = PcapngWriter::create(Path::new(path), LinkType::LINUX_SLL, "any", 262_144)?;
    let mut rng = Rng(0x1abc_a9f0_2026_1124);
    // 64 sessions in flight, their packets interleaved.
    let mut active: Vec<std::collections::VecDeque<Out>> = Vec::new();
    let mut next_session = 0;
    let mut ts = Duration::new(1_764_000_000, 0);
    let mut frame = Vec::with_capacity(2048);
    for _ in 0..count {
        while active.len() < 64 {
            active.push(session(&mut rng, next_session).into());
            next_session += 1;
        }
        let i = rng.below(active.len() as u64) as usize;
        let out = active[i].pop_front().expect("sessions are never empty");
        if active[i].is_empty() {
            active.swap_remove(i);
        }
        ts += Duration::from_nanos(2_000 + rng.below(30_000));
        frame.clear();
        // SLL v1: packet type, ARPHRD_ETHER, address length 6, address, protocol IPv4.
        frame.extend(if out.outgoing { 4u16 } else { 0 }.to_be_bytes());
        frame.extend([
            0, 1, 0, 6, 0x02, 0x42, 0xac, 0x10, 0x10, 0x65, 0, 0, 0x08, 0x00,
        ]);
        frame.extend(&out.ip);
        writer.write(&Frame {
            ts,
            link: LinkType::LINUX_SLL,
            data: &frame,
            orig_len: frame.len() as u32,
            interface: Some("any"),
        })?;
    }
    writer.finish()?;
    Ok(())
}
