//! Grading a class against a spec: the made-up class of `fixtures/class/` (made in namespaces
//! by scripts/make-class-fixtures.sh), every task's result; the printers; the built-in spec
//! shown, saved and graded as a file equals `lab check`; spec errors point at the line.

mod common;

use std::process::{Command, Output};

use common::fixture;
use labcap::grade::{grade, grade_with, ClassReport, EvidenceLimits, GradeOptions, Submission};
use labcap::spec::Spec;

const BIN: &str = env!("CARGO_BIN_EXE_labcap");

fn labcap(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn class() -> ClassReport {
    let spec = Spec::load("tugas1").unwrap();
    grade(&spec, &Submission::class(&fixture("class")).unwrap(), 2)
}

/// Which tasks (1-based, the table's numbering) each student passed.
fn passed(report: &ClassReport, student: &str) -> Vec<usize> {
    let s = report
        .students
        .iter()
        .find(|s| s.student == student)
        .unwrap();
    s.tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.passed)
        .map(|(i, _)| i + 1)
        .collect()
}

#[test]
fn every_student_of_the_class_gets_the_grade_their_captures_earn() {
    let report = class();
    let names: Vec<&str> = report.students.iter().map(|s| s.student.as_str()).collect();
    assert_eq!(names, ["ani", "budi", "citra", "dewi", "eko", "fajar"]);
    let all: Vec<usize> = (1..=8).collect();
    // ani: everything right.
    assert_eq!(passed(&report, "ani"), all);
    // budi: no mesin3 capture: only task #8 (mesin3's) fails, with the reason.
    assert_eq!(passed(&report, "budi"), [1, 2, 3, 4, 5, 6, 7]);
    let budi = &report.students[1];
    let t8 = &budi.tasks[7];
    assert!(t8.checks.is_empty());
    assert!(t8
        .error
        .as_deref()
        .unwrap()
        .contains("no capture of mesin3"));
    assert_eq!(budi.errors.len(), 1);
    // citra: task 3 on 32445: #5 fails because there is no connection on 32444.
    assert_eq!(passed(&report, "citra"), [1, 2, 3, 4, 6, 7, 8]);
    let t5 = &report.students[2].tasks[4];
    assert!(t5.checks.iter().any(|c| c.name == "connections == 1"
        && !c.passed
        && c.detail.contains("0 TCP connections")));
    // dewi: the server answers "OK\n": every echo task fails on echo, refused and DNS pass.
    assert_eq!(passed(&report, "dewi"), [1, 2]);
    let t4 = &report.students[3].tasks[3];
    let failed: Vec<&str> = t4
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failed, ["echo", "server segments [32, 14]"]);
    // eko: misnamed files are found by their patterns.
    assert_eq!(passed(&report, "eko"), all);
    let eko = &report.students[4];
    assert_eq!(
        eko.tasks[0].capture.as_deref(),
        Some("mesin2_capture.pcapng")
    );
    assert_eq!(eko.tasks[7].capture.as_deref(), Some("MESIN3.PCAPNG"));
    // fajar: no DNS at all: task 1 fails, the rest pass.
    assert_eq!(passed(&report, "fajar"), [2, 3, 4, 5, 6, 7, 8]);
    let t1 = &report.students[5].tasks[0];
    assert!(t1
        .checks
        .iter()
        .all(|c| !c.passed || c.name == "no unanswered"));
    let points: Vec<u32> = report.students.iter().map(|s| s.points).collect();
    assert_eq!(points, [100, 90, 85, 30, 100, 80]);
}

#[test]
fn evidence_for_the_html_report_is_kept_only_when_asked_and_changes_no_grade() {
    let spec = Spec::load("tugas1").unwrap();
    let class = Submission::class(&fixture("class")).unwrap();
    let plain = grade(&spec, &class, 2);
    assert!(plain
        .students
        .iter()
        .flat_map(|s| &s.tasks)
        .all(|t| t.evidence.is_none()));
    let options = GradeOptions {
        evidence: Some(EvidenceLimits::default()),
        ..GradeOptions::default()
    };
    let kept = grade_with(&spec, &class, 2, options);
    // The same grades, the same JSON.
    assert_eq!(
        serde_json::to_string(&plain).unwrap(),
        serde_json::to_string(&kept).unwrap()
    );
    // ani's task 4 on mesin1: both connections, every segment, the payload's first bytes.
    let t6 = &kept.students[0].tasks[5];
    let e = t6.evidence.as_ref().unwrap();
    assert!(e.tcp && !e.dns);
    assert_eq!((e.connections.len(), e.connections_total), (2, 2));
    for c in &e.connections {
        assert_eq!(c.events.len() as u64, c.packets(), "stream {}", c.stream);
        assert_eq!(c.events_dropped, 0);
        let sent = (0..c.events.len()).find(|&i| c.events[i].len > 0).unwrap();
        assert!(!c.event_payload(sent).is_empty());
    }
    // Task 1 read DNS only.
    let e = kept.students[0].tasks[0].evidence.as_ref().unwrap();
    assert!(e.dns && !e.tcp && e.connections.is_empty());
    assert!(!e.transactions.is_empty());
    assert_eq!(e.transactions.len() as u64, e.transactions_total);
    // budi's missing capture: nothing to show.
    assert!(kept.students[1].tasks[7].evidence.is_none());
}

#[test]
fn the_class_table_fits_80_columns_and_the_exit_code_says_some_failed() {
    let out = labcap(&[
        "grade",
        "--spec",
        "tugas1",
        "--class",
        fixture("class").to_str().unwrap(),
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    for line in t.lines() {
        assert!(line.chars().count() <= 80, "too wide: {line}");
    }
    assert!(
        t.contains("ani      20  10  10  10  15  15  10  10 100/100"),
        "{t}"
    );
    assert!(
        t.contains("budi     20  10  10  10  15  15  10   -  90/100"),
        "{t}"
    );
    assert!(
        t.contains("#5   15 pt  task 3: a 97-byte file echoed on 32444 (mesin1)"),
        "{t}"
    );
    assert!(t.contains("budi: no capture of mesin3 in"), "{t}");
    // One student who passed everything: exit 0.
    let out = labcap(&[
        "grade",
        "--spec",
        "tugas1",
        fixture("class/eko").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn json_csv_and_junit_carry_the_same_grades() {
    let class = fixture("class");
    let junit = std::env::temp_dir().join(format!("labcap-junit-{}.xml", std::process::id()));
    let out = labcap(&[
        "grade",
        "--spec",
        "tugas1",
        "--class",
        class.to_str().unwrap(),
        "--json",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["spec"]["name"], "tugas1");
    assert_eq!(doc["points_possible"], 100);
    let dewi = &doc["students"][3];
    assert_eq!(dewi["student"], "dewi");
    assert_eq!(dewi["points"], 30);
    let task = &dewi["tasks"][2];
    assert_eq!(task["title"], "task 2: echo from 172.16.16.101:10000");
    assert_eq!(task["points"], 10);
    assert_eq!(task["passed"], false);
    let echo = task["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "echo")
        .unwrap();
    assert_eq!(echo["passed"], false);
    assert!(echo["detail"].as_str().unwrap().contains("different bytes"));
    assert!(doc["students"][1]["errors"][0]
        .as_str()
        .unwrap()
        .contains("no capture of mesin3"));

    let xml = std::fs::read_to_string(&junit).unwrap();
    std::fs::remove_file(&junit).unwrap();
    assert!(
        xml.contains("<testsuites name=\"tugas1\" tests=\"48\" failures=\"9\">"),
        "{xml}"
    );
    assert!(
        xml.contains("<testsuite name=\"dewi\" tests=\"8\" failures=\"6\">"),
        "{xml}"
    );

    let out = labcap(&[
        "grade",
        "--spec",
        "tugas1",
        "--class",
        class.to_str().unwrap(),
        "--csv",
    ]);
    let csv = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 7);
    assert!(
        rows[0].starts_with("student,task 1: DNS lookups through 127.0.0.11,"),
        "{csv}"
    );
    assert!(
        rows[4].starts_with("dewi,20,10,0,0,0,0,0,0,30,100,"),
        "{csv}"
    );
}

#[test]
fn the_builtin_spec_saved_as_a_file_grades_as_lab_check() {
    let dir = std::env::temp_dir().join(format!("labcap-spec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tugas1.toml");
    let shown = labcap(&["spec", "show", "tugas1"]);
    assert_eq!(shown.status.code(), Some(0));
    std::fs::write(&file, &shown.stdout).unwrap();
    let check = labcap(&["spec", "check", file.to_str().unwrap()]);
    assert!(
        text(&check).contains("3 machines, 8 tasks, 100 points"),
        "{}",
        text(&check)
    );
    for student in ["ani", "dewi", "budi"] {
        let folder = fixture(&format!("class/{student}"));
        let graded = labcap(&[
            "grade",
            "--spec",
            file.to_str().unwrap(),
            folder.to_str().unwrap(),
            "--detail",
        ]);
        let lab = labcap(&["lab", "check", folder.to_str().unwrap()]);
        assert_eq!(graded.status.code(), lab.status.code(), "{student}");
        // The per-task checks are the same lines.
        let tasks = |out: &Output| -> Vec<String> {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| l.starts_with("PASS") || l.starts_with("FAIL") || l.contains(" — "))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(tasks(&graded), tasks(&lab), "{student}");
        assert!(!tasks(&lab).is_empty());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn spec_errors_point_at_the_line_and_key() {
    let dir = std::env::temp_dir().join(format!("labcap-badspec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = Spec::builtin_text("tugas1").unwrap();
    let line_of = |needle: &str| good.lines().position(|l| l.contains(needle)).unwrap() + 1;
    for (from, to, key, message) in [
        (
            "no_unanswered = true",
            "no_unanswerd = true",
            "expect.no_unanswerd",
            "unknown expectation",
        ),
        (
            "filter = \"tcp.port==32444\"",
            "filter = \"tcp.port=32444\"",
            "tasks.filter",
            "tcp.port=32444",
        ),
        (
            "rcode = { \"www.espnfc.cosm\" = \"NXDOMAIN\" }",
            "rcode = { \"www.espnfc.cosm\" = \"NXDOMAN\" }",
            "expect.rcode",
            "unknown response code \"NXDOMAN\"",
        ),
    ] {
        let file = dir.join("bad.toml");
        std::fs::write(&file, good.replacen(from, to, 1)).unwrap();
        let out = labcap(&["spec", "check", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        let want = format!("{}:{}: {key}:", file.display(), line_of(from));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&want) && err.contains(message),
            "{err}\nwanted {want}"
        );
        // grade refuses the spec with the same message, before reading any capture.
        let out = labcap(&[
            "grade",
            "--spec",
            file.to_str().unwrap(),
            "--class",
            fixture("class").to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains(&want));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn two_candidate_captures_fail_only_that_machine() {
    let dir = std::env::temp_dir().join(format!("labcap-twice-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["mesin1.pcapng", "mesin2.pcapng", "mesin3.pcapng"] {
        std::fs::copy(fixture(&format!("class/ani/{f}")), dir.join(f)).unwrap();
    }
    std::fs::copy(
        fixture("class/ani/mesin1.pcapng"),
        dir.join("Mesin1-old.pcapng"),
    )
    .unwrap();
    let spec = Spec::load("tugas1").unwrap();
    let report = grade(&spec, &[Submission::from_dir(&dir)], 1);
    let s = &report.students[0];
    for t in &s.tasks {
        if t.machine == "mesin1" {
            let e = t.error.as_deref().unwrap();
            assert!(
                e.contains("2 captures of mesin1")
                    && e.contains("Mesin1-old.pcapng, mesin1.pcapng"),
                "{e}"
            );
            assert!(!t.passed);
        } else {
            assert!(t.passed, "{}", t.title);
        }
    }
    // An unreadable capture is a reason too, and not a pass.
    std::fs::remove_file(dir.join("Mesin1-old.pcapng")).unwrap();
    std::fs::write(dir.join("mesin3.pcapng"), b"not a capture").unwrap();
    let report = grade(&spec, &[Submission::from_dir(&dir)], 1);
    let t8 = &report.students[0].tasks[7];
    assert!(!t8.passed && t8.checks.is_empty());
    assert!(
        t8.error.as_deref().unwrap().contains("mesin3.pcapng"),
        "{:?}",
        t8.error
    );
    assert_eq!(report.students[0].points, 90);
    std::fs::remove_dir_all(&dir).unwrap();
}
