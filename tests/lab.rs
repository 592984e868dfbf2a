//! The lab: the bundled captures labcap made of the assignment hold every expectation; grading
//! fails captures that do not; and `labcap lab up|run|down` works end to end in namespaces.

mod common;

use std::process::Command;

use common::fixture;
use common::netns::skip_live;
use labcap::grade::{grade, Submission};
use labcap::spec::Spec;

const BIN: &str = env!("CARGO_BIN_EXE_labcap");

#[test]
fn bundled_lab_captures_hold_every_expectation() {
    let spec = Spec::load("tugas1").unwrap();
    let report = grade(&spec, &[Submission::from_dir(&fixture(""))], 2);
    let student = &report.students[0];
    assert_eq!(student.tasks.len(), spec.tasks.len());
    for t in &student.tasks {
        assert!(t.error.is_none(), "{}: {:?}", t.title, t.error);
        for c in &t.checks {
            assert!(
                c.passed,
                "{} {}: {} {}",
                t.machine, t.title, c.name, c.detail
            );
        }
    }
    assert_eq!(student.points, 100);
    let out = Command::new(BIN)
        .args(["lab", "check"])
        .arg(fixture(""))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("every expectation of the assignment holds")
    );
}

#[test]
fn grading_fails_the_wrong_captures() {
    // mesin3's capture offered as everyone's: no DNS, no refusal, no file.
    let dir = std::env::temp_dir().join(format!("labcap-lab-wrong-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for m in ["mesin1", "mesin2", "mesin3"] {
        std::fs::copy(fixture("mesin3.pcapng"), dir.join(format!("{m}.pcapng"))).unwrap();
    }
    let out = Command::new(BIN)
        .args(["lab", "check"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAIL refused") && text.contains("FAIL answer www.espnfc.com"),
        "{text}"
    );
    assert!(
        text.contains("FAIL server segments [32, 32, 32, 1]"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    // A folder that is not there is an error naming it.
    let out = Command::new(BIN)
        .args(["lab", "check", "/nonexistent"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent: no such folder"));
}

#[test]
fn lab_up_run_down() {
    if skip_live() {
        return;
    }
    let prefix = format!("lt{}-", std::process::id());
    let out_dir = std::env::temp_dir().join(format!("labcap-lab-{}", std::process::id()));
    let lab = |args: &[&str]| {
        Command::new("timeout")
            .arg("60")
            .arg(BIN)
            .args(["lab", "--prefix", &prefix])
            .args(args)
            .output()
            .unwrap()
    };
    let up = lab(&["up"]);
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let again = lab(&["up"]);
    assert_eq!(again.status.code(), Some(2));
    let again = String::from_utf8_lossy(&again.stderr);
    assert!(
        again.contains(&format!("labcap lab --prefix {prefix} down")),
        "{again}"
    );
    let run = lab(&["run", "--out", out_dir.to_str().unwrap()]);
    let down = lab(&["down"]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(!text.contains("FAIL"), "{text}");
    assert!(
        text.contains("PASS concurrent") && text.contains("PASS rcode www.espnfc.cosm=NXDOMAIN"),
        "{text}"
    );
    for m in ["mesin1", "mesin2", "mesin3"] {
        assert!(out_dir.join(format!("{m}.pcapng")).exists());
    }
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    let left = Command::new("ip").args(["netns", "list"]).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&left.stdout).contains(&prefix),
        "namespaces left behind"
    );
    std::fs::remove_dir_all(&out_dir).unwrap();
}
