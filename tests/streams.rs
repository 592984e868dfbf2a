//! Captures from streams: any `io::Read` (a pipe, bytes in memory, a reader that hands over a
//! byte at a time), gzip and zstd recognised by their magic numbers, frame limits; the frames
//! are the same as from the plain file, and errors name the input and the offset.

mod common;

use std::io::{Read, Write};
use std::ops::ControlFlow;

use common::{all_fixtures, fixture};
use labcap::source::{Compression, FileSource};

/// Every frame as (time, link, bytes, length on the wire), and the error that stopped it.
type Frames = Vec<(std::time::Duration, u32, Vec<u8>, u32)>;

fn frames(mut source: FileSource) -> (Frames, Option<String>) {
    let mut seen = Vec::new();
    let read = source.for_each_frame(&mut |f| {
        seen.push((f.ts, f.link.0, f.data.to_vec(), f.orig_len));
        ControlFlow::Continue(())
    });
    (seen, read.err().map(|e| e.to_string()))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
}

/// A pcap of `records` Ethernet frames of 300 bytes that compress poorly (several zstd blocks
/// and deflate blocks).
fn big_pcap(records: u32) -> Vec<u8> {
    let mut out = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    out.extend([0; 8]);
    out.extend(65535u32.to_le_bytes());
    out.extend(1u32.to_le_bytes());
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for i in 0..records {
        for v in [i, 0, 300, 300] {
            out.extend(v.to_le_bytes());
        }
        for _ in 0..300 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.push(x as u8);
        }
    }
    out
}

/// A reader that hands over at most `step` bytes a call, as a pipe may.
struct Trickle {
    bytes: Vec<u8>,
    at: usize,
    step: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.step).min(self.bytes.len() - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn every_fixture_reads_the_same_from_a_reader_gzip_and_zstd() {
    for path in all_fixtures() {
        let bytes = std::fs::read(&path).unwrap();
        let (want, err) = frames(FileSource::open(&path).unwrap());
        assert_eq!(err, None, "{}", path.display());
        assert!(!want.is_empty());
        let name = path.display().to_string();
        let memory = FileSource::from_reader("memory", std::io::Cursor::new(bytes.clone()));
        assert_eq!(frames(memory.unwrap()).0, want, "{name} from memory");
        let trickle = Trickle {
            bytes: bytes.clone(),
            at: 0,
            step: 7,
        };
        let trickled = FileSource::from_reader("pipe", trickle).unwrap();
        assert_eq!(frames(trickled).0, want, "{name} 7 bytes at a time");
        for (kind, packed) in [
            (Compression::Gzip, gzip(&bytes)),
            (Compression::Zstd, zstd(&bytes)),
        ] {
            let source = FileSource::from_reader("packed", std::io::Cursor::new(packed)).unwrap();
            assert_eq!(source.compression(), Some(kind));
            let (got, err) = frames(source);
            assert_eq!(err, None, "{name} {kind:?}");
            assert_eq!(got, want, "{name} {kind:?}");
        }
    }
}

#[test]
fn a_compressed_file_is_recognised_by_its_magic_not_its_name() {
    let dir = std::env::temp_dir().join(format!("labcap-streams-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = std::fs::read(fixture("lo-echo.pcap")).unwrap();
    // A gzip file named .pcap, a plain one named .gz.
    let gz = dir.join("named-plain.pcap");
    std::fs::write(&gz, gzip(&bytes)).unwrap();
    let plain = dir.join("named-compressed.pcap.gz");
    std::fs::write(&plain, &bytes).unwrap();
    let (a, _) = frames(FileSource::open(&gz).unwrap());
    let (b, _) = frames(FileSource::open(&plain).unwrap());
    assert_eq!((a.len(), a == b), (14, true));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_name_the_input_and_the_offset_in_the_decompressed_data() {
    let bytes = std::fs::read(fixture("mesin1.pcapng")).unwrap();
    // Cut inside a block, then compressed: the whole compressed stream is fine, the capture
    // in it is cut.
    let packed = gzip(&bytes[..3000]);
    let (got, err) =
        frames(FileSource::from_reader("stdin", std::io::Cursor::new(packed)).unwrap());
    let err = err.unwrap();
    assert!(
        err.starts_with(
            "stdin: offset 2996 of the gzip-decompressed data: the file ends inside a block"
        ),
        "{err}"
    );
    assert!(!got.is_empty());
    // The compressed stream itself cut: the frames before the cut, then an error.
    let big = big_pcap(3000);
    let (all, _) =
        frames(FileSource::from_reader("big", std::io::Cursor::new(big.clone())).unwrap());
    for (kind, packed) in [("gzip", gzip(&big)), ("zstd", zstd(&big))] {
        let cut = packed[..packed.len() * 2 / 3].to_vec();
        let (got, err) =
            frames(FileSource::from_reader("x.gz", std::io::Cursor::new(cut)).unwrap());
        let err = err.expect("a cut stream is an error");
        assert!(
            err.starts_with("x.gz: offset ")
                && err.contains(&format!(
                    "of the {kind}-decompressed data: the {kind} data ends early"
                )),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
        // ruzstd keeps the last window (here the whole frame, a small one) until it is
        // complete: a cut zstd stream may give no frame at all.
        assert!(
            (kind == "zstd" || !got.is_empty()) && got.len() < all.len(),
            "{kind}: {} frames",
            got.len()
        );
        assert_eq!(got[..], all[..got.len()]);
    }
    // Something compressed that is not a capture.
    let err = FileSource::from_reader("notes.gz", std::io::Cursor::new(gzip(b"just some text")))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains(
            "notes.gz: offset 0: not a pcap or pcapng file inside the gzip data (magic 6a757374)"
        ),
        "{err}"
    );
    let err = FileSource::from_reader("e.zst", std::io::Cursor::new(zstd(b"")))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("0 bytes inside the zstd data: too short"),
        "{err}"
    );
    // A gzip magic number and garbage after it.
    let err = FileSource::from_reader(
        "bad.gz",
        std::io::Cursor::new(b"\x1f\x8b\x08\x00garbage!".to_vec()),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("bad.gz: offset 0: cannot decompress (gzip)"),
        "{err}"
    );
}

#[test]
fn a_limit_stops_after_that_many_frames() {
    let mut source = FileSource::open(&fixture("lo-echo.pcap")).unwrap();
    source.limit(3);
    assert_eq!(frames(source).0.len(), 3);
    // A limit ends the capture before a cut that comes later.
    let bytes = std::fs::read(fixture("lo-echo.pcap")).unwrap();
    let mut cut = FileSource::from_reader(
        "cut",
        std::io::Cursor::new(bytes[..bytes.len() - 5].to_vec()),
    )
    .unwrap();
    cut.limit(2);
    assert_eq!(
        frames(cut),
        (
            frames(FileSource::open(&fixture("lo-echo.pcap")).unwrap()).0[..2].to_vec(),
            None
        )
    );
    let mut none = FileSource::open(&fixture("lo-echo.pcap")).unwrap();
    none.limit(0);
    assert!(frames(none).0.is_empty());
}

#[test]
fn file_names_in_errors_cannot_drive_the_terminal() {
    let err = FileSource::from_reader("evil\u{1b}[2J.pcap", std::io::Cursor::new(b"nope".to_vec()))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.starts_with("evil\\x1b[2J.pcap: offset 0: not a pcap"),
        "{err}"
    );
    assert!(!err.contains('\u{1b}'));
}

#[test]
fn random_corruption_of_compressed_captures_never_panics() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in ["lo-echo.pcap", "any-sll.pcapng", "dns.pcapng"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        for packed in [gzip(&bytes), zstd(&bytes)] {
            for round in 0..300 {
                let mut b = packed.clone();
                for _ in 0..(1 + round % 6) {
                    // Past the magic number, so that the decompressor is what is tested.
                    let at = 4 + (next() as usize) % (b.len() - 4);
                    b[at] = next() as u8;
                }
                if let Ok(source) = FileSource::from_reader("fuzz", std::io::Cursor::new(b)) {
                    let _ = frames(source);
                }
            }
        }
    }
}
