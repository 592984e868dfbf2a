//! The `--expect-*` flags, made from the vocabulary's table (one flag per term, parsed by the
//! term's own parser), so the flags and the spec files cannot drift apart.

use clap::{Arg, ArgAction, ArgMatches, Command, FromArgMatches};

use crate::checks::vocabulary::{Raw, Shape, Topic, TERMS};
use crate::checks::{Expect, Expectations};

/// The expectations given on the command line, in the vocabulary's order.
#[derive(Clone, Debug, Default)]
pub struct ExpectArgs {
    /// What the flags asked for.
    pub list: Vec<Expect>,
}

impl ExpectArgs {
    /// The expectations these flags ask for.
    pub fn expectations(&self) -> Expectations {
        Expectations::new(self.list.clone())
    }
}

impl clap::Args for ExpectArgs {
    fn augment_args(mut cmd: Command) -> Command {
        for term in TERMS {
            let heading = match term.topic {
                Topic::Tcp => "TCP expectations",
                Topic::Dns => "DNS expectations",
                Topic::Messages => "Message expectations (with --frame)",
                Topic::Udp => "UDP expectations",
                Topic::Http => "HTTP expectations",
                Topic::Tls => "TLS expectations",
            };
            let arg = Arg::new(term.flag)
                .long(term.flag)
                .help(term.help)
                .help_heading(heading);
            // A value is checked by the term's own parser as clap reads it.
            let valued = |arg: Arg, action| {
                arg.action(action)
                    .value_name(term.value_name)
                    .value_parser(move |text: &str| {
                        term.parse(&Raw::Text(text.to_string()))
                            .map(|_| text.to_string())
                    })
            };
            let arg = match term.shape {
                Shape::Switch => arg.action(ArgAction::SetTrue),
                // One value: a count or a list of sizes.
                Shape::Count | Shape::Sizes => valued(arg, ArgAction::Set),
                // Repeatable.
                Shape::Texts
                | Shape::NameRcodes
                | Shape::Exchange
                | Shape::Udp
                | Shape::Http
                | Shape::Tls => valued(arg, ArgAction::Append),
            };
            cmd = cmd.arg(arg);
        }
        cmd
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for ExpectArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut list = Vec::new();
        for term in TERMS {
            let raw = match term.shape {
                Shape::Switch => Raw::Switch(matches.get_flag(term.flag)),
                _ => match matches.get_many::<String>(term.flag) {
                    Some(values) => Raw::List(values.cloned().map(Raw::Text).collect()),
                    None => continue,
                },
            };
            // Count and Sizes take one value: unwrap the list clap gives.
            let raw = match (term.shape, raw) {
                (Shape::Count | Shape::Sizes, Raw::List(mut one)) if one.len() == 1 => {
                    one.remove(0)
                }
                (_, raw) => raw,
            };
            let parsed = term.parse(&raw).map_err(|message| {
                clap::Error::raw(
                    clap::error::ErrorKind::ValueValidation,
                    format!("--{}: {message}\n", term.flag),
                )
            })?;
            list.extend(parsed);
        }
        Ok(ExpectArgs { list })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}
