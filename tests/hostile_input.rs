//! Bad input never panics: truncated files, wrong magic, lying lengths, snaplen-cut frames,
//! unknown link types and random corruption give a one-line error naming file and offset, or
//! counted malformed/truncated packets.

mod common;

use std::ops::ControlFlow;
use std::path::Path;

use common::{fixture, Scratch};
use labcap::pipeline::{Pipeline, PipelineOptions};
use labcap::source::FileSource;

/// Replays `path`; returns packets read, malformed, truncated and the error text.
fn run(path: &Path) -> (u64, u64, u64, Option<String>) {
    let mut pipeline = Pipeline::new(PipelineOptions {
        list: true,
        ..Default::default()
    });
    let result = FileSource::open(path).and_then(|mut s| {
        s.for_each_frame(&mut |frame| {
            let _ = pipeline.push(&frame);
            ControlFlow::Continue(())
        })
    });
    let analysis = pipeline.finish();
    let s = analysis.stats;
    (
        s.packets,
        s.malformed,
        s.truncated,
        result.err().map(|e| e.to_string()),
    )
}

fn pcap(linktype: u32, records: &[(&[u8], u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [
        0xa1b2c3d4u32.to_le_bytes().as_slice(),
        &2u16.to_le_bytes(),
        &4u16.to_le_bytes(),
        &[0; 8],
        &65535u32.to_le_bytes(),
        &linktype.to_le_bytes(),
    ] {
        out.extend_from_slice(v);
    }
    for (i, (data, orig)) in records.iter().enumerate() {
        out.extend_from_slice(&(i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&orig.to_le_bytes());
        out.extend_from_slice(data);
    }
    out
}

#[test]
fn wrong_magic_and_empty_files_name_the_file_and_offset() {
    let dir = Scratch::new("hostile");
    let err = FileSource::open(&dir.write("text.pcap", b"hello, this is not a capture"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("text.pcap: offset 0: not a pcap or pcapng file"),
        "{err}"
    );
    let err = FileSource::open(&dir.write("empty.pcap", b""))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("offset 0") && err.contains("too short"),
        "{err}"
    );
    let err = FileSource::open(Path::new("/nonexistent/x.pcap"))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("cannot open"), "{err}");
}

#[test]
fn a_file_cut_in_a_record_keeps_the_packets_before_and_names_the_offset() {
    let dir = Scratch::new("hostile");
    let bytes = std::fs::read(fixture("lo-echo.pcap")).unwrap();
    for cut in [30, 100, bytes.len() - 5] {
        let (packets, _, _, err) = run(&dir.write("cut.pcap", &bytes[..cut]));
        let err = err.expect("a cut file is an error");
        assert!(
            err.contains("cut.pcap: offset ") && err.contains("ends inside a record"),
            "{err}"
        );
        assert!(!err.contains('\n'), "one line: {err}");
        assert!(packets < 14);
    }
    let ng = std::fs::read(fixture("any-sll.pcapng")).unwrap();
    let (packets, _, _, err) = run(&dir.write("cut.pcapng", &ng[..ng.len() - 7]));
    assert!(err.unwrap().contains("ends inside a block"));
    // dumpcap ends the file with an interface-statistics block: every packet is before the cut.
    assert_eq!(packets, 27);
}

#[test]
fn a_block_length_that_lies_is_an_error_not_a_panic() {
    let dir = Scratch::new("hostile");
    let mut ng = std::fs::read(fixture("any-sll.pcapng")).unwrap();
    let shb_len = u32::from_le_bytes(ng[4..8].try_into().unwrap()) as usize;
    // The interface block after the section header claims 2 GiB.
    ng[shb_len + 4..shb_len + 8].copy_from_slice(&0x8000_0000u32.to_le_bytes());
    let (_, _, _, err) = run(&dir.write("lying.pcapng", &ng));
    let err = err.unwrap();
    assert!(err.contains(&format!("offset {shb_len}")), "{err}");
}

#[test]
fn unknown_link_types_are_counted_malformed() {
    let dir = Scratch::new("hostile");
    let path = dir.write(
        "odd-link.pcap",
        &pcap(147, &[(b"\x01\x02\x03", 3), (b"", 0)]),
    );
    let (packets, malformed, _, err) = run(&path);
    assert_eq!((packets, malformed, err), (2, 2, None));
}

#[test]
fn snaplen_cut_frames_decode_as_far_as_they_go() {
    let dir = Scratch::new("hostile");
    let bytes = std::fs::read(fixture("lo-echo.pcap")).unwrap();
    // Frame 6 carries the 46-byte message: keep its headers and 10 payload bytes.
    let mut off = 24;
    let mut frames = Vec::new();
    while off + 16 <= bytes.len() {
        let incl = u32::from_le_bytes(bytes[off + 8..off + 12].try_into().unwrap()) as usize;
        frames.push(bytes[off + 16..off + 16 + incl].to_vec());
        off += 16 + incl;
    }
    let sixth = &frames[5];
    let cut_records: Vec<(&[u8], u32)> = vec![
        (&sixth[..76], sixth.len() as u32),
        (&sixth[..20], sixth.len() as u32),
        (&sixth[..40], sixth.len() as u32),
    ];
    let path = dir.write("snaplen.pcap", &pcap(1, &cut_records));
    let (packets, malformed, truncated, err) = run(&path);
    assert_eq!((packets, malformed, truncated, err), (3, 0, 3, None));
}

#[test]
fn random_corruption_never_panics() {
    let dir = Scratch::new("hostile");
    let originals = [
        "lo-echo.pcap",
        "any-sll.pcapng",
        "mixed.pcapng",
        "dns.pcapng",
    ];
    let mut seed = 0x2545F4914F6CDD1Du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in originals {
        let original = std::fs::read(fixture(name)).unwrap();
        for round in 0..200 {
            let mut bytes = original.clone();
            for _ in 0..(1 + round % 8) {
                let at = (next() as usize) % bytes.len();
                bytes[at] = next() as u8;
            }
            let _ = run(&dir.write("fuzz.bin", &bytes));
        }
    }
}

#[test]
fn a_mapped_file_reads_as_the_same_file_streamed() {
    let dir = Scratch::new("hostile");
    // `FileSource::open` maps a plain file; `from_reader` streams it through read(2). Both must
    // hand over the same frames and stop at the same error, on every fixture and on cut ones.
    let frames = |mut s: FileSource| {
        let mut out = Vec::new();
        let end = s.for_each_frame(&mut |f| {
            out.push((
                f.ts,
                f.link.0,
                f.data.to_vec(),
                f.orig_len,
                f.interface.map(String::from),
            ));
            ControlFlow::Continue(())
        });
        (out, end.err().map(|e| e.to_string()))
    };
    let mut files = common::all_fixtures();
    let whole = std::fs::read(fixture("lossy.pcap")).unwrap();
    files.push(dir.write("cut-mapped.pcap", &whole[..whole.len() - 37]));
    for path in files {
        let mapped = frames(FileSource::open(&path).unwrap());
        let streamed =
            frames(FileSource::from_reader(&path, std::fs::File::open(&path).unwrap()).unwrap());
        assert!(!mapped.0.is_empty(), "{}", path.display());
        assert_eq!(mapped, streamed, "{}", path.display());
    }
}
