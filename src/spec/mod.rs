//! Assignments as data: a spec file (TOML) names the machines and their capture files,
//! variables, and the tasks with their filters, points and expectations. The built-in specs
//! (Tugas 1) are such files, embedded in the binary.

mod captures;
mod file;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

use serde::Serialize;

use crate::analysis::messages::framing::FrameRule;
use crate::checks::Expectations;
use crate::filter::Filter;

pub use captures::{find_capture, CaptureError};

/// The specs built into labcap: name and text.
pub const BUILTIN: &[(&str, &str)] = &[
    ("tugas1", include_str!("../../specs/tugas1.toml")),
    ("tugas2-udp", include_str!("../../specs/tugas2-udp.toml")),
    ("tugas3-time", include_str!("../../specs/tugas3-time.toml")),
    ("tugas4-file", include_str!("../../specs/tugas4-file.toml")),
    ("tugas5-http", include_str!("../../specs/tugas5-http.toml")),
    ("tugas8-tls", include_str!("../../specs/tugas8-tls.toml")),
];

/// A spec that does not hold, with where: `FILE:LINE: key: what is wrong`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError(pub String);

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpecError {}

/// One machine of the lab.
#[derive(Clone, Debug, Serialize)]
pub struct MachineSpec {
    /// Its name (`mesin1`).
    pub name: String,
    /// Its lab address, if given.
    pub address: Option<Ipv4Addr>,
    /// Case-insensitive file-name patterns (`*`, `?`) of its captures in a submission.
    pub captures: Vec<String>,
}

/// One graded task.
#[derive(Clone, Debug, Serialize)]
pub struct TaskSpec {
    /// As on the assignment sheet (`task 3: a 97-byte file echoed on 32444`).
    pub title: String,
    /// Points it is worth.
    pub points: u32,
    /// Whose capture it reads.
    pub machine: String,
    /// The display filter selecting its packets, as written (variables filled in).
    pub filter: Option<String>,
    /// What the selected packets must show.
    pub expect: Expectations,
    /// How line protocols are cut into messages (`PORTS=FRAMING`).
    #[serde(serialize_with = "rules_as_text")]
    pub frames: Vec<FrameRule>,
    /// The parsed filter.
    #[serde(skip)]
    pub parsed_filter: Option<Filter>,
}

fn rules_as_text<S: serde::Serializer>(rules: &[FrameRule], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(rules.iter().map(ToString::to_string))
}

/// A validated assignment spec.
#[derive(Clone, Debug, Serialize)]
pub struct Spec {
    /// Short name (`tugas1`).
    pub name: String,
    /// Title for reports.
    pub title: String,
    /// Where it came from: a file path, or `builtin:NAME`.
    pub source: String,
    /// The machines, in order.
    pub machines: Vec<MachineSpec>,
    /// The variables, as given.
    pub variables: BTreeMap<String, String>,
    /// The tasks, in order.
    pub tasks: Vec<TaskSpec>,
}

impl Spec {
    /// Parses and validates spec text; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<Spec, SpecError> {
        file::parse(text, source)
    }

    /// A built-in spec by name, or a spec file by path.
    pub fn load(name_or_path: &str) -> Result<Spec, SpecError> {
        if let Some((name, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            return Spec::parse(text, &format!("builtin:{name}"));
        }
        let path = Path::new(name_or_path);
        let text = std::fs::read_to_string(path).map_err(|e| {
            let builtin: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
            SpecError(format!(
                "{name_or_path}: {e} (not a spec file, nor a built-in spec: {})",
                builtin.join(", ")
            ))
        })?;
        Spec::parse(&text, &path.display().to_string())
    }

    /// The text of a built-in spec.
    pub fn builtin_text(name: &str) -> Option<&'static str> {
        BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }

    /// The machine named `name`.
    pub fn machine(&self, name: &str) -> Option<&MachineSpec> {
        self.machines.iter().find(|m| m.name == name)
    }

    /// Points over all tasks.
    pub fn points(&self) -> u32 {
        self.tasks.iter().map(|t| t.points).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_spec_is_valid() {
        let spec = Spec::load("tugas1").unwrap();
        assert_eq!(spec.machines.len(), 3);
        assert_eq!(spec.tasks.len(), 8);
        assert_eq!(spec.points(), 100);
        assert_eq!(spec.tasks[2].title, "task 2: echo from 172.16.16.101:10000");
        assert_eq!(
            spec.tasks[2].filter.as_deref(),
            Some("tcp.port==10000 && ip.addr==172.16.16.101")
        );
    }
}
