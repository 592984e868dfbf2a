//! labcap against tshark on the hostile-link captures of fixtures/hostile/ (made by
//! scripts/make-hostile-fixtures.sh: loss, duplication and reordering through a seeded bridge,
//! a slow reader, a capture with a gap, keep-alives, port reuse, a connection opened before
//! the capture, a FIN with data): every packet's stream, relative seq/ack, length, window, each `tcp.analysis` field
//! and the Info column's labels; and the frames each `tcp.analysis.*` filter selects.

mod common;

use std::path::PathBuf;

use common::{fixture, replay, tshark};
use labcap::analysis::tcp::Findings;

/// The hostile captures.
fn hostile() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture("hostile"))
        .expect("fixtures/hostile: run scripts/make-hostile-fixtures.sh")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 7, "fixtures/hostile holds seven captures");
    files
}

/// The per-packet fields asked of tshark, then one column per `tcp.analysis.<name>`.
const FIELDS: &[&str] = &[
    "frame.number",
    "tcp.stream",
    "tcp.seq",
    "tcp.ack",
    "tcp.len",
    "tcp.window_size",
    "tcp.analysis.duplicate_ack_num",
    "_ws.col.Info",
    "tcp.analysis.flags",
];

/// The Info column without the snaplen note (labcap and tshark disagree on which cut frames
/// get it, a matter of the payload dissectors, not of the sequence analysis).
fn without_cut_note(info: &str) -> String {
    info.replace("[Packet size limited during capture]", "")
}

#[test]
fn every_hostile_packet_agrees_with_tshark() {
    let analysis_fields: Vec<String> = Findings::FIELDS
        .iter()
        .map(|(name, _)| format!("tcp.analysis.{name}"))
        .collect();
    let mut fields: Vec<&str> = FIELDS.to_vec();
    fields.extend(analysis_fields.iter().map(String::as_str));
    for path in hostile() {
        let name = path.display().to_string();
        let (lines, _) = replay(&path, None);
        let oracle = tshark(&path, None, &fields);
        assert_eq!(lines.len(), oracle.len(), "{name}: packet count");
        for (ours, row) in lines.iter().zip(&oracle) {
            let at = format!("{name} frame {}", row[0]);
            let e = ours.tcp.expect("every hostile packet is TCP");
            assert_eq!(ours.stream.unwrap().to_string(), row[1], "{at}: tcp.stream");
            assert_eq!(e.seq.to_string(), row[2], "{at}: tcp.seq");
            if e.flags.has(labcap::wire::TcpFlags::ACK) {
                assert_eq!(e.ack.to_string(), row[3], "{at}: tcp.ack");
            }
            assert_eq!(e.len.to_string(), row[4], "{at}: tcp.len");
            assert_eq!(e.win.to_string(), row[5], "{at}: tcp.window_size");
            let dup = e.dup_ack.filter(|_| e.findings.any(Findings::DUP_ACK));
            assert_eq!(
                dup.map_or(String::new(), |d| d.number.to_string()),
                row[6],
                "{at}: tcp.analysis.duplicate_ack_num"
            );
            assert_eq!(
                without_cut_note(&ours.info),
                without_cut_note(&row[7]),
                "{at}: Info"
            );
            assert_eq!(
                e.findings.any(Findings::ALL),
                !row[8].is_empty(),
                "{at}: tcp.analysis.flags"
            );
            for ((field, bits), theirs) in Findings::FIELDS.iter().zip(&row[9..]) {
                assert_eq!(
                    e.findings.any(*bits),
                    !theirs.is_empty(),
                    "{at}: tcp.analysis.{field}"
                );
            }
        }
    }
}

#[test]
fn analysis_filters_select_the_frames_tshark_selects() {
    let mut filters: Vec<String> = Findings::FIELDS
        .iter()
        .map(|(name, _)| format!("tcp.analysis.{name}"))
        .collect();
    filters.extend(
        [
            "tcp.analysis.flags",
            "tcp.analysis.flags && !tcp.analysis.window_update && !tcp.analysis.keep_alive",
            "tcp.analysis.duplicate_ack_num >= 3",
            "tcp.analysis.duplicate_ack_frame",
            "!tcp.analysis.retransmission and tcp.len > 0",
            "tcp.window_size == 0",
            "tcp.window_size > 1000 && tcp.window_size_value < 100",
            "tcp.window_size <= 948",
            "tcp.seq == 1 and tcp.ack == 1",
            "tcp.seq > 20000 or (tcp.ack >= 1 and tcp.ack < 100)",
            "tcp.seq_raw > 2147483648 and tcp.ack_raw == 0",
            "tcp.stream == 1 and tcp.analysis.retransmission",
        ]
        .map(String::from),
    );
    for path in hostile() {
        for f in &filters {
            common::assert_selects_tsharks_frames(&path, f);
        }
    }
}

#[test]
fn the_lossy_captures_show_every_kind_of_trouble() {
    // The captures hold what they were made for (and tshark agrees, above).
    let count = |file: &str, bits: u16| {
        let (lines, _) = replay(&fixture(file), None);
        lines
            .iter()
            .filter(|l| l.tcp.is_some_and(|e| e.findings.any(bits)))
            .count()
    };
    for file in ["hostile/lossy-client.pcap", "hostile/lossy-server.pcap"] {
        for bits in [
            Findings::RETRANSMISSION,
            Findings::FAST_RETRANSMISSION,
            Findings::SPURIOUS_RETRANSMISSION,
            Findings::OUT_OF_ORDER,
            Findings::LOST_SEGMENT,
            Findings::DUP_ACK,
        ] {
            assert!(count(file, bits) > 0, "{file}: no {bits:#x}");
        }
    }
    let slow = "hostile/slow-reader.pcap";
    for bits in [
        Findings::ZERO_WINDOW,
        Findings::WINDOW_FULL,
        Findings::WINDOW_UPDATE,
        Findings::KEEP_ALIVE,
    ] {
        assert!(count(slow, bits) > 0, "{slow}: no {bits:#x}");
    }
    let gap = "hostile/capture-gap.pcap";
    assert!(count(gap, Findings::ACK_LOST_SEGMENT) > 0, "{gap}");
    assert!(count(gap, Findings::LOST_SEGMENT) > 0, "{gap}");
    assert_eq!(count("hostile/keepalive.pcap", Findings::KEEP_ALIVE_ACK), 3);
    assert_eq!(count("hostile/port-reuse.pcap", Findings::REUSED_PORTS), 1);
}
