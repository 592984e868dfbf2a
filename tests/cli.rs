//! The binary as a user runs it: exit codes, messages, output.

mod common;

use std::process::Command;

use common::{fixture, labcap, Scratch};

#[test]
fn passing_expectations_exit_zero_and_failing_ones_exit_one() {
    let f = fixture("any-sll.pcapng");
    let f = f.to_str().unwrap();
    let (code, out, _) = labcap(&[
        "replay",
        f,
        "-Y",
        "tcp.port==32444",
        "--expect-handshake",
        "--expect-echo",
        "--expect-close",
        "--expect-connections",
        "1",
        "--expect-no-rst",
        "--expect-payload",
        "Baris kedua",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASS echo") && out.contains("PASS handshake"));
    let (code, out, _) = labcap(&["replay", f, "--expect-refused", "--expect-concurrent"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL refused: no SYN was answered by RST"));
    let lo = fixture("lo-echo.pcap");
    let (code, out, _) = labcap(&[
        "replay",
        lo.to_str().unwrap(),
        "--expect-refused",
        "--expect-handshake",
    ]);
    assert_eq!(code, 1);
    assert!(
        out.contains("PASS refused") && out.contains("FAIL handshake: stream 0"),
        "{out}"
    );
}

#[test]
fn a_handshake_whose_syn_options_a_snaplen_cut_still_counts() {
    // Every SYN and SYN-ACK is cut inside its options (70-byte snapshot length); Wireshark
    // still analyses them, and so the handshake is there, and the echo whole.
    let f = fixture("syn-options-cut.pcapng");
    let (code, out, _) = labcap(&[
        "replay",
        f.to_str().unwrap(),
        "--expect-handshake",
        "--expect-echo",
        "--expect-connections",
        "3",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("PASS handshake: all 3 connections completed the 3-way handshake"),
        "{out}"
    );
    // The SYN's line shows the options captured, and the cut, as Wireshark's Info does.
    let (_, out, _) = labcap(&["replay", f.to_str().unwrap(), "-c", "1"]);
    assert!(
        out.contains(
            "[SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM[Packet size limited during capture]"
        ),
        "{out}"
    );
}

#[test]
fn errors_exit_two_with_one_actionable_line() {
    let (code, _, err) = labcap(&["replay", "/nonexistent.pcap"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("labcap: /nonexistent.pcap: offset 0: cannot open"),
        "{err}"
    );
    let f = fixture("lo-echo.pcap");
    let (code, _, err) = labcap(&["replay", f.to_str().unwrap(), "-Y", "tcp.port == x"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("tcp.port == x\n") && err.contains("^ 'x' is not a number"),
        "{err}"
    );
}

#[test]
fn json_has_the_documented_shape() {
    let f = fixture("lo-echo.pcap");
    let (code, out, _) = labcap(&["replay", f.to_str().unwrap(), "--json", "--expect-echo"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["packets"], 14);
    assert_eq!(doc["matched"], 14);
    assert_eq!(doc["malformed"], 0);
    let conns = doc["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 2);
    assert_eq!(conns[0]["refused"], true);
    assert_eq!(conns[0]["state"], "REJ");
    let c = &conns[1];
    for key in [
        "client",
        "server",
        "state",
        "history",
        "handshake",
        "close",
        "refused",
        "packets",
        "bytes_to_server",
        "bytes_to_client",
        "retransmissions",
        "echo",
        "start",
        "duration",
        "events",
    ] {
        assert!(!c[key].is_null(), "missing {key}");
    }
    assert_eq!(c["close"], "fin");
    assert_eq!(c["bytes_to_server"], 46);
    assert_eq!(c["events"][1]["flags"], "SYN,ACK");
    assert_eq!(c["events"][1]["dir"], "s2c");
    assert_eq!(doc["checks"][0]["passed"], true);
}

#[test]
fn payload_control_bytes_are_escaped_on_the_terminal() {
    let f = fixture("any-sll.pcapng");
    let (_, out, _) = labcap(&["replay", f.to_str().unwrap(), "-Y", "ipv6"]);
    assert!(
        out.contains("b'IPv6 echo\\x00\\x1b[31m control bytes\\n'"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'));
    let (_, hex, _) = labcap(&[
        "replay",
        f.to_str().unwrap(),
        "-Y",
        "ipv6",
        "--payload",
        "hex",
    ]);
    assert!(
        hex.contains("0000  49 50 76 36 20 65 63 68  6f 00 1b 5b 33 31 6d 20  IPv6 echo..[31m "),
        "{hex}"
    );
}

#[test]
fn filter_command_prints_bpf() {
    let (code, out, _) = labcap(&["filter", "tcp.port==10000 && ip.addr==172.16.16.0/24"]);
    assert_eq!(code, 0);
    assert_eq!(
        out.lines().next(),
        Some("(tcp port 10000) and (ip net 172.16.16.0/24)")
    );
    assert!(out.contains("# ((tcp port 10000) and (ip net 172.16.16.0/24)) or (ip and ip[6:2]"));
    let (_, out, _) = labcap(&["filter", "tcp.flags.syn==1"]);
    assert!(out.contains("superset"));
}

#[test]
fn dns_expectations_grade_the_lab_lookups() {
    let f = fixture("dns.pcapng");
    let f = f.to_str().unwrap();
    let (code, out, _) = labcap(&[
        "replay",
        f,
        "-Y",
        "udp.port==53",
        "--summary",
        "--expect-query",
        "www.espnfc.com",
        "--expect-answer",
        "www.its.ac.id",
        "--expect-rcode",
        "www.espnfc.cosm=NXDOMAIN",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("PASS answer www.its.ac.id: A 203.0.113.5"),
        "{out}"
    );
    assert!(
        out.contains("NXDOMAIN") && out.contains("unanswered"),
        "{out}"
    );
    let (code, out, _) = labcap(&["replay", f, "--summary", "--expect-no-unanswered"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL no unanswered: 0x") && out.contains("127.0.0.12:53"),
        "{out}"
    );
    let (code, out, _) = labcap(&[
        "replay",
        f,
        "--summary",
        "--expect-answer",
        "www.espnfc.cosm",
    ]);
    assert_eq!(code, 1);
    assert!(
        out.contains("no NOERROR response with an answer: A NXDOMAIN"),
        "{out}"
    );
    let (code, _, err) = labcap(&["replay", f, "--expect-rcode", "x=NOPE"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown response code"), "{err}");
    let (code, out, _) = labcap(&["replay", f, "--json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let dns = doc["dns"].as_array().unwrap();
    let nx = dns
        .iter()
        .find(|t| t["qname"] == "www.espnfc.cosm")
        .unwrap();
    assert_eq!(nx["rcode"], "NXDOMAIN");
    assert!(nx["latency_ms"].as_f64().unwrap() > 0.0);
    let its = dns
        .iter()
        .find(|t| t["qname"] == "www.its.ac.id" && t["qtype"] == "A")
        .unwrap();
    assert_eq!(its["answers"][0], "A 203.0.113.5");
}

#[test]
fn a_detail_limit_lists_fewer_connections_but_checks_them_all() {
    let f = fixture("mesin1.pcapng");
    let (code, out, _) = labcap(&[
        "replay",
        f.to_str().unwrap(),
        "--json",
        "--detail-limit",
        "1",
        "--expect-connections",
        "4",
        "--expect-echo",
    ]);
    assert_eq!(code, 0, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["connections"].as_array().unwrap().len(), 1);
    assert_eq!(doc["tcp_totals"]["connections"], 4);
    assert_eq!(doc["tcp_totals"]["listed"], 1);
    let echo = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "echo")
        .unwrap();
    assert_eq!(echo["detail"], "4 connections echoed byte for byte");
}

#[test]
fn several_files_make_a_json_array_in_order() {
    let (a, b) = (fixture("mesin1.pcapng"), fixture("dns.pcapng"));
    let (code, out, _) = labcap(&["replay", a.to_str().unwrap(), b.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{out}");
    let docs: serde_json::Value = serde_json::from_str(&out).unwrap();
    let docs = docs.as_array().unwrap();
    assert_eq!(docs.len(), 2);
    assert!(docs[0]["file"].as_str().unwrap().ends_with("mesin1.pcapng"));
    assert_eq!(docs[0]["tcp_totals"]["connections"], 4);
    assert!(docs[1]["dns"].as_array().unwrap().len() >= 10);
}

#[test]
fn nothing_passes_on_a_capture_that_was_not_read() {
    let (code, out, err) = labcap(&["replay", "missing.pcap", "--expect-no-rst"]);
    assert_eq!(code, 2);
    assert!(!out.contains("PASS") && out.is_empty(), "{out}");
    assert!(err.contains("missing.pcap: offset 0: cannot open"), "{err}");
    // A cut file: what was read is reported, the checks are not evaluated, exit 2.
    let bytes = std::fs::read(fixture("mesin1.pcapng")).unwrap();
    let dir = Scratch::new("cut");
    let cut = dir.write("cut.pcapng", &bytes[..3000]);
    let cut_name = cut.to_str().unwrap();
    let (code, out, err) = labcap(&["replay", cut_name, "--summary", "--expect-no-rst"]);
    assert_eq!(code, 2);
    assert!(
        !out.contains("PASS") && out.contains("its checks were not evaluated"),
        "{out}"
    );
    assert!(err.contains("the file ends inside a block"), "{err}");
    let (code, out, _) = labcap(&["replay", cut_name, "--json", "--expect-no-rst"]);
    assert_eq!(code, 2);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["checks"], serde_json::json!([]));
    assert!(doc["error"].as_str().unwrap().contains("offset 2996"));
    std::fs::remove_file(&cut).unwrap();
}

#[test]
fn expectation_flags_are_checked_by_the_vocabulary() {
    let f = fixture("mesin1.pcapng");
    let f = f.to_str().unwrap();
    let (code, _, err) = labcap(&["replay", f, "--expect-rcode", "x=NXDOMAN"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown response code \"NXDOMAN\""), "{err}");
    let (code, _, err) = labcap(&["replay", f, "--expect-server-segments", "32,0"]);
    assert_eq!(code, 2);
    assert!(err.contains("1 to 65535"), "{err}");
    let (code, out, _) = labcap(&[
        "replay",
        f,
        "--summary",
        "-Y",
        "tcp.port==32444",
        "--expect-server-segments",
        "32,32,32,1",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("PASS server segments [32, 32, 32, 1]"),
        "{out}"
    );
    let (_, help, _) = labcap(&["replay", "--help"]);
    assert!(
        help.contains("TCP expectations:") && help.contains("DNS expectations:"),
        "{help}"
    );
}

#[test]
fn replay_draws_the_selected_connections_as_an_svg_diagram() {
    let dir = std::env::temp_dir().join(format!("labcap-diagram-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("task4.svg");
    let (svg_arg, f) = (svg.to_str().unwrap(), fixture("mesin1.pcapng"));
    let f = f.to_str().unwrap();
    // Both connections of task 4, one below the other, with the report as usual on stdout.
    let (code, out, err) = labcap(&[
        "replay",
        f,
        "-Y",
        "tcp.port==32434",
        "--summary",
        "--expect-connections",
        "2",
        "--diagram",
        svg_arg,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("PASS connections == 2"), "{out}");
    assert!(err.contains("(2 connections)"), "{err}");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<?xml") && text.trim_end().ends_with("</svg>"));
    assert_eq!(text.matches("Stream ").count(), 2, "{text}");
    assert!(text.contains("INI ADALAH DATA YANG DIKIRIM"));
    assert!(text.contains(":32434</text>"));
    // One of them, by its stream; a stream the filter does not select is an error.
    let (code, _, err) = labcap(&[
        "replay",
        f,
        "-Y",
        "tcp.port==32434",
        "--summary",
        "--diagram",
        svg_arg,
        "--diagram-stream",
        "3",
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(text.matches("Stream ").count(), 1);
    assert!(text.contains("Stream 3: "));
    let (code, _, err) = labcap(&[
        "replay",
        f,
        "-Y",
        "tcp.port==32434",
        "--diagram",
        svg_arg,
        "--diagram-stream",
        "0",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--diagram-stream 0: no such connection") && err.contains("streams: 2, 3"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs labcap with `input` on its standard input.
fn labcap_stdin(args: &[&str], input: &[u8]) -> (i32, String, String) {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_labcap"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Written from a thread: labcap may stop reading early (-c) or write before reading all.
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn a_capture_piped_from_tcpdump_reads_from_stdin() {
    let f = fixture("lo-echo.pcap");
    let tcpdump = Command::new("tcpdump")
        .args(["-r", f.to_str().unwrap(), "-w", "-"])
        .output()
        .expect("tcpdump is installed (.ci/run installs it)");
    assert!(tcpdump.status.success());
    let (code, out, err) = labcap_stdin(&["replay", "-", "--expect-echo"], &tcpdump.stdout);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("stdin: 14 packets read, 14 matched") && out.contains("PASS echo"),
        "{out}"
    );
    let (_, json, _) = labcap_stdin(&["replay", "-", "--json"], &tcpdump.stdout);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (doc["file"].as_str(), doc["packets"].as_u64()),
        (Some("stdin"), Some(14))
    );
    // Compressed on the way in, and an error names stdin and the offset.
    let (code, out, _) = labcap_stdin(&["replay", "-", "--summary"], &gzip(&tcpdump.stdout));
    assert_eq!(code, 0);
    assert!(out.contains("stdin: 14 packets read"), "{out}");
    let (code, _, err) = labcap_stdin(&["replay", "-"], &tcpdump.stdout[..100]);
    assert_eq!(code, 2);
    assert!(
        err.contains("labcap: stdin: offset ") && err.contains("ends inside a record"),
        "{err}"
    );
}

#[test]
fn gzip_and_zstd_captures_replay_as_the_plain_file() {
    let dir = Scratch::new("cli");
    let plain = fixture("mesin1.pcapng");
    let bytes = std::fs::read(&plain).unwrap();
    let gz = dir.path("mesin1.pcapng.gz");
    std::fs::write(&gz, gzip(&bytes)).unwrap();
    let zst = dir.path("mesin1.pcapng.zst");
    std::fs::write(
        &zst,
        ruzstd::encoding::compress_to_vec(&bytes[..], ruzstd::encoding::CompressionLevel::Fastest),
    )
    .unwrap();
    let args = ["--json", "-Y", "tcp.port==32444", "--expect-echo"];
    let (_, want, _) = labcap(&[&["replay", plain.to_str().unwrap()][..], &args].concat());
    let want: serde_json::Value = serde_json::from_str(&want).unwrap();
    for packed in [&gz, &zst] {
        let (code, got, err) = labcap(&[&["replay", packed.to_str().unwrap()][..], &args].concat());
        assert_eq!(code, 0, "{err}");
        let mut got: serde_json::Value = serde_json::from_str(&got).unwrap();
        got["file"] = want["file"].clone();
        assert_eq!(got, want, "{}", packed.display());
    }
    // What used to be "not a pcap or pcapng file (magic 1f8b0808)".
    let (code, out, err) = labcap(&["replay", gz.to_str().unwrap(), "--summary"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("59 packets read"), "{out}");
}

#[test]
fn dash_r_reads_files_in_command_line_order_and_dash_c_stops_each() {
    let (a, b, c) = (
        fixture("lo-echo.pcap"),
        fixture("dns.pcapng"),
        fixture("mesin1.pcapng"),
    );
    let (a, b, c) = (
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        c.to_str().unwrap(),
    );
    let (code, out, err) = labcap(&["replay", "-r", a, c, "-r", b, "--json"]);
    assert_eq!(code, 0, "{err}");
    let docs: serde_json::Value = serde_json::from_str(&out).unwrap();
    let files: Vec<&str> = docs
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, [a, c, b]);
    let (code, out, err) = labcap(&["replay", "-r", b, "-r", a, "-c", "5", "--summary"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("dns.pcapng: 5 packets read") && out.contains("lo-echo.pcap: 5 packets read"),
        "{out}"
    );
    // -c with the packet list: five lines.
    let (_, out, _) = labcap(&["replay", "-r", a, "-c", "3"]);
    let listed = out
        .lines()
        .filter(|l| l.contains(" → ") && l.contains("TCP"))
        .count();
    assert!(listed >= 3 && out.contains("3 packets read"), "{out}");
    let (code, _, err) = labcap(&["replay"]);
    assert_eq!(code, 2);
    assert!(!err.contains("-- -r"), "{err}");
}

/// `tshark -r FILE [-Y FILTER]` fields of every frame: time, encapsulation, length.
fn tshark_frames(file: &std::path::Path, filter: Option<&str>) -> Vec<String> {
    let mut args = vec!["-r", file.to_str().unwrap()];
    if let Some(f) = filter {
        args.extend(["-Y", f]);
    }
    args.extend([
        "-T",
        "fields",
        "-e",
        "frame.time_epoch",
        "-e",
        "frame.encap_type",
    ]);
    args.extend(["-e", "frame.len", "-e", "frame.cap_len"]);
    common::tshark_output(&args)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn dash_w_writes_the_matched_packets_tshark_reads_them_back() {
    let dir = Scratch::new("cli");
    // Two sections with Ethernet, Linux cooked v2 and raw IP frames.
    let mixed = fixture("mixed.pcapng");
    let out_all = dir.path("all.pcapng");
    let (code, _, err) = labcap(&[
        "replay",
        mixed.to_str().unwrap(),
        "--summary",
        "-w",
        out_all.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let want = tshark_frames(&mixed, None);
    assert_eq!(want.len(), 40);
    assert_eq!(tshark_frames(&out_all, None), want);
    // Only what the filter matched, listed or not.
    let lossy = fixture("lossy.pcap");
    let filter = "tcp.len > 0 && tcp.srcport == 32444";
    for list in [true, false] {
        let out = dir.path("matched.pcapng");
        let mut args = vec![
            "replay",
            lossy.to_str().unwrap(),
            "-Y",
            filter,
            "-w",
            out.to_str().unwrap(),
        ];
        if !list {
            args.push("--json");
        }
        let (code, _, err) = labcap(&args);
        assert_eq!(code, 0, "{err}");
        let want = tshark_frames(&lossy, Some(filter));
        assert!(!want.is_empty());
        assert_eq!(tshark_frames(&out, None), want, "list {list}");
        // And labcap reads it back to the same report.
        let (_, back, _) = labcap(&["replay", out.to_str().unwrap(), "--summary"]);
        assert!(
            back.contains(&format!("{} packets read", want.len())),
            "{back}"
        );
    }
    let (code, _, err) = labcap(&[
        "replay",
        mixed.to_str().unwrap(),
        "-w",
        "/nonexistent/x.pcapng",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot create /nonexistent/x.pcapng"), "{err}");
}

#[test]
fn interfaces_are_numbered_as_tshark_d_numbers_them() {
    let (code, out, err) = labcap(&["interfaces"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("1. "), "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains(". lo (Loopback)") && l.contains("127.0.0.1/8")),
        "{out}"
    );
    assert!(out.lines().any(|l| l.contains(". any (")), "{out}");
    // The names tshark -D lists (it adds its extcap tools), in the same order; an interface
    // that came or went between the two listings is left out of the comparison.
    let names = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
            .collect()
    };
    let tshark = Command::new("tshark").arg("-D").output().unwrap();
    let theirs = names(&String::from_utf8_lossy(&tshark.stdout));
    let ours = names(&out);
    let common: Vec<&String> = ours.iter().filter(|n| theirs.contains(n)).collect();
    let theirs_common: Vec<&String> = theirs.iter().filter(|n| ours.contains(n)).collect();
    assert_eq!(common, theirs_common, "ours {ours:?}, tshark's {theirs:?}");
    assert!(
        common.len() >= 2 && common.len() + 2 >= ours.len(),
        "ours {ours:?}, tshark's {theirs:?}"
    );
}

#[test]
fn labcap_alone_says_what_to_type_first() {
    let (code, out, err) = labcap::<&str>(&[]);
    assert_eq!(code, 2, "{out}");
    for first in [
        "labcap grade --spec tugas1 --class fixtures/class",
        "labcap replay FILE",
        "--help",
    ] {
        assert!(err.contains(first), "{err}");
    }
    assert!(err.lines().count() < 15, "short: {err}");
    let (code, help, _) = labcap(&["--help"]);
    assert_eq!(code, 0);
    assert!(
        help.contains("Start with:") && help.contains("interfaces"),
        "{help}"
    );
    let (_, help, _) = labcap(&["replay", "--help"]);
    assert!(
        help.contains("Examples:") && help.contains("| labcap replay -"),
        "{help}"
    );
}

#[test]
fn version_names_the_libpcap() {
    let (code, out, _) = labcap(&["--version"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with(&format!(
            "labcap {}, libpcap version 1.",
            env!("CARGO_PKG_VERSION")
        )),
        "{out}"
    );
}

#[test]
fn completions_and_man_pages_come_from_the_real_flags() {
    for (shell, mark) in [
        ("bash", "_labcap()"),
        ("zsh", "#compdef labcap"),
        ("fish", "complete -c labcap"),
    ] {
        let (code, out, err) = labcap(&["completions", shell]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains(mark), "{shell}: {out}");
        assert!(
            out.contains("expect-echo") && out.contains("read-file"),
            "{shell}"
        );
    }
    let (code, out, _) = labcap(&["man"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(".TH labcap 1") && out.contains("labcap\\-replay"),
        "{out}"
    );
    let (code, out, _) = labcap(&["man", "replay"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(".TH labcap-replay 1") && out.contains("\\-\\-expect\\-handshake"),
        "{out}"
    );
    let (code, _, err) = labcap(&["man", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("the commands are: replay, filter"), "{err}");
}

/// Runs labcap with its standard output closed before it writes (`labcap … | head -0`).
fn labcap_into_closed_pipe(args: &[&str]) -> (i32, String) {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_labcap"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn a_closed_pipe_ends_every_output_quietly() {
    let (mesin1, lossy) = (fixture("mesin1.pcapng"), fixture("lossy.pcap"));
    let (mesin1, lossy) = (mesin1.to_str().unwrap(), lossy.to_str().unwrap());
    let class = fixture("class");
    let class = class.to_str().unwrap();
    for args in [
        &["replay", lossy][..],
        &["replay", lossy, "--json"],
        &["replay", lossy, mesin1, "--json"],
        &["replay", lossy, "--summary"],
        &["grade", "--spec", "tugas1", "--class", class],
        &["grade", "--spec", "tugas1", "--class", class, "--json"],
        &["grade", "--spec", "tugas1", "--class", class, "--csv"],
        &["spec", "terms"],
        &["spec", "show", "tugas1"],
        &["completions", "bash"],
        &["man"],
    ] {
        let (code, err) = labcap_into_closed_pipe(args);
        // Exit 1 is a failed check (grade: some students fail), not the pipe.
        assert!(code == 0 || code == 1, "{args:?}: exit {code}: {err}");
        assert_eq!(err, "", "{args:?}");
    }
}

#[test]
fn the_summary_line_says_one_of_a_thing() {
    let lo = fixture("lo-echo.pcap");
    let (_, out, _) = labcap(&["replay", lo.to_str().unwrap(), "--summary", "-c", "1"]);
    assert!(
        out.contains(": 1 packet read, 1 matched, 0 malformed, 0 truncated; 1 TCP connection\n"),
        "{out}"
    );
    let dns = fixture("dns.pcapng");
    let (_, out, _) = labcap(&["replay", dns.to_str().unwrap(), "--summary", "-c", "2"]);
    assert!(
        out.contains("2 packets read") && out.contains("; 0 TCP connections; 1 DNS transaction ("),
        "{out}"
    );
}

#[test]
fn lab_hints_keep_the_prefix() {
    let dir = Scratch::new("cli");
    let out_dir = dir.path("lab-out");
    let (code, _, err) = labcap(&[
        "lab",
        "--prefix",
        "zz9-",
        "run",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the lab is not up: run `labcap lab --prefix zz9- up` first"),
        "{err}"
    );
    let (_, _, err) = labcap(&["lab", "run", "--prefix", "zz9-"]);
    assert!(err.contains("`labcap lab --prefix zz9- up`"), "{err}");
}

#[test]
fn the_setcap_hint_names_the_real_binary() {
    // Needs root to drop to an unprivileged user, and setpriv (util-linux).
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n");
    if !root.unwrap_or(false) || Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: needs root and setpriv");
        return;
    }
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_labcap")).unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(&exe)
        .args(["tcp", "--duration", "0.1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("Permission denied") && !err.contains("labcap:") {
        eprintln!("skipped: the unprivileged user cannot run the test binary here: {err}");
        return;
    }
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "sudo setcap cap_net_raw,cap_net_admin=eip {}",
            exe.display()
        )),
        "{err}"
    );
}

/// Runs labcap with its stdout on a pseudo-terminal `cols` columns wide (NO_COLOR unset, then
/// `env` set); what it printed there (`\r\n` as `\n`).
fn labcap_on_terminal(args: &[&str], cols: u16, env: &[(&str, &str)]) -> String {
    use std::io::Read;
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: 50,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes the two descriptors, which are then owned here.
    let opened = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut child = Command::new(env!("CARGO_BIN_EXE_labcap"))
        .args(args)
        .env_remove("NO_COLOR")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .stdout(slave)
        .spawn()
        .unwrap();
    let mut terminal = std::fs::File::from(master);
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        // Ends with EIO once the last writer (the child) has gone.
        let _ = terminal.read_to_end(&mut out);
        out
    });
    child.wait().unwrap();
    let out = reader.join().unwrap();
    String::from_utf8_lossy(&out).replace("\r\n", "\n")
}

#[test]
fn colour_is_for_terminals_unless_told_otherwise() {
    let f = fixture("mesin2.pcapng");
    let f = f.to_str().unwrap();
    let args = ["replay", f, "--summary", "--expect-echo", "--expect-no-rst"];
    let (green, red) = ("\x1b[32mPASS\x1b[0m", "\x1b[31mFAIL\x1b[0m");
    // Piped: no colour by default, colour with --color always (after the subcommand too).
    let (code, out, _) = labcap(&args);
    assert_eq!(code, 1);
    assert!(out.contains("PASS echo") && !out.contains('\x1b'), "{out}");
    let (_, out, _) = labcap(&[&args[..], &["--color", "always"]].concat());
    assert!(out.contains(green) && out.contains(red), "{out}");
    let (_, out, _) = labcap(&[&["--color", "never"], &args[..]].concat());
    assert!(!out.contains('\x1b'), "{out}");
    // On a terminal: colour, unless NO_COLOR (not empty) or --color never; always wins.
    let out = labcap_on_terminal(&args, 100, &[]);
    assert!(out.contains(green) && out.contains(red), "{out}");
    let out = labcap_on_terminal(&args, 100, &[("NO_COLOR", "")]);
    assert!(out.contains(green), "{out}");
    let out = labcap_on_terminal(&args, 100, &[("NO_COLOR", "1")]);
    assert!(out.contains("PASS echo") && !out.contains('\x1b'), "{out}");
    let out = labcap_on_terminal(&[&args[..], &["--color", "never"]].concat(), 100, &[]);
    assert!(out.contains("PASS echo") && !out.contains('\x1b'), "{out}");
    let always = [&["--color", "always"], &args[..]].concat();
    let out = labcap_on_terminal(&always, 100, &[("NO_COLOR", "1")]);
    assert!(out.contains(green), "{out}");
    // The grade report: points green, failures red, missing captures yellow.
    let class = fixture("class");
    let grade = [
        "grade",
        "--spec",
        "tugas1",
        "--class",
        class.to_str().unwrap(),
    ];
    let (code, out, _) = labcap(&grade);
    assert_eq!(code, 1);
    assert!(!out.contains('\x1b'), "{out}");
    let (_, out, _) = labcap(&[&grade[..], &["--color", "always"]].concat());
    assert!(
        out.contains("\x1b[32m20\x1b[0m")
            && out.contains("\x1b[31m0\x1b[0m")
            && out.contains("\x1b[33m-\x1b[0m")
            && out.contains("\x1b[33mbudi: "),
        "{out}"
    );
    let (_, out, _) = labcap(&[&grade[..], &["--detail", "--color", "always"]].concat());
    assert!(out.contains("\x1b[31mFAIL\x1b[0m capture: "), "{out}");
    // A capture not read to its end: the warning in yellow.
    let bytes = std::fs::read(fixture("mesin1.pcapng")).unwrap();
    let cut = std::env::temp_dir().join(format!("labcap-cut-colour-{}.pcapng", std::process::id()));
    std::fs::write(&cut, &bytes[..3000]).unwrap();
    let (code, out, _) = labcap(&[
        "replay",
        cut.to_str().unwrap(),
        "--summary",
        "--color",
        "always",
    ]);
    std::fs::remove_file(&cut).unwrap();
    assert_eq!(code, 2);
    assert!(
        out.contains("\x1b[33mlabcap: ") && out.contains("its checks were not evaluated\x1b[0m"),
        "{out}"
    );
}

#[test]
fn tables_fit_the_terminal_and_stay_whole_in_a_pipe() {
    let f = fixture("mesin2.pcapng");
    let args = ["replay", f.to_str().unwrap(), "--summary"];
    for cols in [80, 120] {
        let out = labcap_on_terminal(&args, cols, &[("NO_COLOR", "1")]);
        for line in out.lines() {
            assert!(line.chars().count() <= cols as usize, "{cols}:\n{out}");
        }
        for address in [
            "172.16.16.102:34542",
            "172.16.16.101:32434",
            "127.0.0.11:53",
        ] {
            assert!(out.lines().any(|l| l.contains(address)), "{cols}:\n{out}");
        }
    }
    // 80 columns: the byte counts merged, History and Start left out.
    let out = labcap_on_terminal(&args, 80, &[("NO_COLOR", "1")]);
    assert!(out.contains("97/97") && !out.contains("History"), "{out}");
    // Piped: every column, whatever COLUMNS says.
    let out = Command::new(env!("CARGO_BIN_EXE_labcap"))
        .args(args)
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.contains("┆ History  ┆") && out.contains("┆ Start    ┆ Duration │"),
        "{out}"
    );
}
