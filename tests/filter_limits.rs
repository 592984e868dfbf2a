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
