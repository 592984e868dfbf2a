//! Live capture for real, inside network namespaces the tests create: handshake, echo and
//! close; a refused connection; two concurrent clients; DNS; the pcapng written with -w read
//! back by tshark and by replay to the same report; SLL v2; the stop conditions; and the errors
//! a person gets without privileges or with a wrong interface.

mod common;

use std::path::PathBuf;

use common::netns::{lab_script as lab, skip_live, Netns};
use common::tshark;

const BIN: &str = env!("CARGO_BIN_EXE_labcap");

/// Runs labcap inside `ns`: exit code, stdout, stderr.
fn labcap(ns: &Netns, args: &[&str]) -> (i32, String, String) {
    ns.output(BIN, args)
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("labcap-live-{}-{name}", std::process::id()))
}

#[test]
fn echo_is_captured_checked_and_written_like_replay_reads_it() {
    if skip_live() {
        return;
    }
    let mut ns = Netns::new();
    ns.python_server(10000);
    let file = temp("echo.pcapng");
    let f = file.to_str().unwrap();
    let (code, out, err) = labcap(
        &ns,
        &[
            "tcp",
            "--port",
            "10000",
            "-w",
            f,
            "--expect-handshake",
            "--expect-echo",
            "--expect-close",
            "--expect-payload",
            "INI ADALAH DATA",
            "--",
            "python3",
            &lab("client.py"),
            "127.0.0.1",
            "10000",
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        err.contains("capturing on any (LINUX_SLL (113)), kernel filter \"tcp port 10000\""),
        "{err}"
    );
    assert!(
        out.contains("PASS echo") && out.contains("PASS command"),
        "{out}"
    );
    assert!(out.contains("[SYN]") && out.contains("[FIN, ACK]"), "{out}");

    // tshark reads the file: every frame, on the interface it names.
    let rows = tshark(
        &file,
        None,
        &["frame.number", "tcp.flags.str", "frame.interface_name"],
    );
    let listed = out
        .lines()
        .filter(|l| l.contains(" → ") && l.contains("TCP"))
        .count();
    assert_eq!(rows.len(), listed, "{out}");
    assert!(rows.iter().all(|r| r[2] == "any"));

    // Replay of the written file prints what live printed, line for line.
    let replayed = std::process::Command::new(BIN)
        .args([
            "replay",
            f,
            "-Y",
            "tcp.port==10000",
            "--expect-handshake",
            "--expect-echo",
            "--expect-close",
            "--expect-payload",
            "INI ADALAH DATA",
        ])
        .output()
        .unwrap();
    let replayed = String::from_utf8_lossy(&replayed.stdout);
    let body = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with("PASS command") && !l.contains("packets read"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(body(&out), body(&replayed));
    std::fs::remove_file(&file).unwrap();
}

#[test]
fn refused_and_concurrent_clients() {
    if skip_live() {
        return;
    }
    let mut ns = Netns::new();
    // Nobody listens on 10000: the lab's first observation.
    let (code, out, err) = labcap(
        &ns,
        &[
            "tcp",
            "--port",
            "10000",
            "--summary",
            "--expect-refused",
            "--expect-connections",
            "1",
            "--",
            "python3",
            &lab("client.py"),
            "127.0.0.1",
            "10000",
        ],
    );
    assert_eq!(
        code, 1,
        "the client fails, so the command check fails: {out}\n{err}"
    );
    assert!(
        out.contains("PASS refused") && out.contains("FAIL command"),
        "{out}"
    );
    assert!(out.contains("REJ"), "{out}");

    // Task 4: two clients at once against the one-at-a-time server; stop after both closed.
    ns.python_server(32434);
    let file97 = temp("file97.txt");
    std::fs::write(&file97, "x".repeat(97)).unwrap();
    let script = format!(
        "python3 {} 127.0.0.1 32434 {} & sleep 0.15; python3 {} 127.0.0.1 32434; wait",
        lab("slow_client.py"),
        file97.display(),
        lab("client.py")
    );
    let (code, out, err) = labcap(
        &ns,
        &[
            "tcp",
            "--port",
            "32434",
            "--summary",
            "--connections",
            "2",
            "--expect-concurrent",
            "--expect-echo",
            "--expect-connections",
            "2",
            "--",
            "sh",
            "-c",
            &script,
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("PASS concurrent"), "{out}");
    std::fs::remove_file(&file97).unwrap();
}

#[test]
fn dns_lookups_live() {
    if skip_live() {
        return;
    }
    let mut ns = Netns::new();
    ns.resolv_conf("nameserver 127.0.0.11\n");
    ns.lab_dns();
    let lookups = "import socket\nfor h in ['www.espnfc.com', 'www.its.ac.id', 'www.espnfc.cosm']:\n    try: print(h, socket.gethostbyname(h))\n    except Exception as e: print('ERROR', h, e)\n";
    let (code, out, err) = labcap(
        &ns,
        &[
            "dns",
            "--expect-answer",
            "www.espnfc.com",
            "--expect-answer",
            "www.its.ac.id",
            "--expect-rcode",
            "www.espnfc.cosm=NXDOMAIN",
            "--expect-no-unanswered",
            "--",
            "python3",
            "-c",
            lookups,
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        err.contains("kernel filter \"(udp port 53) or (tcp port 53)\""),
        "{err}"
    );
    assert!(
        out.contains("Standard query response") && out.contains("No such name"),
        "{out}"
    );
    assert!(
        out.contains("A 192.0.2.10") && out.contains("NXDOMAIN"),
        "{out}"
    );
}

#[test]
fn sll2_count_and_duration() {
    if skip_live() {
        return;
    }
    let mut ns = Netns::new();
    ns.python_server(10000);
    // Linux cooked v2 with a filter: libpcap 1.10.3 would drop everything in the kernel.
    let client = format!("sleep 0.2; python3 {} 127.0.0.1 10000", lab("client.py"));
    let (code, out, err) = labcap(
        &ns,
        &[
            "tcp",
            "--sll2",
            "--port",
            "10000",
            "--count",
            "3",
            "--summary",
            "--expect-handshake",
            "--",
            "sh",
            "-c",
            &client,
        ],
    );
    assert!(err.contains("LINUX_SLL2 (276)"), "{err}");
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("3 packets read, 3 matched"), "{out}");
    // An idle line: the duration ends the capture (a blocking read would hang here).
    let (code, out, err) = labcap(
        &ns,
        &["tcp", "--port", "9", "--duration", "0.5", "--summary"],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("0 packets read"), "{out}");
}

#[test]
fn errors_say_what_to_do() {
    if skip_live() {
        return;
    }
    let ns = Netns::new();
    let (code, _, err) = labcap(&ns, &["tcp", "-i", "eth9", "--count", "1"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no interface named \"eth9\"; the interfaces here are:") && err.contains("lo"),
        "{err}"
    );
    let out = ns
        .command("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            BIN,
            "tcp",
            "-i",
            "lo",
            "--count",
            "1",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("CAP_NET_RAW") && err.contains("setcap cap_net_raw,cap_net_admin=eip"),
        "{err}"
    );
    let (code, _, err) = labcap(&ns, &["tcp", "-Y", "tcp.port==", "--count", "1"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid filter") && err.contains('^'), "{err}");
}

/// A bulk loopback transfer: frames of 65,549 bytes, longer than the 65,535-byte snapshot length
/// tools often default to (this test fails with it), several MiB in a burst. Every byte must be
/// captured for the echo check to pass.
#[test]
fn a_bulk_loopback_transfer_is_captured_whole() {
    if skip_live() {
        return;
    }
    let mut ns = Netns::new();
    ns.spawn(&[
        BIN, "server", "--port", "32444", "--chunk", "65536", "--quiet",
    ]);
    ns.wait_listening(32444);
    let file = temp("bulk.bin");
    let bytes: Vec<u8> = (0..3u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&file, &bytes).unwrap();
    let (code, out, err) = labcap(
        &ns,
        &[
            "tcp",
            "-i",
            "lo",
            "--port",
            "32444",
            "--summary",
            "--expect-echo",
            "--expect-close",
            "--",
            "labcap",
            "client",
            "--port",
            "32444",
            "--file",
            file.to_str().unwrap(),
            "--quiet",
        ],
    );
    std::fs::remove_file(&file).unwrap();
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("PASS echo: 1 connection echoed byte for byte"),
        "{out}"
    );
    assert!(out.contains("3145728"), "all bytes both ways: {out}");
    assert!(out.contains(" 0 truncated"), "full snapshot length: {out}");
    assert!(err.contains("dropped: 0 for want of buffer"), "{err}");
}

#[test]
fn a_filter_that_matches_nothing_captures_nothing_instead_of_failing() {
    if skip_live() {
        return;
    }
    let ns = Netns::new();
    // libpcap's optimizer refuses it ("expression rejects all packets").
    let (code, out, err) = labcap(
        &ns,
        &[
            "tcp",
            "--iface",
            "lo",
            "-Y",
            "tcp.port==1 && udp.port==2",
            "--duration",
            "0.3",
            "--summary",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 packets read"), "{out}");
}
