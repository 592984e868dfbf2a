//! The memory cap (`--memcap`): a capture whose state outgrows it is still read to its end,
//! what was evicted is counted in the report, and a check that needed it cannot pass.

mod common;

use std::ops::ControlFlow;

use common::{labcap, Scratch};
use labcap::source::FileSource;

/// An IPv4 TCP segment (raw IP link type).
fn segment(
    src: [u8; 4],
    dst: [u8; 4],
    ports: (u16, u16),
    seq: u32,
    ack: u32,
    flags: u8,
    data: &[u8],
) -> Vec<u8> {
    let mut p = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0];
    p.extend(src);
    p.extend(dst);
    let total = (p.len() + 20 + data.len()) as u16;
    p[2..4].copy_from_slice(&total.to_be_bytes());
    p.extend(ports.0.to_be_bytes());
    p.extend(ports.1.to_be_bytes());
    p.extend(seq.to_be_bytes());
    p.extend(ack.to_be_bytes());
    p.extend([5 << 4, flags, 0xff, 0xff, 0, 0, 0, 0]);
    p.extend(data);
    p
}

/// A raw-IP pcap of `packets`, one per millisecond.
fn pcap(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(0xa1b2c3d4u32.to_le_bytes());
    out.extend(2u16.to_le_bytes());
    out.extend(4u16.to_le_bytes());
    out.extend([0; 8]);
    out.extend(65535u32.to_le_bytes());
    out.extend(101u32.to_le_bytes());
    for (i, p) in packets.iter().enumerate() {
        out.extend((i as u32 / 1000).to_le_bytes());
        out.extend((i as u32 % 1000 * 1000).to_le_bytes());
        out.extend((p.len() as u32).to_le_bytes());
        out.extend((p.len() as u32).to_le_bytes());
        out.extend(p);
    }
    out
}

/// An echo session on 32434, then `syns` half-open connections to the same port.
fn echo_then_syn_flood(syns: u32) -> Vec<u8> {
    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;
    const PSH: u8 = 0x08;
    const FIN: u8 = 0x01;
    let (c, s) = ([172, 16, 16, 102], [172, 16, 16, 101]);
    let (cp, sp) = ((40000, 32434), (32434, 40000));
    let mut p = vec![
        segment(c, s, cp, 100, 0, SYN, b""),
        segment(s, c, sp, 500, 101, SYN | ACK, b""),
        segment(c, s, cp, 101, 501, ACK, b""),
        segment(c, s, cp, 101, 501, PSH | ACK, b"hello"),
        segment(s, c, sp, 501, 106, PSH | ACK, b"hello"),
        segment(c, s, cp, 106, 506, FIN | ACK, b""),
        segment(s, c, sp, 506, 107, FIN | ACK, b""),
        segment(c, s, cp, 107, 507, ACK, b""),
    ];
    for i in 0..syns {
        let src = [10, 1, (i >> 8) as u8, i as u8];
        p.push(segment(
            src,
            s,
            (20000 + (i % 40000) as u16, 32434),
            i,
            0,
            SYN,
            b"",
        ));
    }
    pcap(&p)
}

#[test]
fn a_check_whose_connections_were_evicted_cannot_pass() {
    let dir = Scratch::new("memcap");
    let path = dir.write("flood.pcap", &echo_then_syn_flood(8_000));
    let path = path.to_str().unwrap();
    let args = [
        "replay",
        path,
        "-Y",
        "tcp.port==32434",
        "--summary",
        "--expect-echo",
    ];
    // Under the default cap everything fits: the echo session passes.
    let (code, out, err) = labcap(&args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("PASS") && !out.contains("memory cap"), "{out}");
    // Under 1 MiB the quietest connections go first, the echo session among them.
    let (code, out, _) = labcap(&[&args[..], &["--memcap", "1M"]].concat());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL echo: cannot tell: ")
            && out.contains("evicted under the 1 MiB memory cap"),
        "{out}"
    );
    assert!(out.contains("memory cap 1 MiB reached: evicted "), "{out}");
    // Every connection is still counted.
    assert!(
        out.contains("8,001 TCP connections") || out.contains("8001 TCP connections"),
        "{out}"
    );
    let (_, json, _) = labcap(&[&args[..], &["--memcap", "1M", "--json"]].concat());
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["memory"]["memcap"], 1 << 20);
    let evicted = doc["memory"]["evicted"]["tcp_connections"]
        .as_u64()
        .unwrap();
    assert!(evicted > 1_000 && evicted < 8_001, "{evicted}");
}

#[test]
fn memcap_sizes_are_checked() {
    let dir = Scratch::new("memcap");
    let path = dir.write("small.pcap", &echo_then_syn_flood(0));
    let path = path.to_str().unwrap();
    for bad in ["12", "64X", "lots"] {
        let (code, _, err) = labcap(&["replay", path, "--memcap", bad]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.contains("--memcap"), "{err}");
        let (code, _, err) = labcap(&["grade", "--spec", "tugas1", "--memcap", bad, "x"]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.contains("--memcap"), "{err}");
    }
}

#[test]
fn thousands_of_long_interface_names_are_cut_and_then_dropped() {
    let dir = Scratch::new("memcap");
    let mut f = Vec::new();
    let block = |f: &mut Vec<u8>, kind: u32, body: &[u8]| {
        let pad = (4 - body.len() % 4) % 4;
        let len = (12 + body.len() + pad) as u32;
        f.extend(kind.to_le_bytes());
        f.extend(len.to_le_bytes());
        f.extend(body);
        f.extend(vec![0; pad]);
        f.extend(len.to_le_bytes());
    };
    let mut shb = 0x1a2b3c4du32.to_le_bytes().to_vec();
    shb.extend([1, 0, 0, 0]);
    shb.extend((-1i64).to_le_bytes());
    block(&mut f, 0x0a0d0d0a, &shb);
    let interfaces = 5_000u32;
    for _ in 0..interfaces {
        let mut idb = vec![101, 0, 0, 0];
        idb.extend(65535u32.to_le_bytes());
        idb.extend([2, 0]);
        idb.extend(1000u16.to_le_bytes());
        idb.extend([b'n'; 1000]);
        idb.extend([0, 0, 0, 0]);
        block(&mut f, 1, &idb);
    }
    let packet = segment([10, 0, 0, 1], [10, 0, 0, 2], (1, 2), 0, 0, 0x02, b"");
    for i in [0, interfaces - 1] {
        let mut epb = i.to_le_bytes().to_vec();
        epb.extend([0; 8]);
        epb.extend((packet.len() as u32).to_le_bytes());
        epb.extend((packet.len() as u32).to_le_bytes());
        epb.extend(&packet);
        block(&mut f, 6, &epb);
    }
    let path = dir.write("interfaces.pcapng", &f);
    let mut names = Vec::new();
    FileSource::open(&path)
        .unwrap()
        .for_each_frame(&mut |frame| {
            names.push(frame.interface.map(str::len));
            ControlFlow::Continue(())
        })
        .unwrap();
    // The first name is cut to 256 bytes; past 1 MiB of names, interfaces have none.
    assert_eq!(names, [Some(256), None]);
}
