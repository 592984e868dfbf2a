//! labcap against tshark on the real captures in fixtures/: every packet's addresses,
//! timestamps to the nanosecond, TCP stream, relative seq/ack, length, flags, window and
//! analysis findings; and which packets display filters select.

mod common;

use common::{all_fixtures, fixture, replay, tshark};
use labcap::analysis::tcp::Findings;

const FIELDS: &[&str] = &[
    "frame.number",
    "frame.time_epoch",
    "frame.len",
    "ip.src",
    "ipv6.src",
    "ip.dst",
    "ipv6.dst",
    "tcp.stream",
    "tcp.seq",
    "tcp.ack",
    "tcp.len",
    "tcp.flags",
    "tcp.window_size",
    "_ws.col.Info",
    "tcp.analysis.flags",
];

fn flag(row: &[String], i: usize) -> bool {
    !row[i].is_empty()
}

/// Lengths of the server's data segments: how the echo was cut.
fn server_segment_lengths(c: &labcap::analysis::tcp::Connection) -> Vec<u32> {
    c.events
        .iter()
        .filter(|e| e.dir == labcap::analysis::tcp::Direction::ServerToClient && e.len > 0)
        .map(|e| e.len)
        .collect()
}

#[test]
fn every_packet_agrees_with_tshark() {
    // Then one column per tcp.analysis.<name> field.
    let analysis_fields: Vec<String> = Findings::FIELDS
        .iter()
        .map(|(name, _)| format!("tcp.analysis.{name}"))
        .collect();
    let mut fields = FIELDS.to_vec();
    fields.extend(analysis_fields.iter().map(String::as_str));
    for path in all_fixtures() {
        let name = path.display().to_string();
        let (lines, analysis) = replay(&path, None);
        let oracle = tshark(&path, None, &fields);
        assert_eq!(lines.len(), oracle.len(), "{name}: packet count");
        assert_eq!(
            analysis.stats.malformed, 0,
            "{name}: real captures are not malformed"
        );
        let origin = analysis.stats.first_ts.unwrap().as_nanos() as i128;
        for (ours, row) in lines.iter().zip(&oracle) {
            let at = format!("{name} frame {}", row[0]);
            assert_eq!(ours.number.to_string(), row[0], "{at}");
            let (secs, frac) = row[1].split_once('.').unwrap();
            let epoch: i128 = secs.parse::<i128>().unwrap() * 1_000_000_000
                + format!("{frac:0<9}")[..9].parse::<i128>().unwrap();
            assert_eq!(origin + ours.rel_nanos, epoch, "{at}: timestamp");
            assert_eq!(ours.length.to_string(), row[2], "{at}: frame.len");
            let src = if row[3].is_empty() { &row[4] } else { &row[3] };
            let dst = if row[5].is_empty() { &row[6] } else { &row[5] };
            assert_eq!(&ours.src, src, "{at}: source");
            assert_eq!(&ours.dst, dst, "{at}: destination");
            if row[7].is_empty() {
                assert!(ours.tcp.is_none(), "{at}: not TCP for tshark");
                continue;
            }
            let e = ours.tcp.expect("TCP for tshark");
            assert_eq!(ours.stream.unwrap().to_string(), row[7], "{at}: tcp.stream");
            assert_eq!(e.seq.to_string(), row[8], "{at}: tcp.seq");
            if e.flags.has(labcap::wire::TcpFlags::ACK) {
                assert_eq!(e.ack.to_string(), row[9], "{at}: tcp.ack");
            }
            assert_eq!(e.len.to_string(), row[10], "{at}: tcp.len");
            assert_eq!(format!("0x{:04x}", e.flags.0), row[11], "{at}: tcp.flags");
            assert_eq!(e.win.to_string(), row[12], "{at}: tcp.window_size");
            if ours.protocol == "TCP" {
                assert_eq!(ours.info, row[13], "{at}: Info");
            }
            // The tcp.analysis fields, in the columns after the Info column.
            assert_eq!(
                e.findings.any(Findings::ALL),
                flag(row, 14),
                "{at}: tcp.analysis.flags"
            );
            for (i, (field, bits)) in Findings::FIELDS.iter().enumerate() {
                assert_eq!(
                    e.findings.any(*bits),
                    flag(row, 15 + i),
                    "{at}: tcp.analysis.{field}"
                );
            }
        }
    }
}

#[test]
fn display_filters_select_the_packets_tshark_selects() {
    let filters = [
        "tcp.port==10000",
        "tcp.port == 32444 && tcp.len > 0",
        "tcp.flags.syn==1 and tcp.flags.ack==0",
        "tcp.flags.reset == 1 || tcp.flags.fin == 1",
        "udp.port==53",
        "dns",
        "udp and not dns",
        "ip.addr == 127.0.0.0/8 and !(tcp.srcport < 20000)",
        "ipv6",
        "ipv6.addr == ::1 && tcp.flags.push == 1",
        "tcp.port != 10000",
        "ip.src == 172.16.16.101 and tcp.len >= 548",
        "frame.len > 100 or udp",
        "tcp.window_size_value < 1000",
        "ip.ttl == 64 && ip.proto == 6",
        "tcp.flags == 0x018",
        "dns.flags.rcode == 3 || dns.flags.rcode == 5",
        "dns.flags.rcode == 0",
        "dns.flags.response == 0 && udp",
        "dns.qry.type == 28 and dns.count.answers > 0",
        "dns.id > 0x8000",
    ];
    for path in all_fixtures() {
        for f in filters {
            common::assert_selects_tsharks_frames(&path, f);
        }
    }
}

#[test]
fn lab_echo_is_recognised_in_every_link_layer() {
    for name in [
        "lo-echo.pcap",
        "lo-echo-be.pcap",
        "any-sll2-ns.pcap",
        "veth-echo.pcap",
    ] {
        let (_, analysis) = replay(&fixture(name), Some("tcp.port==10000"));
        let echoed: Vec<_> = analysis
            .connections
            .iter()
            .filter(|c| c.handshake)
            .collect();
        assert_eq!(echoed.len(), 1, "{name}");
        let c = echoed[0];
        assert!(c.echo(), "{name}: echo");
        assert_eq!(c.c2s.bytes(), 46, "{name}");
        assert_eq!(
            c.c2s.scan.preview,
            b"INI ADALAH DATA YANG DIKIRIM ABCDEFGHIJKLMNOPQ"
        );
        assert_eq!(c.zeek.conn_state(), "SF", "{name}");
        // The lab's server echoes with recv(32): PSH,ACK of 32 then 14 bytes.
        assert_eq!(server_segment_lengths(c), vec![32, 14], "{name}");
    }
    let (_, lo) = replay(&fixture("lo-echo.pcap"), None);
    assert!(lo.connections[0].refused());
    assert_eq!(lo.connections[0].zeek.conn_state(), "REJ");
}

#[test]
fn a_97_byte_file_comes_back_in_32_byte_pieces() {
    let (_, analysis) = replay(&fixture("any-sll.pcapng"), Some("tcp.port==32444"));
    let c = &analysis.connections[0];
    assert!(c.echo());
    assert_eq!(server_segment_lengths(c), vec![32, 32, 32, 1]);
}

#[test]
fn the_lossy_link_retransmits_and_still_echoes() {
    let (_, analysis) = replay(&fixture("lossy.pcap"), None);
    let c = &analysis.connections[0];
    assert!(c.retransmissions > 0);
    assert!(c.echo());
    assert_eq!(c.c2s.bytes(), 30000);
    assert_eq!(c.s2c.bytes(), 30000);
}

#[test]
fn two_clients_overlap_on_32434() {
    let f = fixture("concurrent.pcapng");
    let (_, analysis) = replay(&f, Some("tcp.port==32434"));
    use labcap::checks::{Expect, Expectations};
    let expect = Expectations::new(vec![
        Expect::Concurrent,
        Expect::Echo,
        Expect::Handshake,
        Expect::Close,
        Expect::Connections(2),
    ]);
    for check in expect.evaluate(&analysis) {
        assert!(check.passed, "{}: {}", check.name, check.detail);
    }
    // The second client's handshake completes before the first connection ends (backlog).
    let (a, b) = (&analysis.connections[0], &analysis.connections[1]);
    assert!(b.start < a.end);
}

#[test]
fn udp_conversations_agree_with_tshark_on_every_fixture() {
    for path in common::all_fixtures() {
        common::assert_udp_conversations_as_tsharks(&path);
    }
}

#[test]
fn http_requests_and_responses_agree_with_tshark() {
    let path = fixture("course/http/mesin1.pcapng");
    let (_, analysis) = replay(&path, None);
    let mut args = vec![
        "-r",
        path.to_str().unwrap(),
        "-d",
        "tcp.port==8885,http",
        "-Y",
        "http",
    ];
    args.extend(["-T", "fields", "-E", "separator=|", "-e", "tcp.stream"]);
    args.extend(["-e", "http.request.method", "-e", "http.request.uri"]);
    args.extend([
        "-e",
        "http.response.code",
        "-e",
        "http.location",
        "-e",
        "http.content_type",
    ]);
    let text = common::tshark_output(&args);
    let (mut requests, mut responses) = (Vec::new(), Vec::new());
    for line in text.lines() {
        // Several messages in one frame (pipelining) come as comma-separated occurrences.
        let f: Vec<Vec<&str>> = line.split('|').map(|v| v.split(',').collect()).collect();
        let at = |field: usize, i: usize| f[field].get(i).copied().unwrap_or("");
        for i in 0..f[1].len() {
            if !at(1, i).is_empty() {
                requests.push(format!("{} {} {}", at(0, 0), at(1, i), at(2, i)));
            }
        }
        for i in 0..f[3].len() {
            if !at(3, i).is_empty() {
                responses.push(format!(
                    "{} {} {} {}",
                    at(0, 0),
                    at(3, i),
                    at(4, i),
                    at(5, i)
                ));
            }
        }
    }
    let ours_requests: Vec<String> = analysis
        .http
        .transactions
        .iter()
        .map(|t| {
            let r = &t.request;
            format!(
                "{} {} {}",
                t.stream,
                r.method.as_deref().unwrap(),
                r.uri.as_deref().unwrap()
            )
        })
        .collect();
    let ours_responses: Vec<String> = analysis
        .http
        .transactions
        .iter()
        .filter_map(|t| {
            let r = t.response.as_ref()?;
            Some(format!(
                "{} {} {} {}",
                t.stream,
                r.status?,
                r.location.as_deref().unwrap_or(""),
                r.content_type.as_deref().unwrap_or("")
            ))
        })
        .collect();
    assert_eq!(ours_requests.len(), 6);
    assert_eq!(ours_requests, requests);
    assert_eq!(ours_responses, responses);
}

#[test]
fn tls_handshakes_agree_with_tshark() {
    let path = fixture("course/tls/mesin1.pcapng");
    let (_, analysis) = replay(&path, None);
    let rows = tshark(
        &path,
        Some("tls.handshake.type==1 || tls.handshake.type==2"),
        &[
            "tcp.stream",
            "tls.handshake.type",
            "tls.handshake.extensions_server_name",
            "tls.handshake.version",
            "tls.handshake.extensions.supported_version",
            "tls.handshake.ciphersuite",
        ],
    );
    let sessions = &analysis.tls.sessions;
    assert_eq!(sessions.len(), 2);
    for row in rows {
        let s = sessions
            .iter()
            .find(|s| s.stream.to_string() == row[0])
            .unwrap();
        let hex = |v: u16| format!("0x{v:04x}");
        if row[1].starts_with('1') {
            assert_eq!(s.client_hello.sni.as_deref().unwrap_or(""), row[2]);
        } else {
            // The server's supported_versions extension, else its hello's version.
            let want = if row[4].is_empty() { &row[3] } else { &row[4] };
            assert_eq!(hex(s.version().unwrap()), *want, "stream {}", row[0]);
            assert_eq!(
                hex(s.server_hello.cipher.unwrap()),
                row[5],
                "stream {}",
                row[0]
            );
        }
    }
    // TLS 1.2 shows the certificate: its names, as tshark reads them.
    let names = common::tshark_occurrences(
        &path,
        Some("tls.handshake.type==11"),
        &["x509ce.dNSName"],
        "a",
    );
    let dns: Vec<String> = sessions[0]
        .server_hello
        .cert_san
        .iter()
        .filter_map(|n| n.strip_prefix("DNS:").map(str::to_string))
        .collect();
    assert_eq!(dns.join(","), names[0][0]);
}

#[test]
fn http_and_tls_filters_select_tsharks_frames() {
    let http = fixture("course/http/mesin1.pcapng");
    let decode = ["-d", "tcp.port==8885,http"];
    for filter in [
        "http",
        "http.request",
        "http.response",
        "http.request.method == \"GET\"",
        "http.request.uri == \"/video\"",
        "http.request.uri != \"/\"",
        "http.host == \"172.16.16.101:8885\"",
        "http.response.code == 302",
        "http.response.code >= 400",
        "http.content_type == \"text/html\"",
        "http && tcp.srcport == 8885",
    ] {
        let (ours, theirs) = common::selected_frames(&http, filter, &decode);
        assert!(
            !theirs.is_empty() || filter.contains("host"),
            "{filter}: tshark selects nothing"
        );
        assert_eq!(ours, theirs, "{filter}");
    }
    // The course file server's `GET name\r\n` lines are not HTTP (no version): labcap, which
    // recognises HTTP by content on any port, must not take them for it.
    let files = fixture("course/fileserver/mesin1.pcapng");
    for filter in ["http", "http.request.method == \"GET\""] {
        let (ours, theirs) = common::selected_frames(&files, filter, &[]);
        assert_eq!(ours, theirs, "{filter} on the file server");
    }
    let tls = fixture("course/tls/mesin1.pcapng");
    for filter in [
        "tls",
        "tls.handshake.type == 1",
        "tls.handshake.type == 2",
        "tls.handshake.type == 11",
        "tls.handshake.type != 1",
        "tls.handshake.extensions_server_name == \"mesin1\"",
        "tls.handshake.extensions_server_name == \"localhost\"",
    ] {
        let (ours, theirs) = common::selected_frames(&tls, filter, &[]);
        assert!(!theirs.is_empty(), "{filter}: tshark selects nothing");
        assert_eq!(ours, theirs, "{filter}");
    }
}

#[test]
fn ethernet_address_filters_select_tsharks_frames() {
    // lo-echo.pcap is Ethernet (all-zero addresses on loopback); veth-echo.pcap has real ones.
    for (path, filters) in [
        (
            fixture("veth-echo.pcap"),
            vec![
                "eth.src == 00:00:00:00:00:00",
                "eth.addr == ff:ff:ff:ff:ff:ff",
            ],
        ),
        (
            fixture("lo-echo.pcap"),
            vec![
                "eth.dst == 00:00:00:00:00:00",
                "eth.src != 00:00:00:00:00:00",
            ],
        ),
    ] {
        let macs = tshark(&path, None, &["eth.src", "eth.dst"]);
        let mut all: Vec<String> = filters.iter().map(|f| f.to_string()).collect();
        // The capture's own addresses, each way.
        for row in macs.iter().take(3) {
            all.push(format!("eth.src == {}", row[0]));
            all.push(format!("eth.dst == {}", row[1]));
            all.push(format!("eth.addr == {}", row[1]));
        }
        for filter in all {
            let (ours, theirs) = common::selected_frames(&path, &filter, &[]);
            assert_eq!(ours, theirs, "{} {filter}", path.display());
        }
    }
    // Linux cooked frames carry no Ethernet header: nothing matches, as in tshark.
    let (ours, theirs) = common::selected_frames(
        &fixture("any-sll.pcapng"),
        "eth.addr == 00:00:00:00:00:00",
        &[],
    );
    assert_eq!((ours.len(), theirs.len()), (0, 0));
}

#[test]
fn stream_filters_select_tsharks_frames() {
    for (path, filters) in [
        (
            fixture("mesin1.pcapng"),
            vec![
                "tcp.stream == 0",
                "tcp.stream == 3",
                "tcp.stream >= 2",
                "tcp.stream != 1 && tcp",
            ],
        ),
        (
            fixture("mesin2.pcapng"),
            vec![
                "tcp.stream == 2",
                "udp.stream == 0",
                "udp.stream > 3",
                "udp.stream == 5 || tcp.stream == 1",
            ],
        ),
        (
            fixture("dns.pcapng"),
            vec![
                "udp.stream == 1",
                "udp.stream != 1 && udp",
                "tcp.stream == 0",
            ],
        ),
        (fixture("lossy.pcap"), vec!["tcp.stream == 0"]),
    ] {
        for filter in filters {
            let (ours, theirs) = common::selected_frames(&path, filter, &[]);
            assert!(!theirs.is_empty(), "{filter}: tshark selects nothing");
            assert_eq!(ours, theirs, "{} {filter}", path.display());
        }
    }
    // The same filters without a packet list (replay --summary) count the same frames.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_labcap"))
        .arg("replay")
        .arg(fixture("mesin1.pcapng"))
        .args(["--summary", "-Y", "tcp.stream == 3"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let (_, theirs) = common::selected_frames(&fixture("mesin1.pcapng"), "tcp.stream == 3", &[]);
    assert!(
        text.contains(&format!("{} matched", theirs.len())),
        "{text}"
    );
}

/// tshark's `-z follow,tcp,raw,N`: each chunk's direction (node 0 or 1) and bytes.
fn tshark_follow(path: &std::path::Path, stream: u32) -> Vec<(bool, Vec<u8>)> {
    let follow = format!("follow,tcp,raw,{stream}");
    let text = common::tshark_output(&["-n", "-r", path.to_str().unwrap(), "-q", "-z", &follow]);
    let hex = |s: &str| {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect::<Vec<u8>>()
    };
    text.lines()
        .skip_while(|l| !l.starts_with("Node 1:"))
        .skip(1)
        .take_while(|l| !l.starts_with("===="))
        .map(|l| (l.starts_with('\t'), hex(l.trim())))
        .collect()
}

#[test]
fn follow_shows_tsharks_bytes() {
    use labcap::analysis::tcp::Direction;
    for (name, streams) in [
        ("mesin1.pcapng", vec![0, 1, 2, 3]),
        ("lossy.pcap", vec![0]),
        ("course/fileserver/mesin1.pcapng", vec![0, 1, 2]),
    ] {
        let path = fixture(name);
        for stream in streams {
            let options = labcap::pipeline::PipelineOptions {
                follow: Some((stream, 1 << 20)),
                ..Default::default()
            };
            let (mut analyses, read) =
                labcap::pipeline::analyse_file(&path, std::slice::from_ref(&options));
            read.unwrap();
            let followed = analyses.pop().unwrap().follow.unwrap();
            let side = |server: bool| -> Vec<u8> {
                followed
                    .chunks
                    .iter()
                    .filter(|c| (c.dir == Direction::ServerToClient) == server)
                    .flat_map(|c| c.bytes.clone())
                    .collect()
            };
            let theirs = tshark_follow(&path, stream);
            // Node 0 is the first sender; here the client.
            for server in [false, true] {
                let want: Vec<u8> = theirs
                    .iter()
                    .filter(|(s, _)| *s == server)
                    .flat_map(|(_, b)| b.clone())
                    .collect();
                assert_eq!(side(server), want, "{name} stream {stream} server={server}");
            }
        }
    }
    // The view: both sides marked, a line per text line, the limit said.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_labcap"))
        .arg("replay")
        .arg(fixture("mesin1.pcapng"))
        .args(["--follow", "1", "--follow-limit", "100"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("client → 97 bytes") && text.contains("← server 3 bytes"),
        "{text}"
    );
    assert!(
        text.contains("  Baris kedua, dikirim dengan sendall().\\n"),
        "{text}"
    );
    assert!(
        text.contains("… 94 more bytes not shown (raise --follow-limit)"),
        "{text}"
    );
    // Long payloads wrap (30,000 bytes each way on the lossy link).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_labcap"))
        .arg("replay")
        .arg(fixture("lossy.pcap"))
        .args(["--follow", "0"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().count() > 100, "{text}");
    // (The counts line at the end is the usual one, wrapped on a terminal only.)
    let view: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("packets read"))
        .collect();
    assert!(view.iter().all(|l| l.chars().count() <= 80), "{text}");
}

#[test]
fn dns_query_name_filters_select_tsharks_frames() {
    let path = fixture("dns.pcapng");
    for filter in [
        "dns.qry.name == \"www.espnfc.cosm\"",
        "dns.qry.name == www.its.ac.id",
        "dns.qry.name != \"www.its.ac.id\" && dns",
        "dns.qry.name == \"www.espnfc.com\" && dns.flags.response == 1",
        "dns.qry.name > \"u\"",
    ] {
        let (ours, theirs) = common::selected_frames(&path, filter, &[]);
        assert!(!theirs.is_empty(), "{filter}: tshark selects nothing");
        assert_eq!(ours, theirs, "{filter}");
    }
}
