//! The course's other modules graded from captures made in namespaces by
//! scripts/make-course-fixtures.sh: each built-in spec passes its right capture in full and
//! fails the wrong one where it is wrong; the flags say the same as the specs.

mod common;

use std::process::Command;

use common::fixture;
use labcap::grade::{grade, Submission};
use labcap::spec::Spec;

const BIN: &str = env!("CARGO_BIN_EXE_labcap");

/// Points per task of `folder` graded against the built-in `spec`.
fn points(spec: &str, folder: &str) -> Vec<u32> {
    let spec = Spec::load(spec).unwrap();
    let report = grade(&spec, &[Submission::from_dir(&fixture(folder))], 1);
    let s = &report.students[0];
    for t in &s.tasks {
        for c in &t.checks {
            eprintln!("{} | {}: {} {}", t.title, c.name, c.passed, c.detail);
        }
    }
    s.tasks.iter().map(|t| t.earned).collect()
}

#[test]
fn every_course_spec_grades_its_capture_in_full() {
    assert_eq!(points("tugas2-udp", "course/udp"), [50, 50]);
    assert_eq!(points("tugas3-time", "course/time"), [40, 30, 30]);
    assert_eq!(points("tugas4-file", "course/fileserver"), [20, 30, 30, 20]);
    assert_eq!(points("tugas5-http", "course/http"), [25, 25, 25, 25]);
    assert_eq!(points("tugas8-tls", "course/tls"), [40, 30, 30]);
}

#[test]
fn a_wrong_time_server_fails_its_answers_and_its_quit() {
    assert_eq!(points("tugas3-time", "course/time-wrong"), [0, 30, 0]);
    let spec = Spec::load("tugas3-time").unwrap();
    let report = grade(
        &spec,
        &[Submission::from_dir(&fixture("course/time-wrong"))],
        1,
    );
    let tasks = &report.students[0].tasks;
    let answer = &tasks[0].checks[0];
    assert!(
        answer
            .detail
            .starts_with("6 of 6 matching requests: stream 0 \"TIME\\r\\n\": response \"JAM ")
            && answer.detail.contains("does not match"),
        "{}",
        answer.detail
    );
    assert!(tasks[2].checks[0]
        .detail
        .contains("the client closed first"));
}

#[test]
fn a_file_server_is_graded_on_the_files_it_moves() {
    // The same exchanges with the wrong expected hash or size fail, saying what was decoded.
    let f = fixture("course/fileserver/mesin1.pcapng");
    let out = Command::new(BIN)
        .args([
            "replay",
            f.to_str().unwrap(),
            "--summary",
            "--frame",
            "6666=crlf,blank-line",
        ])
        .args(["--expect-exchange", r"^LIST\r\n$=>^\{.*OK"])
        .args(["--expect-min-exchanges", "6"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("PASS exchanges >= 6: 6 requests answered in 6 conversations"),
        "{text}"
    );
    assert!(
        text.contains("GET donalbebek.txt\\r\\n"),
        "the exchanges table: {text}"
    );
    let bad = "[assignment]\nname = \"x\"\n[[machines]]\nname = \"mesin1\"\n[[tasks]]\ntitle = \"t\"\nmachine = \"mesin1\"\nframes = [\"6666=crlf,blank-line\"]\n[tasks.expect]\nexchange = { request = '^GET donalbebek', base64 = { field = \"data_file\", size = 98 } }\n";
    let spec = Spec::parse(bad, "bad.toml").unwrap();
    let report = grade(
        &spec,
        &[Submission::from_dir(&fixture("course/fileserver"))],
        1,
    );
    let check = &report.students[0].tasks[0].checks[0];
    assert!(!check.passed);
    assert!(
        check
            .detail
            .contains("data_file decodes to 97 bytes, not 98"),
        "{}",
        check.detail
    );
}

#[test]
fn udp_and_http_flags_read_like_the_specs() {
    let udp = fixture("course/udp/mesin1.pcapng");
    let replay = |args: &[&str]| {
        let out = Command::new(BIN)
            .arg("replay")
            .arg(&udp)
            .args(["--summary", "-Y", "ip.dst==172.16.16.101"])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = replay(&[
        "--expect-udp-to",
        "5005 from=172.16.16.102,172.16.16.103 count=5 size=13",
    ]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = replay(&["--expect-udp-to", "5005 from=172.16.16.102 count=4"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("172.16.16.102 sent 5, not 4"), "{text}");
    // The broadcasts are not to mesin1's address: the filter leaves them out.
    let (code, text) = replay(&["--expect-udp-broadcast", "5005"]);
    assert_eq!(code, Some(1), "{text}");
    let http = fixture("course/http/mesin1.pcapng");
    let out = Command::new(BIN)
        .args([
            "replay",
            http.to_str().unwrap(),
            "--json",
            "--expect-http",
            "GET /video 301",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["http"].as_array().unwrap().len(), 6);
    assert_eq!(doc["http"][1]["location"], "https://youtu.be/katoxpnTf04");
    assert_eq!(doc["checks"][0]["passed"], false);
    assert!(doc["checks"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("status 302, not 301"));
    assert_eq!(doc["udp"].as_array().unwrap().len(), 0);
}

#[test]
fn tls_checks_fail_what_the_handshake_does_not_show() {
    let spec = |expect: &str| {
        let text = format!(
            "[assignment]\nname = \"x\"\n[[machines]]\nname = \"mesin1\"\n[[tasks]]\ntitle = \"t\"\nmachine = \"mesin1\"\n[tasks.expect]\n{expect}\n"
        );
        let spec = Spec::parse(&text, "x.toml").unwrap();
        let report = grade(&spec, &[Submission::from_dir(&fixture("course/tls"))], 1);
        report.students[0].tasks[0].checks[0].clone()
    };
    let c = spec("tls = { sni = \"mesin9\" }");
    assert!(
        !c.passed && c.detail.contains("SNI \"mesin1\""),
        "{}",
        c.detail
    );
    let c = spec("tls = { min_version = \"1.3\" }");
    assert!(
        !c.passed && c.detail.contains("TLS 1.2 negotiated, below TLS 1.3"),
        "{}",
        c.detail
    );
    let c = spec("tls = { san = \"IP:10.0.0.1\" }");
    assert!(
        !c.passed && c.detail.contains("lacks IP:10.0.0.1"),
        "{}",
        c.detail
    );
    // Only the TLS 1.3 session: its certificate is encrypted, so the SAN was not read.
    let c = spec("tls = { sni = \"localhost\", san = \"IP:172.16.16.101\" }");
    assert!(
        !c.passed && c.detail.contains("the SAN was not read"),
        "{}",
        c.detail
    );
    // Plain HTTP carries its requests in clear.
    let text = "[assignment]\nname = \"x\"\n[[machines]]\nname = \"mesin1\"\n[[tasks]]\ntitle = \"t\"\nmachine = \"mesin1\"\n[tasks.expect]\nnot_in_clear = \"donalbebek\"\n";
    let spec = Spec::parse(text, "x.toml").unwrap();
    let report = grade(&spec, &[Submission::from_dir(&fixture("course/http"))], 1);
    let c = &report.students[0].tasks[0].checks[0];
    assert!(
        !c.passed && c.detail.contains("in clear in stream 2"),
        "{}",
        c.detail
    );
}

#[test]
fn http_tls_and_udp_run_when_asked_for() {
    let http = fixture("course/http/mesin1.pcapng");
    let run = |extra: &[&str]| {
        let out = Command::new(BIN)
            .arg("replay")
            .arg(&http)
            .arg("--summary")
            .args(extra)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(!run(&[]).contains("GET /video"), "HTTP is off by default");
    assert!(run(&["--analyze", "http"]).contains("GET /video"));
    assert!(run(&["--analyze", "all"]).contains("GET /video"));
    assert!(run(&["--expect-http", "GET /video 302"]).contains("PASS http GET /video"));
}

#[test]
fn udp_senders_are_timed() {
    let out = Command::new(BIN)
        .arg("replay")
        .arg(fixture("course/udp/mesin1.pcapng"))
        .args(["--json", "--analyze", "udp"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let convs = doc["udp"].as_array().unwrap();
    assert_eq!(convs.len(), 3);
    for c in convs {
        // The course's senders send every 0.2 s.
        let ms = c["a_to_b"]["mean_interval_ms"].as_f64().unwrap();
        assert!((190.0..260.0).contains(&ms), "{c}");
        assert_eq!(c["a_to_b"]["min_len"], c["a_to_b"]["max_len"]);
    }
    assert_eq!(convs[2]["broadcasts"], 3);
}

#[test]
fn a_base64_file_is_compared_with_a_file_beside_the_spec() {
    let dir = std::env::temp_dir().join(format!("labcap-b64-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let content = b"Donal Bebek tinggal di Kota Bebek\nbersama keponakannya: Kwik, Kwek, dan Kwak.\nPamannya si Gober.\n";
    std::fs::write(dir.join("donalbebek.txt"), content).unwrap();
    std::fs::write(dir.join("other.txt"), b"not the same file").unwrap();
    let spec = |file: &str| {
        let text = format!(
            "frames = [\"6666=crlf,blank-line\"]\n[assignment]\nname = \"x\"\n[[machines]]\nname = \"mesin1\"\n[[tasks]]\ntitle = \"t\"\nmachine = \"mesin1\"\n[tasks.expect]\nexchange = {{ request = '^GET donalbebek', base64 = {{ field = \"data_file\", file = \"{file}\" }} }}\n"
        );
        let path = dir.join("spec.toml");
        std::fs::write(&path, text).unwrap();
        let spec = Spec::load(path.to_str().unwrap()).unwrap();
        let report = grade(
            &spec,
            &[Submission::from_dir(&fixture("course/fileserver"))],
            1,
        );
        report.students[0].tasks[0].checks[0].clone()
    };
    assert!(spec("donalbebek.txt").passed);
    let c = spec("other.txt");
    assert!(
        !c.passed && c.detail.contains("decodes to 97 bytes, not 17"),
        "{}",
        c.detail
    );
    let text = "[assignment]\nname = \"x\"\n[[machines]]\nname = \"m\"\n[[tasks]]\ntitle = \"t\"\nmachine = \"m\"\n[tasks.expect]\nexchange = { request = 'x', base64 = { field = \"f\", file = \"missing.bin\" } }\n";
    std::fs::write(dir.join("bad.toml"), text).unwrap();
    let e = Spec::load(dir.join("bad.toml").to_str().unwrap())
        .unwrap_err()
        .0;
    assert!(
        e.contains("bad.toml:9: expect.exchange: base64.file: cannot read"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
