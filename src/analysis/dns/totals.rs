//! Totals over every reported DNS transaction, kept as transactions finish.

use std::collections::BTreeMap;

use super::Transaction;
use crate::analysis::tcp::Examples;

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
    }
}
