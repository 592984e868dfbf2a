//! Totals over every reported DNS transaction, kept as transactions finish, with per-name
//! statistics for the names the checks ask about.

use std::collections::BTreeMap;

use super::Transaction;
use crate::analysis::tcp::Examples;
use crate::wire::dns::{rcode_name, type_name};

/// What happened to the lookups of one name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameStats {
    /// Transactions whose query was captured.
    pub queries: u64,
    /// Query types asked, in first-seen order.
    pub qtypes: Vec<u16>,
    /// Transactions answered.
    pub answered: u64,
    /// Responses by code.
    pub rcodes: BTreeMap<u16, u64>,
    /// The answers of the first NOERROR response that had some.
    pub first_answers: Option<Vec<String>>,
    /// `A NXDOMAIN`, `AAAA unanswered`: what each transaction got.
    pub outcomes: Examples,
}

/// Totals over the reported transactions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DnsTotals {
    /// Transactions reported.
    pub transactions: u64,
    /// Of those, answered.
    pub answered: u64,
    /// Queries captured without a response.
    pub unanswered: Examples,
    /// Responses by code.
    pub rcodes: BTreeMap<u16, u64>,
    /// Statistics of the watched names (lower case, no trailing dot).
    pub names: BTreeMap<String, NameStats>,
}

/// The form names are compared in: lower case, without the trailing dot.
pub fn normalise(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

impl DnsTotals {
    /// Totals that keep statistics for `watch` names.
    pub fn watching(watch: &[String]) -> DnsTotals {
        DnsTotals {
            names: watch
                .iter()
                .map(|n| (normalise(n), NameStats::default()))
                .collect(),
            ..Default::default()
        }
    }

    /// Statistics of `name`, if it is watched.
    pub fn name(&self, name: &str) -> Option<&NameStats> {
        self.names.get(&normalise(name))
    }

    /// Adds one finished transaction.
    pub fn add(&mut self, t: &Transaction) {
        self.transactions += 1;
        if let Some(rcode) = t.rcode {
            self.answered += 1;
            *self.rcodes.entry(rcode).or_default() += 1;
        }
        if t.unanswered() {
            self.unanswered.add(|| {
                format!(
                    "0x{:04x} {} to {} unanswered{}",
                    t.id,
                    t.qname,
                    t.server,
                    if t.retries > 0 {
                        format!(" after {} retries", t.retries)
                    } else {
                        String::new()
                    }
                )
            });
        }
        if self.names.is_empty() {
            return;
        }
        let Some(stats) = self.names.get_mut(&normalise(&t.qname)) else {
            return;
        };
        if t.query_ts.is_some() {
            stats.queries += 1;
        }
        if !stats.qtypes.contains(&t.qtype) {
            stats.qtypes.push(t.qtype);
        }
        if let Some(rcode) = t.rcode {
            stats.answered += 1;
            *stats.rcodes.entry(rcode).or_default() += 1;
            if rcode == 0 && !t.answers.is_empty() && stats.first_answers.is_none() {
                stats.first_answers = Some(t.answers.iter().map(|a| a.summary()).collect());
            }
        }
        stats.outcomes.add(|| {
            let outcome = match t.rcode {
                Some(0) if t.answers.is_empty() => "NOERROR without answers".into(),
                Some(code) => rcode_name(code).into_owned(),
                None => "unanswered".into(),
            };
            format!("{} {outcome}", type_name(t.qtype))
        });
    }
}
