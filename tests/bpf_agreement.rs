//! The kernel back end, checked by libpcap itself: each filter's BPF translation compiles, and
//! on every fixture frame it selects exactly what the in-process matcher selects (or, where
//! the translation says superset, at least that).

mod common;

use std::ops::ControlFlow;

use common::all_fixtures;
use labcap::filter::Filter;
use labcap::source::FileSource;

const FILTERS: &[&str] = &[
    "tcp",
    "udp.port==53",
    "dns",
    "tcp.port==10000",
    "tcp.port != 10000",
    "tcp.srcport >= 32444",
    "tcp.dstport < 1024",
    "ip.addr == 127.0.0.0/8",
    "ip.addr == 127.0.0.5/8",
    "ip.src != 172.16.16.200/24",
    "ip.addr == 10.9.8.7/0 and not ip.dst != 1.2.3.4/0",
    "ipv6.addr == ::2/64",
    "ip.src == 172.16.16.101",
    "ipv6.addr == ::1",
    "ipv6",
    "tcp.flags.syn == 1 && tcp.flags.ack == 0",
    "tcp.flags.reset == 1",
    "tcp.flags.rst != 1",
    "tcp.flags.syn > 0",
    "tcp.flags.fin >= 1 or tcp.flags.push < 1",
    "tcp.len > 0",
    "frame.len >= 100",
    "ip.proto == 17 or ip.ttl < 64",
    "not tcp.port == 10000 and tcp",
    "udp.length > 20",
    "dns.flags.rcode == 3",
    "not dns.flags.response == 1 and dns",
];

#[test]
fn libpcap_selects_what_the_matcher_selects() {
    for path in all_fixtures() {
        let mut frames = Vec::new();
        FileSource::open(&path)
            .unwrap()
            .for_each_frame(&mut |f| {
                frames.push((f.link.0, f.data.to_vec(), f.orig_len, f.ts));
                ControlFlow::Continue(())
            })
            .unwrap();
        for text in FILTERS {
            let filter = Filter::parse(text).unwrap();
            let bpf = filter.to_bpf();
            for (link, data, orig_len, ts) in &frames {
                let frame = labcap::source::Frame {
                    ts: *ts,
                    link: labcap::source::LinkType(*link),
                    data,
                    orig_len: *orig_len,
                    interface: None,
                };
                let ours = filter.matches(&labcap::wire::decode(&frame));
                // libpcap takes DLT values: LINKTYPE_RAW (101) is DLT_RAW (12) here.
                let dlt = if *link == 101 { 12 } else { *link as i32 };
                let dead = pcap::Capture::dead(pcap::Linktype(dlt)).unwrap();
                let kernel = match &bpf.expr {
                    None => true,
                    Some(expr) => {
                        let program = dead
                            .compile(expr, true)
                            .unwrap_or_else(|e| panic!("{text} → {expr}: {e}"));
                        // The fixtures are not snaplen-cut, so the captured length is the wire length
                        // that `pcap_offline_filter` is given here.
                        assert_eq!(data.len() as u32, *orig_len);
                        program.filter(data)
                    }
                };
                if bpf.exact {
                    assert_eq!(kernel, ours, "{}: {text} → {bpf}", path.display());
                } else {
                    assert!(
                        kernel || !ours,
                        "{}: superset {bpf} missed a packet {text} matches",
                        path.display()
                    );
                }
            }
        }
    }
}
