//! Totals over every reported DNS transaction, kept as transactions finish.

use std::collections::BTreeMap;

use super::Transaction;
use crate::analysis::{Endpoint, Examples};

/// A query that got no response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unanswered {
    /// The DNS id.
    pub id: u16,
    /// The name asked for.
    pub qname: String,
    /// The server asked.
    pub server: Endpoint,
    /// Times it was sent again.
    pub retries: u32,
}

/// Totals over the reported transactions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DnsTotals {
    /// Transactions reported.
    pub transactions: u64,
    /// Of those, answered.
    pub answered: u64,
    /// Queries captured without a response.
    pub unanswered: Examples<Unanswered>,
    /// Responses by code.
    pub rcodes: BTreeMap<u16, u64>,
    /// Transactions closed early to stay within the memory cap (a response after that
    /// stands alone).
    pub evicted: u64,
    /// DNS-over-TCP directions dropped with an unfinished message (memory cap or idle).
    pub framing_evicted: u64,
}

/// The form names are compared in: lower case, without the trailing dot.
pub fn normalise(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

impl DnsTotals {
    /// Adds one finished transaction.
    pub fn add(&mut self, t: &Transaction) {
        self.transactions += 1;
        if let Some(rcode) = t.rcode {
            self.answered += 1;
            *self.rcodes.entry(rcode).or_default() += 1;
        }
        if t.unanswered() {
            self.unanswered.add(|| Unanswered {
                id: t.id,
                qname: t.qname.clone(),
                server: t.server,
                retries: t.retries,
            });
        }
    }
}
