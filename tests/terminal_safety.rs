//! Nothing from a capture, a file name or a filter reaches the terminal raw: DNS names in the
//! packet list, the DNS table and the checks, file names in reports and errors, and filter
//! texts echoed in errors are escaped as payloads are (`\x1b`), on stdout and stderr alike.

mod common;

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Command;

use common::{labcap, Scratch};

/// A DNS message: `id`, response or query, one question for `labels` type A, and for a
/// response one A answer (a pointer to the question's name).
fn dns(id: u16, response: bool, labels: &[&[u8]]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend(id.to_be_bytes());
    m.extend(if response { [0x81, 0x80] } else { [0x01, 0x00] });
    m.extend([0, 1, 0, u8::from(response), 0, 0, 0, 0]);
    for label in labels {
        m.push(label.len() as u8);
        m.extend(*label);
    }
    m.extend([0, 0, 1, 0, 1]);
    if response {
        m.extend([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 203, 0, 113, 66]);
    }
    m
}

/// An Ethernet/IPv4/UDP frame from `src` port `sport` to `dst` port `dport`.
fn udp_frame(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    let total = (20 + 8 + payload.len()) as u16;
    let mut ip = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 17, 0, 0];
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip.extend(src);
    ip.extend(dst);
    let sum = ip
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum::<u32>();
    let sum = !(((sum & 0xffff) + (sum >> 16)) as u16);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    f.extend(ip);
    f.extend(sport.to_be_bytes());
    f.extend(dport.to_be_bytes());
    f.extend((8 + payload.len() as u16).to_be_bytes());
    f.extend([0, 0]);
    f.extend(payload);
    f
}

/// A little-endian microsecond pcap of Ethernet `frames`, a millisecond apart.
fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    out.extend([0; 8]);
    out.extend(65535u32.to_le_bytes());
    out.extend(1u32.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        out.extend(1_764_000_000u32.to_le_bytes());
        out.extend((i as u32 * 1000).to_le_bytes());
        out.extend((f.len() as u32).to_le_bytes());
        out.extend((f.len() as u32).to_le_bytes());
        out.extend(f);
    }
    out
}

/// A capture of a lookup of `www.<ESC>[31mevil.com` and its answer, in `dir`.
fn evil_dns_capture(dir: &Scratch) -> PathBuf {
    let labels: &[&[u8]] = &[b"www", b"\x1b[31mevil", b"com"];
    let (client, server) = ([172, 16, 16, 102], [127, 0, 0, 11]);
    let path = dir.path("evil-dns.pcap");
    std::fs::write(
        &path,
        pcap(&[
            udp_frame(client, server, 40000, 53, &dns(0x1234, false, labels)),
            udp_frame(server, client, 53, 40000, &dns(0x1234, true, labels)),
        ]),
    )
    .unwrap();
    path
}

#[test]
fn a_dns_name_with_an_escape_sequence_is_escaped_everywhere_it_is_shown() {
    let dir = Scratch::new("terminal");
    let path = evil_dns_capture(&dir);
    let name = std::ffi::OsStr::new("www.\u{1b}[31mevil.com");
    // The packet list, the DNS table, a check quoting the name.
    let (code, out, err) = labcap::<&OsStr>(&[
        "replay".as_ref(),
        path.as_os_str(),
        "--expect-answer".as_ref(),
        name,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        !out.contains('\u{1b}') && !err.contains('\u{1b}'),
        "{out:?}"
    );
    let list: Vec<&str> = out.lines().filter(|l| l.contains(" DNS  ")).collect();
    assert_eq!(list.len(), 2, "{out}");
    assert!(
        list[0].contains("Standard query 0x1234 A www.\\x1b[31mevil.com"),
        "{}",
        list[0]
    );
    assert!(
        list[1].contains("Standard query response 0x1234 A www.\\x1b[31mevil.com A 203.0.113.66"),
        "{}",
        list[1]
    );
    assert!(
        out.contains("┆ www.\\x1b[31mevil.com ┆"),
        "the DNS table: {out}"
    );
    assert!(
        out.contains("PASS answer www.\\x1b[31mevil.com: A 203.0.113.66"),
        "{out}"
    );
    // tshark agrees that this is the name (it escapes it its own way).
    let tshark = Command::new("tshark")
        .args([
            "-r",
            path.to_str().unwrap(),
            "-T",
            "fields",
            "-e",
            "dns.qry.name",
        ])
        .output()
        .unwrap();
    let names = String::from_utf8_lossy(&tshark.stdout);
    assert!(
        names.lines().count() == 2 && names.contains("evil.com"),
        "{names}"
    );
    // JSON escapes control characters itself: the real name is in it.
    let (_, json, _) = labcap::<&OsStr>(&["replay".as_ref(), path.as_os_str(), "--json".as_ref()]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["dns"][0]["qname"], "www.\u{1b}[31mevil.com");
    assert!(!json.contains('\u{1b}'));
}

#[test]
fn file_names_with_control_characters_are_escaped_in_reports_and_errors() {
    let dir = Scratch::new("terminal");
    let evil = dir.path("bell\u{7}clear\u{1b}[2J.pcap");
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/lo-echo.pcap");
    std::fs::copy(&fixture, &evil).unwrap();
    let (code, out, err) = labcap::<&OsStr>(&[
        "replay".as_ref(),
        evil.as_os_str(),
        fixture.as_os_str(),
        "--summary".as_ref(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(
        out.contains("== ") && out.contains("bell\\x07clear\\x1b[2J.pcap: 14 packets read"),
        "{out}"
    );
    // Cut: the error names the file, escaped.
    let bytes = std::fs::read(&fixture).unwrap();
    std::fs::write(&evil, &bytes[..100]).unwrap();
    let (code, _, err) = labcap::<&OsStr>(&["replay".as_ref(), evil.as_os_str()]);
    assert_eq!(code, 2);
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(
        err.contains("bell\\x07clear\\x1b[2J.pcap: offset "),
        "{err}"
    );
    // Missing.
    let missing = dir.path("gone\u{1b}]0;title\u{7}.pcap");
    let (_, _, err) = labcap::<&OsStr>(&["replay".as_ref(), missing.as_os_str()]);
    assert!(
        err.contains("gone\\x1b]0;title\\x07.pcap: offset 0: cannot open"),
        "{err}"
    );
}

#[test]
fn a_filter_echoed_in_an_error_is_escaped_and_the_caret_follows() {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/lo-echo.pcap");
    let (code, _, err) = labcap::<&OsStr>(&[
        "replay".as_ref(),
        fixture.as_os_str(),
        "-Y".as_ref(),
        "ip.addr==\u{1b}[31m".as_ref(),
    ]);
    assert_eq!(code, 2);
    assert!(!err.contains('\u{1b}'), "{err:?}");
    let lines: Vec<&str> = err.lines().collect();
    let text = lines.iter().position(|l| l.contains("ip.addr==")).unwrap();
    assert_eq!(lines[text].trim_start(), "ip.addr==\\x1b[31m");
    // The caret under the escaped character.
    let at = lines[text].find("\\x1b").unwrap();
    assert_eq!(lines[text + 1].find('^'), Some(at), "{err}");
    assert!(
        lines[text + 1].contains("unexpected character '\\x1b'"),
        "{err}"
    );
    // And filter's own command.
    let (code, _, err) = labcap::<&OsStr>(&["filter".as_ref(), "tcp.port == 1 \u{9b}".as_ref()]);
    assert_eq!(code, 2);
    assert!(!err.contains('\u{9b}') && err.contains("\\x9b"), "{err:?}");
}
