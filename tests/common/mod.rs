//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test crate uses its own subset of these helpers

pub mod netns;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;

use labcap::pipeline::{Analysis, Pipeline, PipelineOptions};
use labcap::report::list::ListedPacket;
use labcap::source::FileSource;

/// A bundled fixture.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Every fixture file.
pub fn all_fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(
        files.len() >= 6,
        "fixtures missing: run scripts/make-fixtures.sh"
    );
    files
}

/// Replays a file through the library, returning every listed packet and the analysis.
pub fn replay(path: &Path, filter: Option<&str>) -> (Vec<ListedPacket>, Analysis) {
    let options = PipelineOptions {
        filter: filter.map(|f| labcap::filter::Filter::parse(f).unwrap()),
        list: true,
        ..Default::default()
    };
    let mut pipeline = Pipeline::new(options);
    let mut lines = Vec::new();
    FileSource::open(path)
        .unwrap()
        .for_each_frame(&mut |frame| {
            lines.extend(pipeline.push(&frame));
            ControlFlow::Continue(())
        })
        .unwrap();
    (lines, pipeline.finish())
}

/// tshark's fields for every packet of `path` (matching `filter`), one Vec per packet; the
/// first occurrence of each field.
/// tshark is the oracle: its absence fails the test (CI installs it).
pub fn tshark(path: &Path, filter: Option<&str>, fields: &[&str]) -> Vec<Vec<String>> {
    tshark_occurrences(path, filter, fields, "f")
}

/// Like [`tshark`], with every occurrence of a field joined by `,` (`occurrence` = `a`).
pub fn tshark_occurrences(
    path: &Path,
    filter: Option<&str>,
    fields: &[&str],
    occurrence: &str,
) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-n").arg("-r").arg(path).args([
        "-T",
        "fields",
        "-E",
        "separator=\t",
        "-E",
        "aggregator=,",
        "-E",
        &format!("occurrence={occurrence}"),
    ]);
    if let Some(f) = filter {
        cmd.args(["-Y", f]);
    }
    for field in fields {
        cmd.args(["-e", field]);
    }
    let out = cmd
        .output()
        .expect("tshark is needed for the agreement tests: apt-get install tshark");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}
