//! Reading a spec file: TOML into plain structs (unknown keys are errors), then validated into
//! a [`Spec`], every error naming the file, the line and the key.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde::Deserialize;
use toml::Spanned;

use super::{MachineSpec, Spec, SpecError, TaskSpec};
use crate::analysis::messages::framing::FrameRule;
use crate::checks::observe::sha256_hex;
use crate::checks::vocabulary::{self, Raw, TERMS};
use crate::checks::Expectations;
use crate::filter::Filter;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    assignment: RawAssignment,
    #[serde(default)]
    variables: BTreeMap<String, Spanned<String>>,
    machines: Vec<RawMachine>,
    /// Framing rules of the line protocols (`PORTS=FRAMING`), for every task.
    #[serde(default)]
    frames: Vec<Spanned<String>>,
    tasks: Vec<RawTask>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssignment {
    name: String,
    title: Option<String>,
    /// The spec's framing rules may also stand here (where a TA writing after
    /// `[assignment]` puts them).
    #[serde(default)]
    frames: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMachine {
    name: Spanned<String>,
    address: Option<Spanned<String>>,
    captures: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTask {
    title: Spanned<String>,
    #[serde(default = "one")]
    points: u32,
    machine: Spanned<String>,
    filter: Option<Spanned<String>>,
    /// Framing rules for this task instead of the spec's.
    frames: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    expect: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

fn one() -> u32 {
    1
}

/// Where errors point: the file's name and text.
struct At<'a> {
    source: &'a str,
    text: &'a str,
}

impl At<'_> {
    /// The folder files named in the spec are relative to (the spec's own; the working
    /// folder for a built-in spec).
    fn dir(&self) -> std::path::PathBuf {
        match std::path::Path::new(self.source).parent() {
            Some(p) if !self.source.starts_with("builtin:") => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        }
    }

    /// `FILE:LINE: key: message` for a span of the file.
    fn error(&self, span: std::ops::Range<usize>, key: &str, message: &str) -> SpecError {
        let line = self.text[..span.start.min(self.text.len())]
            .matches('\n')
            .count()
            + 1;
        SpecError(format!("{}:{line}: {key}: {message}", self.source))
    }
}

/// Parses and validates `text`.
pub(super) fn parse(text: &str, source: &str) -> Result<Spec, SpecError> {
    let at = At { source, text };
    let raw: RawSpec = toml::from_str(text).map_err(|e| match e.span() {
        Some(span) => at.error(span, "toml", e.message()),
        None => SpecError(format!("{source}: {}", e.message())),
    })?;
    if raw.assignment.name.trim().is_empty() {
        return Err(SpecError(format!(
            "{source}: assignment.name: must not be empty"
        )));
    }

    let mut machines: Vec<MachineSpec> = Vec::new();
    let mut variables: BTreeMap<String, String> = BTreeMap::new();
    for m in &raw.machines {
        let name = m.name.get_ref().trim().to_string();
        if name.is_empty() || machines.iter().any(|o| o.name == name) {
            let why = if name.is_empty() {
                "must not be empty"
            } else {
                "a machine of this name is given already"
            };
            return Err(at.error(m.name.span(), "machines.name", why));
        }
        let address = match &m.address {
            None => None,
            Some(a) => Some(a.get_ref().parse::<Ipv4Addr>().map_err(|_| {
                at.error(
                    a.span(),
                    "machines.address",
                    &format!("{:?} is not an IPv4 address", a.get_ref()),
                )
            })?),
        };
        if let Some(a) = address {
            variables.insert(name.clone(), a.to_string());
        }
        let captures = m
            .captures
            .clone()
            .unwrap_or_else(|| vec![format!("{name}*.pcapng"), format!("{name}*.pcap")]);
        machines.push(MachineSpec {
            name,
            address,
            captures,
        });
    }
    for (key, value) in &raw.variables {
        if variables.contains_key(key) {
            return Err(at.error(
                value.span(),
                &format!("variables.{key}"),
                "is a machine's name",
            ));
        }
        variables.insert(key.clone(), value.get_ref().clone());
    }
    let fill = |text: &str, span: std::ops::Range<usize>, key: &str| {
        substitute(text, &variables).map_err(|m| at.error(span, key, &m))
    };

    let rules = |list: &[Spanned<String>], key: &str| -> Result<Vec<FrameRule>, SpecError> {
        list.iter()
            .map(|f| FrameRule::parse(f.get_ref()).map_err(|m| at.error(f.span(), key, &m)))
            .collect()
    };
    let mut frames = rules(&raw.frames, "frames")?;
    frames.extend(rules(&raw.assignment.frames, "assignment.frames")?);
    if raw.tasks.is_empty() {
        return Err(SpecError(format!(
            "{source}: tasks: the spec has no [[tasks]]"
        )));
    }
    let mut tasks: Vec<TaskSpec> = Vec::new();
    for t in &raw.tasks {
        let title = fill(t.title.get_ref(), t.title.span(), "tasks.title")?;
        if tasks.iter().any(|o| o.title == title) {
            return Err(at.error(t.title.span(), "tasks.title", "another task has this title"));
        }
        let machine = t.machine.get_ref().clone();
        if !machines.iter().any(|m| m.name == machine) {
            let known: Vec<&str> = machines.iter().map(|m| m.name.as_str()).collect();
            return Err(at.error(
                t.machine.span(),
                "tasks.machine",
                &format!("no machine {machine:?} (the spec has {})", known.join(", ")),
            ));
        }
        let (filter, parsed_filter) = match &t.filter {
            None => (None, None),
            Some(f) => {
                let text = fill(f.get_ref(), f.span(), "tasks.filter")?;
                let parsed = Filter::parse(&text)
                    .map_err(|e| at.error(f.span(), "tasks.filter", &format!("{text:?}: {e}")))?;
                (Some(text), Some(parsed))
            }
        };
        let expect = expectations(&t.expect, &at, &fill)?;
        let frames = match &t.frames {
            Some(list) => rules(list, "tasks.frames")?,
            None => frames.clone(),
        };
        if expect.list.is_empty() {
            return Err(at.error(
                t.title.span(),
                "tasks.expect",
                "the task expects nothing (it would pass on any capture)",
            ));
        }
        tasks.push(TaskSpec {
            title,
            points: t.points,
            machine,
            filter,
            expect,
            frames,
            parsed_filter,
        });
    }
    Ok(Spec {
        name: raw.assignment.name.clone(),
        title: raw
            .assignment
            .title
            .clone()
            .unwrap_or_else(|| raw.assignment.name.clone()),
        source: source.to_string(),
        machines,
        variables: raw
            .variables
            .iter()
            .map(|(k, v)| (k.clone(), v.get_ref().clone()))
            .collect(),
        tasks,
    })
}

/// Fills a spec's variables into a value: (the text, where it stands in the file, the key).
type Fill<'a> = dyn Fn(&str, std::ops::Range<usize>, &str) -> Result<String, SpecError> + 'a;

/// A task's `expect` table, in the vocabulary's order.
fn expectations(
    table: &BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    at: &At<'_>,
    fill: &Fill<'_>,
) -> Result<Expectations, SpecError> {
    let mut found = Vec::new();
    for (key, value) in table {
        let term = vocabulary::find(key.get_ref()).ok_or_else(|| {
            let known: Vec<&str> = TERMS.iter().map(|t| t.key).collect();
            at.error(
                key.span(),
                &format!("expect.{}", key.get_ref()),
                &format!("unknown expectation (known: {})", known.join(", ")),
            )
        })?;
        let name = format!("expect.{}", term.key);
        let raw =
            raw(value.get_ref(), &|text| fill(text, value.span(), &name))?.ok_or_else(|| {
                at.error(
                    value.span(),
                    &name,
                    "expected a text, number, boolean, list or table",
                )
            })?;
        let mut raw = raw;
        if term.key == "exchange" {
            files_to_digests(&mut raw, &at.dir()).map_err(|m| at.error(value.span(), &name, &m))?;
        }
        let list = term
            .parse(&raw)
            .map_err(|m| at.error(value.span(), &name, &m))?;
        let order = TERMS
            .iter()
            .position(|t| t.key == term.key)
            .unwrap_or(usize::MAX);
        found.push((order, list));
    }
    found.sort_by_key(|(order, _)| *order);
    Ok(Expectations::new(
        found.into_iter().flat_map(|(_, l)| l).collect(),
    ))
}

/// In an exchange's `base64 = { file = "PATH" }`, the file (relative to the spec's folder) is
/// read and replaced by its size and SHA-256, which the check compares.
fn files_to_digests(raw: &mut Raw, dir: &std::path::Path) -> Result<(), String> {
    match raw {
        Raw::List(items) => items.iter_mut().try_for_each(|i| files_to_digests(i, dir)),
        Raw::Table(entries) => {
            for (key, value) in entries.iter_mut() {
                let Raw::Table(b64) = value else { continue };
                if key != "base64" {
                    continue;
                }
                let Some(at) = b64.iter().position(|(k, _)| k == "file") else {
                    continue;
                };
                let Raw::Text(path) = b64.remove(at).1 else {
                    return Err("base64.file: expected a file path".into());
                };
                let full = dir.join(&path);
                let bytes = std::fs::read(&full)
                    .map_err(|e| format!("base64.file: cannot read {}: {e}", full.display()))?;
                b64.push(("size".into(), Raw::Int(bytes.len() as i64)));
                b64.push(("sha256".into(), Raw::Text(sha256_hex(&bytes))));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A TOML value as the vocabulary takes it, texts with their variables filled in; `None` for
/// floats and dates.
fn raw(
    value: &toml::Value,
    fill: &dyn Fn(&str) -> Result<String, SpecError>,
) -> Result<Option<Raw>, SpecError> {
    Ok(Some(match value {
        toml::Value::String(s) => Raw::Text(fill(s)?),
        toml::Value::Integer(n) => Raw::Int(*n),
        toml::Value::Boolean(b) => Raw::Switch(*b),
        toml::Value::Array(items) => {
            let mut list = Vec::new();
            for item in items {
                match raw(item, fill)? {
                    Some(r) => list.push(r),
                    None => return Ok(None),
                }
            }
            Raw::List(list)
        }
        toml::Value::Table(t) => {
            let mut entries = Vec::new();
            for (k, v) in t {
                match raw(v, fill)? {
                    Some(r) => entries.push((fill(k)?, r)),
                    None => return Ok(None),
                }
            }
            Raw::Table(entries)
        }
        toml::Value::Float(_) | toml::Value::Datetime(_) => return Ok(None),
    }))
}

/// Replaces each `${name}` with the variable's value.
fn substitute(text: &str, variables: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed ${{ in {text:?}"))?;
        let name = &after[..end];
        let value = variables.get(name).ok_or_else(|| {
            let known: Vec<&str> = variables.keys().map(String::as_str).collect();
            format!("unknown variable ${{{name}}} (known: {})", known.join(", "))
        })?;
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[assignment]
name = "t"

[[machines]]
name = "m1"
address = "10.0.0.1"

[[tasks]]
title = "task 1"
machine = "m1"
filter = "ip.addr==${m1}"
[tasks.expect]
handshake = true
"#;

    fn error(text: &str) -> String {
        parse(text, "t.toml").unwrap_err().0
    }

    #[test]
    fn a_good_spec_fills_its_variables() {
        let spec = parse(GOOD, "t.toml").unwrap();
        assert_eq!(spec.tasks[0].filter.as_deref(), Some("ip.addr==10.0.0.1"));
        assert_eq!(spec.tasks[0].points, 1);
        assert_eq!(spec.machines[0].captures, ["m1*.pcapng", "m1*.pcap"]);
    }

    #[test]
    fn errors_name_the_file_line_and_key() {
        let e = error(&GOOD.replace("handshake = true", "handshake = true\nhandshak = true"));
        assert!(
            e.starts_with("t.toml:15: expect.handshak: unknown expectation"),
            "{e}"
        );
        let e = error(&GOOD.replace("ip.addr==${m1}", "ip.addr=="));
        assert!(e.starts_with("t.toml:12: tasks.filter:"), "{e}");
        let e = error(&GOOD.replace("handshake = true", "rcode = \"x=NXDOMAN\""));
        assert!(
            e.starts_with("t.toml:14: expect.rcode: unknown response code"),
            "{e}"
        );
        let e = error(&GOOD.replace("address =", "adress ="));
        assert!(
            e.starts_with("t.toml:7: toml: unknown field `adress`"),
            "{e}"
        );
        let e = error(&GOOD.replace("${m1}", "${m2}"));
        assert!(
            e.contains(":12: tasks.filter: unknown variable ${m2}"),
            "{e}"
        );
        let e = error(&GOOD.replace("machine = \"m1\"", "machine = \"m9\""));
        assert!(e.contains(":11: tasks.machine: no machine \"m9\""), "{e}");
        let e = error(&GOOD.replace("handshake = true", ""));
        assert!(e.contains("expects nothing"), "{e}");
    }
}
