//! Entry points for the fuzz targets (`fuzz/`, `cargo +nightly fuzz run TARGET`) and for
//! `tests/fuzz_corpus.rs`, which replays their corpus on stable. Not part of labcap's API:
//! each takes arbitrary bytes, must never panic, and panics itself when an invariant breaks.

use std::io::Cursor;
use std::net::{IpAddr, Ipv4Addr};
use std::ops::ControlFlow;
use std::time::Duration;

use crate::analysis::dns::TcpFraming;
use crate::analysis::messages::framing::FrameRule;
use crate::analysis::Endpoint;
use crate::checks::{Expect, Expectations};
use crate::filter::Filter;
use crate::pipeline::{Pipeline, PipelineOptions};
use crate::report::diagram::{svg, DiagramOptions};
use crate::source::{FileSource, Frame, LinkType};
use crate::wire::{self, Packet, Tcp, TcpFlags};

/// Frames handed to the pipeline per input at most (a tiny input can describe many).
const MAX_FRAMES: u64 = 2_000;

/// The options of `labcap replay --frame any=crlf ... --follow 0` with every analyzer on, a
/// packet list, and checks of every kind that needs no spec file.
pub fn analyze_all_options() -> PipelineOptions {
    let mut options = PipelineOptions {
        list: true,
        follow: Some((0, 4096)),
        ..PipelineOptions::default()
    };
    options.messages.rules = vec![
        FrameRule::parse("53=length:2").unwrap(),
        FrameRule::parse("80-90=crlf,blank-line").unwrap(),
        FrameRule::parse("any=lf").unwrap(),
    ];
    options.messages.message_limit = 4096;
    options.expectations = Expectations::new(vec![
        Expect::Handshake,
        Expect::Close,
        Expect::Echo,
        Expect::Payload("hello".into()),
        Expect::Connections(1),
        Expect::Refused,
        Expect::NoRst,
        Expect::Concurrent,
        Expect::ServerSegments(vec![5, 0]),
        Expect::Query("example.com".into()),
        Expect::Answer("example.com".into()),
        Expect::Rcode("example.com".into(), 3),
        Expect::NoUnanswered,
        Expect::MinExchanges(1),
        Expect::ServerFirst,
        Expect::HttpLengths,
        Expect::NotInClear("secret".into()),
        Expect::MinConcurrent(2),
    ]);
    options
}

/// The whole replay path over a capture's bytes: read (pcap, pcapng, gzip, zstd), push every
/// frame through a listing pipeline with every analyzer, finish, evaluate the checks, draw.
pub fn replay(data: &[u8]) {
    let Ok(mut source) = FileSource::from_reader("fuzz", Cursor::new(data.to_vec())) else {
        return;
    };
    source.limit(MAX_FRAMES);
    let options = analyze_all_options();
    let expectations = options.expectations.clone();
    let mut pipeline = Pipeline::new(options);
    let mut lines = 0usize;
    let _ = source.for_each_frame(&mut |frame| {
        if let Some(line) = pipeline.push(&frame) {
            lines += format!("{line:?}").len();
        }
        ControlFlow::Continue(())
    });
    let analysis = pipeline.finish();
    let _ = expectations.evaluate(&analysis);
    let origin = analysis.stats.first_ts.unwrap_or_default();
    let connections: Vec<_> = analysis.connections.iter().take(3).collect();
    let _ = svg(&connections, origin, &DiagramOptions::default());
    if let Some(followed) = &analysis.follow {
        let _ = crate::report::follow::follow(followed, origin, 80);
    }
    std::hint::black_box(lines);
}

/// The link types labcap decodes.
pub const LINK_TYPES: [LinkType; 10] = [
    LinkType::NULL,
    LinkType::ETHERNET,
    LinkType::RAW_BSD,
    LinkType::RAW,
    LinkType::LOOP,
    LinkType::LINUX_SLL,
    LinkType::IPV4,
    LinkType::IPV6,
    LinkType::LINUX_SLL2,
    LinkType(147), // unsupported: reported, not decoded
];

/// One frame of each link type from `data` (the whole input, then cut one byte short of its
/// claimed length): the direct IPv4 path must decode it as etherparse's does.
pub fn decode(data: &[u8]) {
    for link in LINK_TYPES {
        for orig_len in [data.len() as u32, data.len() as u32 + 1] {
            let frame = Frame {
                ts: Duration::from_secs(1),
                link,
                data,
                orig_len,
                interface: Some("fuzz0"),
            };
            let (fast, slow) = wire::decode_paths(&frame);
            assert_eq!(fast, slow, "direct and general decodes differ for {link}");
        }
    }
}

/// A DNS message parsed (and described) from `data`; then `data` as a DNS-over-TCP byte
/// stream: its first byte picks chunk sizes, and the chunks are fed as consecutive segments.
pub fn dns(data: &[u8]) {
    if let Some(message) = wire::dns::Message::parse(data) {
        let _ = message.info();
        for r in message.answers.iter().chain(&message.others) {
            let _ = r.summary();
        }
        // Read into a message holding another one, it is the same; without its records, the
        // same but for them.
        let mut reused = wire::dns::Message::parse(b"\x12\x34\x81\x80\x00\x02\x00\x00\x00\x00\x00\x00\x01a\x00\x00\x01\x00\x01\x01b\x00\x00\x01\x00\x01")
            .expect("a header");
        assert!(reused.read(data, true));
        assert_eq!(reused, message);
        assert!(reused.read(data, false));
        let bare = wire::dns::Message {
            answers: Vec::new(),
            others: Vec::new(),
            ..message
        };
        assert_eq!(reused, bare);
    }
    let _ = wire::dns::Header::parse(data);
    let _ = wire::dns::first_question(data);

    let Some((&seed, stream)) = data.split_first() else {
        return;
    };
    let client = Endpoint {
        ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
        port: 40000,
    };
    let server = Endpoint {
        ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
        port: 53,
    };
    let segment = |seq: u32, flags: u16, payload| Tcp {
        src_port: client.port,
        dst_port: server.port,
        seq,
        ack: 0,
        flags: TcpFlags(flags),
        window: 0,
        header_len: 20,
        len: 0,
        payload,
        option_bytes: &[],
    };
    let mut framing = TcpFraming::default();
    let mut messages = 0usize;
    let mut on_message = |m: &[u8]| {
        messages += 1;
        let _ = wire::dns::Message::parse(m);
    };
    let mut seq = u32::from(seed).wrapping_mul(0x0101_0101).wrapping_sub(100);
    framing.on_segment(
        client,
        server,
        &segment(seq, TcpFlags::SYN, &[]),
        std::time::Duration::ZERO,
        &mut on_message,
    );
    seq = seq.wrapping_add(1);
    let mut rest = stream;
    let mut step = u64::from(seed) | 1;
    while !rest.is_empty() {
        step = step
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let n = ((step >> 33) as usize % 64 + 1).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        // Now and then a chunk is sent twice (a retransmission), which framing must skip.
        framing.on_segment(
            client,
            server,
            &segment(seq, TcpFlags::ACK, chunk),
            std::time::Duration::ZERO,
            &mut on_message,
        );
        if step >> 60 == 0 {
            framing.on_segment(
                client,
                server,
                &segment(seq, TcpFlags::ACK, chunk),
                std::time::Duration::ZERO,
                &mut on_message,
            );
        }
        seq = seq.wrapping_add(n as u32);
        rest = tail;
    }
    framing.on_segment(
        client,
        server,
        &segment(seq, TcpFlags::FIN, &[]),
        std::time::Duration::ZERO,
        &mut on_message,
    );
    std::hint::black_box(messages);
}

/// Fixed packets the filter target matches against: TCP, UDP DNS, IPv6, ARP, a cut frame.
pub fn filter_packets() -> Vec<(LinkType, Vec<u8>)> {
    let eth = |ether_type: [u8; 2], rest: &[u8]| {
        let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1];
        f.extend_from_slice(&ether_type);
        f.extend_from_slice(rest);
        f
    };
    let ipv4 = |proto: u8, src: [u8; 4], dst: [u8; 4], l4: &[u8]| {
        let total = (20 + l4.len()) as u16;
        let mut h = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, proto, 0, 0];
        h[2..4].copy_from_slice(&total.to_be_bytes());
        h.extend_from_slice(&src);
        h.extend_from_slice(&dst);
        let sum = checksum(&h);
        h[10..12].copy_from_slice(&sum.to_be_bytes());
        h.extend_from_slice(l4);
        h
    };
    let tcp = |sport: u16, dport: u16, flags: u8, payload: &[u8]| {
        let mut t = Vec::new();
        t.extend_from_slice(&sport.to_be_bytes());
        t.extend_from_slice(&dport.to_be_bytes());
        t.extend_from_slice(&1000u32.to_be_bytes());
        t.extend_from_slice(&2000u32.to_be_bytes());
        t.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        t.extend_from_slice(payload);
        t
    };
    let udp = |sport: u16, dport: u16, payload: &[u8]| {
        let mut u = Vec::new();
        u.extend_from_slice(&sport.to_be_bytes());
        u.extend_from_slice(&dport.to_be_bytes());
        u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        u.extend_from_slice(&[0, 0]);
        u.extend_from_slice(payload);
        u
    };
    let dns_query = [
        0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3,
        b'c', b'o', b'm', 0, 0, 1, 0, 1,
    ];
    let mut dns_response = dns_query.to_vec();
    dns_response[2] = 0x81;
    dns_response[3] = 0x83;
    let (a, b) = ([172, 16, 16, 101], [172, 16, 16, 102]);
    let resolver = [127, 0, 0, 11];
    let mut ipv6 = vec![0x60, 0, 0, 0, 0, 20, 6, 64];
    ipv6.extend_from_slice(&[0; 15]);
    ipv6.push(1);
    ipv6.extend_from_slice(&[0; 15]);
    ipv6.push(2);
    ipv6.extend_from_slice(&tcp(32434, 10000, 0x02, b""));
    let arp = eth(
        [0x08, 0x06],
        &[
            0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 172, 16, 16, 101, 0, 0, 0, 0, 0, 0,
        ],
    );
    vec![
        (
            LinkType::ETHERNET,
            eth([8, 0], &ipv4(6, a, b, &tcp(32434, 10000, 0x02, b""))),
        ),
        (
            LinkType::ETHERNET,
            eth(
                [8, 0],
                &ipv4(6, b, a, &tcp(10000, 32434, 0x18, b"hello\r\n")),
            ),
        ),
        (
            LinkType::ETHERNET,
            eth([8, 0], &ipv4(17, a, resolver, &udp(40000, 53, &dns_query))),
        ),
        (
            LinkType::ETHERNET,
            eth(
                [8, 0],
                &ipv4(17, resolver, a, &udp(53, 40000, &dns_response)),
            ),
        ),
        (
            LinkType::ETHERNET,
            eth(
                [8, 0],
                &ipv4(6, a, b, &tcp(32434, 80, 0x18, b"GET / HTTP/1.1\r\n\r\n")),
            ),
        ),
        (LinkType::ETHERNET, eth([0x86, 0xdd], &ipv6)),
        (LinkType::ETHERNET, arp),
        (LinkType::RAW, ipv4(6, a, b, &tcp(32434, 10000, 0x11, b""))),
        (LinkType::RAW, ipv4(17, b, a, &udp(5000, 5001, b"ping"))),
    ]
}

fn checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Why libpcap refused a BPF expression; `Ok` when it compiled (or rejects every packet).
pub fn check_filter(text: &str) -> Result<(), String> {
    let Ok(filter) = Filter::parse(text) else {
        return Ok(());
    };
    let _ = filter.text();
    let _ = filter.needs_streams();
    let bpf = filter.to_bpf();
    let _ = bpf.to_string();
    for (link, data) in filter_packets() {
        let frame = Frame {
            ts: Duration::from_secs(1),
            link,
            data: &data,
            orig_len: data.len() as u32,
            interface: None,
        };
        let packet: Packet<'_> = wire::decode(&frame);
        let ours = filter.matches(&packet);
        let Some(expr) = &bpf.expr else {
            continue;
        };
        // libpcap takes DLT values: LINKTYPE_RAW (101) is DLT_RAW (12).
        let dlt = if link == LinkType::RAW {
            12
        } else {
            link.0 as i32
        };
        let dead = pcap::Capture::dead(pcap::Linktype(dlt)).map_err(|e| e.to_string())?;
        // As live capture installs it: unoptimized (see source::live).
        let program = match dead.compile(expr, false) {
            Ok(program) => program,
            Err(e) if e.to_string().contains("rejects all packets") => {
                if ours {
                    return Err(format!(
                        "{text:?}: BPF {expr:?} rejects all packets but the matcher accepts one"
                    ));
                }
                continue;
            }
            Err(e) => return Err(format!("{text:?}: libpcap rejects {expr:?}: {e}")),
        };
        let kernel = program.filter(&data);
        if ours && !kernel {
            return Err(format!(
                "{text:?}: the matcher accepts packet {link} {data:02x?} but BPF {expr:?} ({}) does not",
                if bpf.exact { "exact" } else { "superset" }
            ));
        }
        if bpf.exact && kernel && !ours {
            return Err(format!(
                "{text:?}: exact BPF {expr:?} accepts packet {link} {data:02x?} the matcher rejects"
            ));
        }
    }
    Ok(())
}

/// The filter target: the input as filter text (lossy UTF-8).
pub fn filter(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = check_filter(&text) {
        panic!("{e}");
    }
}
