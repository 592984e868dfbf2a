//! The fuzz targets' committed inputs, replayed on stable through the same entry points
//! (`labcap::fuzzing`): the seed corpus (`scripts/fuzz-seeds.sh`) and every crash the fuzzers
//! found (`fuzz/artifacts-kept/<target>/`), so a fixed crash stays fixed without nightly.

use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut found = Vec::new();
    for (dir, seeds_only) in [
        (root.join("corpus").join(target), true),
        (root.join("artifacts-kept").join(target), false),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy();
            // The corpus folder also holds what a local fuzz run added: only seeds count.
            if !seeds_only || name.starts_with("seed-") {
                found.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

fn replay_all(target: &str, at_least: usize, run: fn(&[u8])) {
    let inputs = inputs(target);
    assert!(
        inputs.len() >= at_least,
        "{target}: {} inputs",
        inputs.len()
    );
    for (path, data) in inputs {
        if std::panic::catch_unwind(|| run(&data)).is_err() {
            panic!("{target}: {} panicked", path.display());
        }
    }
}

#[test]
fn replay_corpus() {
    replay_all("replay", 20, labcap::fuzzing::replay);
}

#[test]
fn decode_corpus() {
    replay_all("decode", 10, labcap::fuzzing::decode);
}

#[test]
fn dns_corpus() {
    replay_all("dns", 10, labcap::fuzzing::dns);
}

/// The filter texts through parse, match and libpcap: a BPF that libpcap refuses (other than
/// "rejects all packets") or that misses a packet the matcher accepts fails.
#[test]
fn filter_corpus() {
    let inputs = inputs("filter");
    assert!(inputs.len() >= 20, "{} filters", inputs.len());
    for (path, data) in inputs {
        let text = String::from_utf8_lossy(&data);
        if let Err(e) = labcap::fuzzing::check_filter(&text) {
            panic!("{}: {e}", path.display());
        }
    }
}
