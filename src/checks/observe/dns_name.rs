//! What became of the lookups of one name (for `query`, `answer` and `rcode` checks), gathered
//! as transactions close, so the checks hold whatever the number of transactions.

use std::collections::BTreeMap;

use super::Observation;
use crate::analysis::dns::{normalise, Transaction};
use crate::analysis::observer::Observer;
use crate::analysis::Examples;
use crate::wire::dns::{rcode_name, type_name};

/// Follows the transactions of one name (compared without case or trailing dot).
#[derive(Debug)]
pub struct DnsName {
    name: String,
    stats: NameStats,
}

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
    pub outcomes: Examples<String>,
}

impl DnsName {
    /// An observer of `name`'s lookups.
    pub fn new(name: &str) -> DnsName {
        DnsName {
            name: normalise(name),
            stats: NameStats::default(),
        }
    }
}

impl Observer for DnsName {
    fn transaction_closed(&mut self, t: &Transaction) {
        if !t.qname.eq_ignore_ascii_case(&self.name) && normalise(&t.qname) != self.name {
            return;
        }
        let stats = &mut self.stats;
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

    fn finish(self: Box<Self>) -> Observation {
        Observation::DnsName(self.stats)
    }
}
