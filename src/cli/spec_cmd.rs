//! `labcap spec show|check|terms|list`: the built-in specs as a starting point, validating a
//! spec file, and the vocabulary of expectations.

use std::io::Write;

use super::Outcome;
use crate::checks::vocabulary::{Shape, TERMS};
use crate::spec::{Spec, BUILTIN};

/// Arguments of `labcap spec`.
#[derive(clap::Args, Debug)]
pub struct SpecArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: SpecAction,
}

/// The spec actions.
#[derive(clap::Subcommand, Debug)]
pub enum SpecAction {
    /// Print a built-in spec (a TA's starting point): `labcap spec show tugas1 > tugas1.toml`.
    Show {
        /// The built-in spec's name.
        name: String,
    },
    /// Validate a spec file: every error names the file, line and key.
    Check {
        /// The spec file (or a built-in name).
        file: String,
    },
    /// List the expectations a spec's `[tasks.expect]` may hold (the --expect-* flags).
    Terms,
    /// List the built-in specs.
    List,
}

/// Runs a spec action.
pub fn run(args: SpecArgs) -> anyhow::Result<Outcome> {
    // Written with `?`, not println!: a closed pipe (`| head`) ends the command quietly.
    let mut out = std::io::stdout().lock();
    match args.action {
        SpecAction::Show { name } => {
            let text = Spec::builtin_text(&name).ok_or_else(|| {
                anyhow::anyhow!("no built-in spec {name:?} (built in: {})", names())
            })?;
            write!(out, "{text}")?;
        }
        SpecAction::Check { file } => {
            let spec = Spec::load(&file)?;
            writeln!(
                out,
                "{}: {} \"{}\": {}, {}, {} points",
                spec.source,
                spec.name,
                spec.title,
                crate::checks::plural(spec.machines.len(), "machine"),
                crate::checks::plural(spec.tasks.len(), "task"),
                spec.points()
            )?;
        }
        SpecAction::Terms => {
            for t in TERMS {
                let value = match t.shape {
                    Shape::Switch => "true",
                    Shape::Texts => "\"TEXT\" or [\"TEXT\", ...]",
                    Shape::Count => "N",
                    Shape::Sizes => "[32, 14]",
                    Shape::NameRcodes => "{ \"NAME\" = \"RCODE\" }",
                    Shape::Tls => "{ port = 8443, sni = \"NAME\", min_version = \"1.2\", san = \"TEXT\" }",
                    Shape::Http => "{ method = \"GET\", uri = \"/video\", status = 302, location = \"REGEX\", content_type = \"text/html\" }",
                    Shape::Udp => "{ port = N, from = [\"ADDR\", ...], at_least = N, count = N, size = N }",
                    Shape::Exchange => "{ request = \"REGEX\", response = \"REGEX\", json = { FIELD = \"VALUE\" }, base64 = { field = \"F\", size = N, sha256 = \"HEX\" } }",
                };
                writeln!(
                    out,
                    "{:<16} = {value}\n    {} (--{})",
                    t.key, t.help, t.flag
                )?;
            }
        }
        SpecAction::List => {
            for (name, text) in BUILTIN {
                let title = Spec::parse(text, name).map(|s| s.title).unwrap_or_default();
                writeln!(out, "{name:<10} {title}")?;
            }
        }
    }
    Ok(Outcome::Pass)
}

fn names() -> String {
    BUILTIN
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}
