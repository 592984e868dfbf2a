//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test crate uses its own subset of these helpers

pub mod netns;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;

use labcap::pipeline::{Analysis, Pipeline, PipelineOptions};
use labcap::report::list::ListedPacket;
use labcap::source::FileSource;

/// A directory of one test's own for the files it writes, removed with them when the test is
/// done (dropped), so test runs leave nothing behind in the temporary directory.
pub struct Scratch(PathBuf);

impl Scratch {
    /// A new, empty directory; `tag` names it (`labcap-TAG-PID-N`).
    pub fn new(tag: &str) -> Scratch {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("labcap-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// The path of `name` in it.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes `bytes` to `name` in it; returns the path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

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

/// The captures of fixtures/wire/ (`scripts/make-wire-fixtures.sh`).
pub fn wire_fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture("wire"))
        .expect("fixtures/wire: run scripts/make-wire-fixtures.sh")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 6, "{files:?}");
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

/// Runs the labcap binary with `args`: its exit code, standard output and standard error.
pub fn labcap<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_labcap"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// The frame numbers a filter selects, by labcap and by tshark (`decode_as` for tshark, which
/// decodes HTTP only on its registered ports; labcap recognises it by content).
pub fn selected_frames(path: &Path, filter: &str, decode_as: &[&str]) -> (Vec<u64>, Vec<u64>) {
    let (lines, _) = replay(path, Some(filter));
    let ours: Vec<u64> = lines.iter().map(|l| l.number).collect();
    let mut args = vec!["-n", "-r", path.to_str().unwrap()];
    args.extend(decode_as);
    args.extend(["-Y", filter, "-T", "fields", "-e", "frame.number"]);
    let theirs = tshark_output(&args)
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    (ours, theirs)
}

/// Asserts that `filter` selects in `path` exactly the frames tshark selects.
pub fn assert_selects_tsharks_frames(path: &Path, filter: &str) {
    let (lines, _) = replay(path, Some(filter));
    let ours: Vec<String> = lines.iter().map(|l| l.number.to_string()).collect();
    let theirs: Vec<String> = tshark(path, Some(filter), &["frame.number"])
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(ours, theirs, "{} with filter {filter}", path.display());
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
    let mut args: Vec<std::ffi::OsString> = vec!["-n".into(), "-r".into(), path.into()];
    for a in [
        "-T",
        "fields",
        "-E",
        "separator=\t",
        "-E",
        "aggregator=,",
        "-E",
        &format!("occurrence={occurrence}"),
    ] {
        args.push(a.into());
    }
    if let Some(f) = filter {
        args.push("-Y".into());
        args.push(f.into());
    }
    for field in fields {
        args.push("-e".into());
        args.push(field.into());
    }
    tshark_output(&args)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// A conversation's two endpoints, the lower first, with its frames.
fn pair(a: String, b: String, frames: u64) -> (String, String, u64) {
    if a <= b {
        (a, b, frames)
    } else {
        (b, a, frames)
    }
}

/// tshark's UDP conversations (`-z conv,udp`): each endpoint pair, sorted, with its frames.
pub fn tshark_udp_conversations(path: &std::path::Path) -> Vec<(String, String, u64)> {
    let text = tshark_output(&[
        "-r".as_ref(),
        path.as_os_str(),
        "-q".as_ref(),
        "-z".as_ref(),
        "conv,udp".as_ref(),
    ]);
    let mut convs: Vec<(String, String, u64)> = text
        .lines()
        .filter(|l| l.contains(" <-> "))
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            // a <-> b frames bytes "bytes" frames bytes "bytes" total-frames ...
            let total: u64 = words[9].parse().unwrap();
            pair(words[0].to_string(), words[2].to_string(), total)
        })
        .collect();
    convs.sort();
    convs
}

/// Asserts that labcap's UDP conversations in `path` are tshark's (`-z conv,udp`): each endpoint
/// pair, as tshark writes it (an IPv6 address without brackets), with its frames.
pub fn assert_udp_conversations_as_tsharks(path: &Path) {
    let (_, analysis) = replay(path, None);
    let bare = |e: &labcap::analysis::Endpoint| e.to_string().replace(['[', ']'], "");
    let mut ours: Vec<(String, String, u64)> = analysis
        .udp
        .conversations
        .iter()
        .map(|c| {
            pair(
                bare(&c.a),
                bare(&c.b),
                c.a_to_b.datagrams + c.b_to_a.datagrams,
            )
        })
        .collect();
    ours.sort();
    assert_eq!(ours, tshark_udp_conversations(path), "{}", path.display());
}

/// Where the saved tshark answers live: `fixtures/golden/tshark.txt`, every answer in one file, each
/// record `@@ BYTES tshark KEY` and then the answer (one file: hundreds of small ones made the
/// fixtures folder large on disk).
fn golden_file() -> PathBuf {
    fixture("golden/tshark.txt")
}

/// Where `LABCAP_GOLDEN=write` puts each answer, one file each (tests write at once);
/// `scripts/make-golden.sh` then bundles them into [`golden_file`].
fn golden_new_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/golden-new")
}

/// The saved answers by key, read once.
fn golden_answers() -> &'static std::collections::HashMap<String, String> {
    static ANSWERS: std::sync::OnceLock<std::collections::HashMap<String, String>> =
        std::sync::OnceLock::new();
    ANSWERS.get_or_init(|| {
        let text = std::fs::read_to_string(golden_file()).unwrap_or_default();
        let mut answers = std::collections::HashMap::new();
        let mut rest = text.as_str();
        while let Some(record) = rest.strip_prefix("@@ ") {
            let (header, body) = record.split_once('\n').expect("a record header");
            let (len, key) = header.split_once(" tshark ").expect("@@ BYTES tshark KEY");
            let len: usize = len.parse().expect("a byte count");
            answers.insert(key.to_string(), body[..len].to_string());
            rest = &body[len..];
        }
        answers
    })
}

/// tshark's standard output for `args`. On a bundled fixture it is read from the golden file
/// that `scripts/make-golden.sh` saved (tshark is started once per query when the fixtures
/// are made, not by every test run); `LABCAP_GOLDEN=write` runs tshark and (re)writes it. On
/// any other file (a live capture) tshark runs.
/// tshark is the oracle: its absence fails the test (CI installs it).
pub fn tshark_output<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    saved_tshark(args, run_tshark)
}

/// tshark's verdict on a display filter, saved as [`tshark_output`] saves its answers: `Ok` when
/// it takes it (reading `fixtures/dns.pcapng`), `Err` with its message when it refuses it.
pub fn tshark_filter_verdict(filter: &str) -> Result<(), String> {
    let file = fixture("dns.pcapng");
    let args = ["-n", "-r", file.to_str().unwrap(), "-c", "1", "-Y", filter];
    let out = saved_tshark(&args, |args| {
        let out = Command::new("tshark").args(args).output().expect("tshark");
        if out.status.success() {
            "ok\n".to_string()
        } else {
            // The first line is the message; the filter and a caret follow.
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            let message = err
                .lines()
                .find(|l| l.starts_with("tshark: "))
                .unwrap_or("refused")
                .to_string();
            format!("error: {message}\n")
        }
    });
    match out.trim_end().strip_prefix("error: ") {
        Some(message) => Err(message.to_string()),
        None => Ok(()),
    }
}

/// `run`'s answer for `args`, saved in `fixtures/golden/tshark.txt` when they name a fixture.
fn saved_tshark<S: AsRef<std::ffi::OsStr>>(args: &[S], run: fn(&[String]) -> String) -> String {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    let root = fixture("");
    let fixture_arg = args
        .iter()
        .find(|a| Path::new(a).starts_with(&root) && Path::new(a).is_file());
    let Some(file) = fixture_arg else {
        return run(&args);
    };
    // The key names the fixture by its place and its content, so a remade fixture with stale
    // golden files fails loudly instead of comparing against the old capture.
    let bytes = std::fs::read(file).unwrap();
    let digest = hex16(&bytes);
    let key: Vec<String> = args
        .iter()
        .map(|a| match Path::new(a).strip_prefix(&root) {
            Ok(rel) if a == file => format!("fixtures/{}@{digest}", rel.display()),
            _ => a.clone(),
        })
        .collect();
    let key = key.join(" ");
    if std::env::var_os("LABCAP_GOLDEN").is_some_and(|v| v == "write") {
        let out = run(&args);
        let path = golden_new_dir().join(format!("{}.txt", hex16(key.as_bytes())));
        std::fs::create_dir_all(golden_new_dir()).unwrap();
        std::fs::write(&path, format!("{key}\n{out}")).unwrap();
        return out;
    }
    golden_answers()
        .get(&key)
        .unwrap_or_else(|| {
            panic!("no saved tshark output for `tshark {key}`: run scripts/make-golden.sh")
        })
        .clone()
}

/// The first 16 hex digits of the SHA-256 of `bytes`.
fn hex16(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs tshark, failing the test when it is missing or fails.
fn run_tshark(args: &[String]) -> String {
    let out = Command::new("tshark")
        .args(args)
        .output()
        .expect("tshark is needed for the agreement tests: apt-get install tshark");
    assert!(
        out.status.success(),
        "tshark {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
