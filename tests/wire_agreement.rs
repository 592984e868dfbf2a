//! Link and network decoding against tshark on the captures of `scripts/make-wire-fixtures.sh`
//! (fixtures/wire/): IP fragments reassembled (IPv4 and IPv6, in and out of order, late copies,
//! overlaps), ICMP errors quoting a DNS query, VXLAN, GRE, ERSPAN, NSH and Geneve tunnels,
//! snaplen cuts, cut and invalid TCP/UDP headers and impossible IP lengths: per packet (every
//! occurrence of the address and port fields, what is DNS and its Info), per display filter,
//! per DNS transaction and per UDP conversation.

mod common;

use std::net::IpAddr;
use std::ops::ControlFlow;

use common::{fixture, replay, tshark, tshark_occurrences, wire_fixtures};
use labcap::pipeline::Decoder;
use labcap::source::FileSource;
use labcap::wire::{LayerRole, Packet, Transport};

/// One layer's IP and transport headers.
type Headers<'p, 'a> = (Option<labcap::wire::Ip>, &'p Transport<'a>);

/// Every occurrence of the address and port fields, as tshark lists them with
/// `-E occurrence=a` (outer headers first, an ICMP error's quote after the error).
fn occurrences(packet: &Packet<'_>) -> Vec<String> {
    let envelopes = packet
        .other_layers
        .iter()
        .filter(|l| l.role == LayerRole::Envelope);
    let after = packet
        .other_layers
        .iter()
        .filter(|l| l.role != LayerRole::Envelope);
    let layers: Vec<Headers<'_, '_>> = envelopes
        .map(|l| (l.ip, &l.transport))
        .chain([(packet.ip, &packet.transport)])
        .chain(after.map(|l| (l.ip, &l.transport)))
        .collect();
    let join = |f: &dyn Fn(&Headers<'_, '_>) -> Option<String>| {
        layers.iter().filter_map(f).collect::<Vec<_>>().join(",")
    };
    let addr = |v4: bool, src: bool| {
        join(&|(ip, _)| {
            let ip = (*ip)?;
            let a = if src { ip.src } else { ip.dst };
            (a.is_ipv4() == v4).then(|| a.to_string())
        })
    };
    let port = |tcp: bool, src: bool| {
        join(&|(_, t)| {
            match (t, tcp) {
                (Transport::Tcp(t), true) => Some(if src { t.src_port } else { t.dst_port }),
                (Transport::Udp(u), false) => Some(if src { u.src_port } else { u.dst_port }),
                _ => None,
            }
            .map(|p| p.to_string())
        })
    };
    vec![
        addr(true, true),
        addr(true, false),
        addr(false, true),
        addr(false, false),
        port(false, true),
        port(false, false),
        port(true, true),
        port(true, false),
    ]
}

const OCCURRENCE_FIELDS: &[&str] = &[
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "udp.srcport",
    "udp.dstport",
    "tcp.srcport",
    "tcp.dstport",
];

#[test]
fn every_address_and_port_occurrence_is_tsharks() {
    for path in wire_fixtures() {
        let mut ours = Vec::new();
        let mut decoder = Decoder::default();
        FileSource::open(&path)
            .unwrap()
            .for_each_frame(&mut |frame| {
                decoder.decode(&frame, |packet| ours.push(occurrences(packet)));
                ControlFlow::Continue(())
            })
            .unwrap();
        let theirs = tshark_occurrences(&path, None, OCCURRENCE_FIELDS, "a");
        assert_eq!(ours.len(), theirs.len(), "{}", path.display());
        for (n, (ours, theirs)) in ours.iter().zip(&theirs).enumerate() {
            for (i, field) in OCCURRENCE_FIELDS.iter().enumerate() {
                // tshark prints IPv6 addresses it cannot place in a row of its own
                // (`ipv6.src` of a quoted packet) the same way: compare as addresses.
                let norm = |s: &str| {
                    s.split(',')
                        .filter(|a| !a.is_empty())
                        .map(|a| a.parse::<IpAddr>().map_or(a.to_string(), |a| a.to_string()))
                        .collect::<Vec<_>>()
                };
                assert_eq!(
                    norm(&ours[i]),
                    norm(&theirs[i]),
                    "{} frame {}: {field}",
                    path.display(),
                    n + 1
                );
            }
        }
    }
}

#[test]
fn dns_and_the_snaplen_mark_are_tsharks_per_packet() {
    for path in wire_fixtures() {
        let (lines, _) = replay(&path, None);
        let rows = tshark(
            &path,
            None,
            &["frame.number", "_ws.col.Protocol", "_ws.col.Info"],
        );
        assert_eq!(lines.len(), rows.len(), "{}", path.display());
        for (line, row) in lines.iter().zip(&rows) {
            let at = format!("{} frame {}", path.display(), row[0]);
            assert_eq!(line.protocol == "DNS", row[1] == "DNS", "{at}: DNS");
            if row[1] == "DNS" {
                assert_eq!(line.info, row[2], "{at}: info");
            }
            let limited = |info: &str| info.contains("[Packet size limited during capture]");
            assert_eq!(limited(&line.info), limited(&row[2]), "{at}: snaplen mark");
        }
    }
}

#[test]
fn filters_select_tsharks_frames() {
    let filters = [
        "udp",
        "tcp",
        "dns",
        "udp.port==53",
        "ip.proto==17",
        "ip",
        "ipv6",
        "icmp",
        "icmpv6",
        "ip.addr==10.13.0.1",
        "ip.addr==10.13.0.2 && udp.port==53",
        "ip.addr==10.99.1.2",
        "ip.addr==192.168.42.2",
        "ipv6.addr==fd13::2",
        "ipv6.addr==fd99::2",
        "tcp.port==8000",
        "tcp.port==80",
        "udp.port==4789",
        "udp.port==6081",
        "ip.addr!=10.13.0.1",
        "udp.port!=53",
        "udp and not dns",
        "dns.flags.response==1",
        "dns.id==0x1001",
        "tcp.flags.syn==1",
        "ip.src==10.99.4.1 && tcp",
        "udp.stream==2",
        "udp.stream==3",
        "udp.stream==5 && tcp",
        // Fields read from the IP header's bytes, of every header: inner, outer and quoted.
        "ip.flags.df == 1",
        "ip.flags.mf == 0",
        "ip.id == 0",
        "ipv6.hlim == 64",
        "icmp.type == 3",
        "icmp.type == 3 && icmp.code == 3",
        "icmpv6.type == 1 && icmpv6.code == 4",
    ];
    for path in wire_fixtures() {
        for f in filters {
            common::assert_selects_tsharks_frames(&path, f);
        }
    }
}

#[test]
fn fragmented_dns_answers_are_transactions_with_tsharks_answers() {
    for name in ["wire/frag-dns.pcap", "wire/odd-frames.pcap"] {
        let path = fixture(name);
        let (_, analysis) = replay(&path, None);
        let rows = tshark_occurrences(
            &path,
            Some("dns.flags.response==1"),
            &[
                "dns.id",
                "dns.qry.name",
                "dns.qry.type",
                "dns.flags.rcode",
                "dns.count.answers",
                "dns.time",
            ],
            "a",
        );
        assert!(rows.len() >= 2, "{name}: {rows:?}");
        for row in &rows {
            let id = u16::from_str_radix(row[0].trim_start_matches("0x"), 16).unwrap();
            let t = analysis
                .dns
                .transactions
                .iter()
                .find(|t| t.id == id && t.rcode.is_some())
                .unwrap_or_else(|| panic!("{name}: no answered transaction 0x{id:04x}"));
            assert_eq!(t.qname, row[1], "0x{id:04x}");
            assert_eq!(t.qtype.to_string(), row[2], "0x{id:04x}");
            assert_eq!(t.rcode.map(|r| r.to_string()).as_deref(), Some(&*row[3]));
            assert_eq!(t.answers.len().to_string(), row[4], "0x{id:04x} answers");
            if let Some(latency) = t.latency() {
                assert_eq!(
                    format!("{:.9}", latency.as_secs_f64()),
                    row[5],
                    "0x{id:04x}"
                );
            }
        }
    }
    let (_, analysis) = replay(&fixture("wire/frag-dns.pcap"), None);
    assert_eq!(analysis.dns.totals.unanswered.count, 0);
    let f = analysis.stats.fragments;
    assert_eq!((f.fragments, f.reassembled), (6, 2));
    let (_, analysis) = replay(&fixture("wire/odd-frames.pcap"), None);
    let f = analysis.stats.fragments;
    assert_eq!(
        (f.reassembled, f.duplicates, f.incomplete_at_end),
        (2, 2, 1),
        "{f:?}"
    );
}

#[test]
fn udp_conversations_agree_with_tshark() {
    for path in wire_fixtures() {
        common::assert_udp_conversations_as_tsharks(&path);
    }
}

#[test]
fn tcp_inside_a_tunnel_and_cut_by_the_snaplen_is_analysed_as_tshark_does() {
    for name in [
        "wire/vxlan.pcap",
        "wire/gre-geneve.pcap",
        "wire/snaplen.pcap",
    ] {
        let path = fixture(name);
        let (lines, _) = replay(&path, None);
        let fields = ["tcp.stream", "tcp.seq", "tcp.ack", "tcp.len", "tcp.flags"];
        let rows = tshark(&path, None, &fields);
        assert_eq!(lines.len(), rows.len(), "{name}");
        let mut segments = 0;
        for (n, (line, row)) in lines.iter().zip(&rows).enumerate() {
            let at = format!("{name} frame {}", n + 1);
            let Some(e) = line.tcp else {
                assert_eq!(row[0], "", "{at}: TCP for tshark");
                continue;
            };
            segments += 1;
            let ours = [
                line.stream.unwrap().to_string(),
                e.seq.to_string(),
                e.ack.to_string(),
                e.len.to_string(),
                format!("0x{:04x}", e.flags.0),
            ];
            assert_eq!(ours.as_slice(), row.as_slice(), "{at}");
        }
        assert!(segments >= 2, "{name}: {segments} segments");
    }
}

#[test]
fn icmp_errors_read_as_tshark_reads_them() {
    let path = fixture("wire/icmp-unreach.pcap");
    let (lines, _) = replay(&path, Some("icmp or icmpv6"));
    let ours: Vec<Vec<String>> = lines
        .iter()
        .map(|l| vec![l.number.to_string(), l.protocol.to_string(), l.info.clone()])
        .collect();
    let theirs = tshark(
        &path,
        Some("icmp or icmpv6"),
        &["frame.number", "_ws.col.Protocol", "_ws.col.Info"],
    );
    assert!(!theirs.is_empty());
    assert_eq!(ours, theirs);
}
