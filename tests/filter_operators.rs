//! Display filters with Wireshark 4's operators — `contains`, `matches` / `~`, `in {…}` with
//! ranges, `&` masks, byte slices — and the fields added with them (payloads, frame number and
//! relative time, IP flags and fragments, DNS records), held against tshark's saved answers:
//! labcap selects exactly the frames tshark selects on real captures, and every filter selects
//! something somewhere, so no case passes for want of packets. Then the filters tshark refuses:
//! labcap refuses them too, with one line saying why at the place in the filter.

mod common;

use common::{fixture, replay};
use labcap::filter::Filter;

const ECHO: &str = "mesin1.pcapng";
const COOKED: &str = "any-sll.pcapng";
const DNS: &str = "dns.pcapng";
const ETHERNET: &str = "lo-echo.pcap";
const MIXED: &str = "mixed.pcapng";
const LOSSY: &str = "lossy.pcap";
const HTTP: &str = "course/http/mesin1.pcapng";
const TLS: &str = "course/tls/mesin1.pcapng";
const FRAGMENTS: &str = "filters/fragments.pcap";

/// Each filter and the fixtures it is run on.
const SELECTIONS: &[(&str, &[&str])] = &[
    // contains: strings and bytes, on protocols, payloads and text fields.
    ("frame contains \"GET\"", &[HTTP, ECHO]),
    ("frame contains 47:45:54", &[HTTP]),
    ("tcp contains \"HTTP\"", &[HTTP, TLS]),
    ("ip contains \"GET\"", &[HTTP]),
    ("udp contains \"its\"", &[DNS]),
    ("ipv6 contains \"IPv6\"", &[COOKED]),
    ("tcp.payload contains 0d:0a", &[HTTP, ECHO]),
    ("tcp.payload contains \"\\x47ET\"", &[HTTP]),
    ("udp.payload contains 00:01", &[DNS]),
    ("dns contains \"espnfc\"", &[DNS]),
    ("http contains \"GET\"", &[HTTP]),
    ("tls contains 16:03", &[TLS]),
    ("tls matches \"mesin\"", &[TLS]),
    ("dns.qry.name contains \"its\"", &[DNS]),
    ("http.host contains \"8885\"", &[HTTP]),
    (
        "tls.handshake.extensions_server_name contains \"mesin\"",
        &[TLS],
    ),
    // matches / ~: case-insensitive unless (?-i), over bytes.
    ("tcp.payload matches \"^get /\"", &[HTTP]),
    ("tcp.payload ~ \"(?-i)^GET /video\"", &[HTTP]),
    ("tcp.payload matches \"\\\\d{3} Found\"", &[HTTP]),
    ("frame matches r\"HTTP/1\\.[01]\"", &[HTTP]),
    ("dns.qry.name matches \"^WWW\\\\.\"", &[DNS]),
    ("http.request.uri matches \"vid\"", &[HTTP]),
    // in: sets of values and ranges, on numbers, addresses, texts, times.
    ("tcp.port in {10000, 32434}", &[ECHO, COOKED]),
    ("tcp.port in {32434..32444}", &[ECHO]),
    ("tcp.srcport in {1..10001}", &[ECHO]),
    ("udp.port in {53, 5353}", &[DNS]),
    ("ip.src in {172.16.16.100..172.16.16.101}", &[HTTP]),
    ("ip.addr in {127.0.0.1, 172.16.16.0/24}", &[ECHO, COOKED]),
    ("http.request.method in {\"GET\", \"POST\"}", &[HTTP]),
    ("dns.qry.type in {1, 28}", &[DNS]),
    ("frame.number in {3, 5..7}", &[ECHO]),
    ("frame.time_relative in {0..0.0005}", &[HTTP]),
    // & masks, alone and compared.
    ("tcp.flags & 0x02", &[ECHO]),
    ("tcp.flags & 0x12 == 0x12", &[ECHO]),
    ("tcp.flags & 0x12 != 0x10", &[ECHO]),
    ("tcp.flags bitwise_and 0x04", &[MIXED]),
    ("tcp.port & 1 == 0", &[ECHO]),
    // Slices.
    ("tcp.payload[0:3] == \"GET\"", &[HTTP]),
    ("tcp.payload[0:3] == 47:45:54", &[HTTP]),
    ("tcp.payload[-2:] == 0d:0a", &[HTTP]),
    ("tcp.payload[1-2] == \"ET\"", &[HTTP]),
    ("tcp.payload[:4] == \"HTTP\"", &[HTTP]),
    ("ip[0] == 45", &[HTTP]),
    ("frame[12:2] == 08:00", &[ETHERNET, ECHO]),
    ("tcp[13] == 0x12", &[ECHO]),
    ("udp[0:2] == 00:35", &[DNS]),
    ("dns[0:2] == 00:37", &[DNS]),
    ("http[0:3] == \"GET\"", &[HTTP]),
    // Payload fields; byte strings order the shorter first.
    ("tcp.payload", &[HTTP, ECHO]),
    ("udp.payload", &[DNS]),
    ("tcp.payload > 47", &[COOKED]),
    ("tcp.payload == 0a", &[COOKED]),
    // DNS records.
    ("dns.resp.name == \"www.its.ac.id\"", &[DNS]),
    ("dns.resp.name == \"<Root>\"", &[DNS]),
    ("dns.a == 203.0.113.5", &[DNS]),
    ("dns.a", &[DNS]),
    ("dns.aaaa == 2001:db8::5", &[DNS]),
    ("dns.cname == \"www.its.ac.id\"", &[DNS]),
    ("dns.count.answers > 1", &[DNS]),
    ("dns.qry.name == \"www.its.ac.id\"", &[DNS]),
    // Frame fields the pipeline knows.
    ("frame.number > 50", &[ECHO]),
    ("frame.number == 1", &[DNS, ECHO]),
    ("frame.time_relative > 0.5", &[LOSSY, ECHO]),
    (
        "frame.time_relative >= 0.0005 and frame.time_relative < 0.003",
        &[HTTP],
    ),
    ("frame.cap_len < 100", &[DNS]),
    ("tcp.stream eq 1", &[ECHO]),
    ("udp.stream == 2", &[DNS]),
    // IP header fields, fragments.
    ("ip.flags.df == 1", &[ECHO]),
    ("ip.flags.df == 0", &[DNS]),
    ("ip.flags.mf == 1", &[FRAGMENTS, DNS]),
    ("ip.frag_offset > 0", &[FRAGMENTS]),
    ("ip.frag_offset == 185", &[FRAGMENTS]),
    ("ip.flags == 2", &[ECHO]),
    ("ip.id > 30000", &[ECHO]),
    ("ipv6.nxt == 44", &[FRAGMENTS]),
    ("ipv6.nxt == 6", &[COOKED]),
    ("ipv6.hlim == 64", &[COOKED]),
];

/// Filters tshark selects nothing with on these fixtures, each beside a twin above that selects:
/// `contains` and `==` are case-sensitive, a range is of each value, not of either port.
const NOTHING: &[(&str, &str)] = &[
    ("dns.qry.name contains \"ITS\"", DNS),
    ("tcp.payload matches \"(?-i)^get\"", HTTP),
    ("tcp.port in {20000..30000}", ECHO),
    ("tcp.payload[0:3] == \"get\"", HTTP),
];

/// The frames labcap and tshark select in `name` with `filter` (HTTP decoded on the course's
/// port 8885, as labcap recognises it by content).
fn selected(name: &str, filter: &str) -> (Vec<u64>, Vec<u64>) {
    common::selected_frames(&fixture(name), filter, &["-d", "tcp.port==8885,http"])
}

#[test]
fn operators_and_fields_select_the_frames_tshark_selects() {
    let mut failures = Vec::new();
    for (filter, files) in SELECTIONS {
        let mut selects = false;
        for name in *files {
            let (ours, theirs) = selected(name, filter);
            selects |= !theirs.is_empty();
            if ours != theirs {
                failures.push(format!(
                    "{name}: {filter}: labcap {ours:?}, tshark {theirs:?}"
                ));
            }
        }
        assert!(
            selects,
            "{filter}: tshark selects nothing in {files:?}: the case would pass vacuously"
        );
    }
    for (filter, name) in NOTHING {
        let (ours, theirs) = selected(name, filter);
        assert!(theirs.is_empty(), "{filter}: tshark selects {theirs:?}");
        if !ours.is_empty() {
            failures.push(format!("{name}: {filter}: labcap {ours:?}, tshark nothing"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Filters tshark refuses, the column labcap points at and words its message holds.
const REFUSED: &[(&str, usize, &str)] = &[
    ("tcp.port == 70000", 13, "out of range 0-65535"),
    ("tcp.len > 4294967296", 11, "out of range 0-4294967295"),
    ("frame.number == 4294967296", 17, "out of range"),
    ("ip.frag_offset == 70000", 19, "out of range 0-65535"),
    ("tcp.port contains 1", 1, "cannot be used with 'contains'"),
    ("tcp.len matches \"1\"", 1, "cannot be used with 'matches'"),
    (
        "tcp.payload matches \"[a\"",
        21,
        "invalid regular expression",
    ),
    ("tcp.payload matches 47", 21, "double quotes"),
    ("tcp.payload contains \"\\q\"", 23, "not a valid escape"),
    ("tcp.port in {}", 14, "at least one element"),
    ("tcp.port in {70000}", 14, "out of range"),
    ("ip.addr in {1.2.3.4", 20, "expected ',' or '}'"),
    ("tcp.flags & 0x10000", 13, "out of range"),
    ("tcp.flags.syn & 1", 1, "'&' takes a number field"),
    ("tcp & 1", 1, "'&' takes a number field"),
    ("tcp.port[0] == 1", 1, "cannot be sliced"),
    ("tcp.payload[0:3", 16, "expected ']'"),
    ("tcp.payload[a] == 1", 13, "not a byte range"),
    ("tcp.payload == xyz", 16, "not a byte string"),
    ("frame.time_relative > \"x\"", 23, "not a time"),
    ("frame.time_relative > 1e-4", 23, "not a time"),
    (
        "tcp.payload contains",
        21,
        "ends where a value was expected",
    ),
];

#[test]
fn filters_tshark_refuses_are_refused_with_one_line_at_the_place() {
    for (filter, column, words) in REFUSED {
        let theirs = common::tshark_filter_verdict(filter);
        assert!(theirs.is_err(), "tshark takes {filter}");
        let e = Filter::parse(filter).expect_err(filter);
        assert_eq!(e.column, *column, "{filter}: {e}");
        assert!(e.message.contains(words), "{filter}: {e}");
        assert!(!e.message.contains('\n'), "{filter}: {e}");
    }
}

#[test]
fn labcap_filter_lists_the_fields_and_operators() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_labcap"))
        .args(["filter", "--fields"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for (name, _) in labcap::filter::FIELD_NAMES {
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().next() == Some(*name)),
            "{name} missing"
        );
    }
    assert!(text.contains("contains, matches"));
    assert!(text.contains("in {80, 443, 8000..8100}"));
}

#[test]
fn sets_separated_by_spaces_read_as_wireshark_3_read_them() {
    // tshark 4 wants commas; Wireshark 3 took spaces, and its documents still show them.
    let (lines, _) = replay(&fixture(ECHO), Some("tcp.port in {10000 32434}"));
    let ours: Vec<u64> = lines.iter().map(|l| l.number).collect();
    let (with_commas, theirs) = selected(ECHO, "tcp.port in {10000, 32434}");
    assert!(!ours.is_empty());
    assert_eq!(ours, with_commas);
    assert_eq!(with_commas, theirs);
}
