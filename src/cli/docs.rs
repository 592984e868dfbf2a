//! `labcap completions SHELL` and `labcap man [COMMAND]`: generated from the clap definitions,
//! so they never drift from the real flags. Both print to standard output.

use std::io::Write;

use super::Outcome;

/// Arguments of `labcap completions`.
#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `labcap man`.
#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// A command's own page (`labcap man replay`) instead of labcap's.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

/// Prints the completion script.
pub fn completions(args: CompletionsArgs) -> anyhow::Result<Outcome> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut super::command(), "labcap", &mut script);
    // Written here, not by clap_complete (which panics on a closed pipe).
    std::io::stdout().lock().write_all(&script)?;
    Ok(Outcome::Pass)
}

/// Prints the manual page of labcap or of one of its commands.
pub fn man(args: ManArgs) -> anyhow::Result<Outcome> {
    let mut root = super::command();
    root.build();
    let page = match &args.command {
        None => root,
        Some(name) => {
            let names: Vec<String> = root
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect();
            let Some(sub) = root.find_subcommand(name) else {
                anyhow::bail!(
                    "no command {:?}; the commands are: {}",
                    name,
                    names.join(", ")
                );
            };
            sub.clone().version(super::version())
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page).render(&mut roff)?;
    std::io::stdout().lock().write_all(&roff)?;
    Ok(Outcome::Pass)
}
