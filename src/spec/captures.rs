//! Which file of a submission folder is a machine's capture: the spec's patterns (`*`, `?`),
//! compared without case, so `Mesin1.pcapng`, `mesin2_capture.pcapng` and `MESIN3.PCAPNG` are
//! found; none or two is an error that says what the folder holds.

use std::path::{Path, PathBuf};

use super::MachineSpec;

/// Why a machine's capture could not be chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaptureError {
    /// No file matches the patterns.
    Missing(String),
    /// More than one file matches.
    Ambiguous(String),
}

impl std::fmt::Display for CaptureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CaptureError::Missing(s) | CaptureError::Ambiguous(s) => f.write_str(s),
        }
    }
}

/// The one file in `dir` matching `machine`'s patterns.
pub fn find_capture(dir: &Path, machine: &MachineSpec) -> Result<PathBuf, CaptureError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        CaptureError::Missing(format!("cannot read the folder {}: {e}", dir.display()))
    })?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    let found: Vec<&String> = names
        .iter()
        .filter(|n| machine.captures.iter().any(|p| glob(p, n)))
        .collect();
    match found.as_slice() {
        [one] => Ok(dir.join(one)),
        [] => Err(CaptureError::Missing(format!(
            "no capture of {} in {} (looked for {}; the folder has {})",
            machine.name,
            dir.display(),
            machine.captures.join(", "),
            if names.is_empty() {
                "no files".to_string()
            } else {
                crate::report::escape::sanitize(&names.join(", "))
            }
        ))),
        many => Err(CaptureError::Ambiguous(format!(
            "{} captures of {} in {}: {}; keep one or rename the others",
            many.len(),
            machine.name,
            dir.display(),
            crate::report::escape::sanitize(
                &many
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        ))),
    }
}

/// `*` any run of characters, `?` one; letters compared without case.
fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let n: Vec<char> = name.to_lowercase().chars().collect();
    // Iterative wildcard match with backtracking to the last `*`.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_ignore_case() {
        for name in [
            "mesin1.pcapng",
            "Mesin1.pcapng",
            "MESIN1.PCAPNG",
            "mesin1_capture.pcapng",
        ] {
            assert!(glob("mesin1*.pcapng", name), "{name}");
        }
        for name in [
            "mesin2.pcapng",
            "mesin1.pcap",
            "xmesin1.pcapng",
            "mesin1.pcapng.txt",
        ] {
            assert!(!glob("mesin1*.pcapng", name), "{name}");
        }
        assert!(glob("m?sin*", "mesin"));
        assert!(glob("*", ""));
    }

    #[test]
    fn none_or_two_candidates_say_so() {
        let dir = std::env::temp_dir().join(format!("labcap-captures-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let machine = MachineSpec {
            name: "mesin1".into(),
            address: None,
            captures: vec!["mesin1*.pcapng".into()],
        };
        std::fs::write(dir.join("notes.txt"), "").unwrap();
        let e = find_capture(&dir, &machine).unwrap_err().to_string();
        assert!(
            e.contains("no capture of mesin1") && e.contains("notes.txt"),
            "{e}"
        );
        std::fs::write(dir.join("Mesin1.pcapng"), "").unwrap();
        assert_eq!(find_capture(&dir, &machine), Ok(dir.join("Mesin1.pcapng")));
        std::fs::write(dir.join("mesin1-old.pcapng"), "").unwrap();
        let e = find_capture(&dir, &machine).unwrap_err();
        assert!(matches!(e, CaptureError::Ambiguous(_)), "{e}");
        assert!(
            e.to_string().contains("Mesin1.pcapng, mesin1-old.pcapng"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
