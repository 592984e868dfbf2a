//! Hostile display filters through the binary: every entry point that takes `-Y` (or the
//! filter itself) answers with a filter error and exit code 2, never a crash.

mod common;

use std::process::Command;

use common::fixture;

fn labcap(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_labcap"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// `filter`, `replay -Y` and live `-Y` (which parses before it opens anything).
fn every_entry_point(filter: &str) -> Vec<(Option<i32>, String)> {
    let f = fixture("lo-echo.pcap");
    let f = f.to_str().unwrap();
    [
        vec!["filter", filter],
        vec!["replay", f, "-Y", filter],
        vec!["tcp", "--iface", "lo", "--duration", "1", "-Y", filter],
    ]
    .into_iter()
    .map(|args| {
        let (code, _, err) = labcap(&args);
        (code, err)
    })
    .collect()
}

#[test]
fn deeply_nested_filters_are_errors_not_stack_overflows() {
    for filter in [
        format!("{}tcp{}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("{}tcp", "!".repeat(17_000)),
    ] {
        for (code, err) in every_entry_point(&filter) {
            assert_eq!(code, Some(2), "{}", &err[..err.len().min(300)]);
            assert!(
                err.contains("invalid filter"),
                "{}",
                &err[..err.len().min(300)]
            );
            assert!(err.contains("^ filter nested too deeply"));
        }
    }
}

/// Every frame of the Ethernet fixture, decoded and matched against `filter`.
fn matches_on_fixture(filter: &labcap::filter::Filter) -> Vec<bool> {
    let mut matched = Vec::new();
    labcap::source::FileSource::open(&fixture("lo-echo.pcap"))
        .unwrap()
        .for_each_frame(&mut |frame| {
            matched.push(filter.matches(&labcap::wire::decode(&frame)));
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    matched
}

#[test]
fn a_chain_of_100000_terms_is_matched_and_translated_without_overflow() {
    // A left-deep tree of 100,000 'or' would be walked 100,000 calls deep: the chain is one
    // node, walked in a loop.
    let text = (0..100_000)
        .map(|i| format!("tcp.port == {}", 20_000 + i % 40_000))
        .collect::<Vec<_>>()
        .join(" or ");
    let filter = labcap::filter::Filter::parse(&text).unwrap();
    // Port 10000 is not in the chain; nothing else there is TCP.
    assert!(matches_on_fixture(&filter).iter().all(|m| !m));
    // Too long for libpcap's optimizer: no kernel filter, labcap filters in user space.
    let bpf = filter.to_bpf();
    assert_eq!((bpf.expr, bpf.exact), (None, false));
    let with = labcap::filter::Filter::parse(&format!("{text} or tcp.port == 10000")).unwrap();
    assert!(matches_on_fixture(&with).iter().all(|m| *m));
    drop(with.to_bpf());
    let and = vec!["tcp"; 100_000].join(" && ");
    let and = labcap::filter::Filter::parse(&and).unwrap();
    assert!(matches_on_fixture(&and).iter().all(|m| *m));
    drop(and.to_bpf());
}

#[test]
fn the_deepest_filter_allowed_is_matched_translated_and_compiled() {
    // `!(udp or !(udp or … !(tcp.port == 10000)))`: 256 levels ('!' and '(' alternating).
    let mut text = "tcp.port == 10000".to_string();
    for _ in 0..128 {
        text = format!("!(udp or {text})");
    }
    let filter = labcap::filter::Filter::parse(&text).unwrap();
    // An even number of '!': every frame is on port 10000.
    assert!(matches_on_fixture(&filter).iter().all(|m| *m));
    let bpf = filter.to_bpf();
    assert!(bpf.exact);
    let program = pcap::Capture::dead(pcap::Linktype(1))
        .unwrap()
        .compile(bpf.expr.as_deref().unwrap(), true)
        .unwrap();
    let mut file = pcap::Capture::from_file(fixture("lo-echo.pcap")).unwrap();
    while let Ok(packet) = file.next_packet() {
        assert!(program.filter(packet.data));
    }
    assert!(labcap::filter::Filter::parse(&format!("!{text}")).is_err());
}

#[test]
fn the_longest_filter_translated_compiles_promptly() {
    // 256 tests, three to a term, of the kinds that make the largest programs.
    let text = (0..256 / 4)
        .map(|i| {
            format!(
                "(tcp.flags.syn == 1 or ip.ttl < {i} or tcp.len > {i}) and not ipv6.addr == ::{i:x}"
            )
        })
        .collect::<Vec<_>>()
        .join(" or ");
    let bpf = labcap::filter::Filter::parse(&text).unwrap().to_bpf();
    let expr = bpf.expr.expect("a kernel filter");
    let started = std::time::Instant::now();
    for link in [1, 113, 276] {
        pcap::Capture::dead(pcap::Linktype(link))
            .unwrap()
            .compile(&expr, true)
            .unwrap();
    }
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
}

#[test]
fn values_too_wide_for_their_field_are_errors_as_in_wireshark() {
    for (filter, message) in [
        (
            "tcp.port == 70000",
            "^ tcp.port is a 16-bit field: 70000 is out of range 0-65535",
        ),
        (
            "tcp.len > 4294967296",
            "^ tcp.len is a 32-bit field: 4294967296 is out of range 0-4294967295",
        ),
        (
            "tcp and ip.ttl < 256",
            "^ ip.ttl is an 8-bit field: 256 is out of range 0-255",
        ),
        (
            "tcp.flags.rst == 2",
            "^ tcp.flags.rst is a 1-bit field: 2 is out of range 0-1",
        ),
    ] {
        for (code, err) in every_entry_point(filter) {
            assert_eq!(code, Some(2), "{filter}: {err}");
            assert!(err.contains(message), "{filter}: {err}");
        }
    }
}
