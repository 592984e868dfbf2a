//! Expectations on DNS transactions (lab task 1: the lookups `socket_info.py` makes).

use super::{plural, Check};
use crate::analysis::dns::Transaction;
use crate::wire::dns::rcode_name;

/// What the user expects of the DNS traffic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DnsExpectations {
    /// Each of these names was queried.
    pub queries: Vec<String>,
    /// Each of these names got a NOERROR response with at least one answer.
    pub answers: Vec<String>,
    /// Each name was answered, and every response for it carried this response code.
    pub rcodes: Vec<(String, u16)>,
    /// Every query captured got a response.
    pub no_unanswered: bool,
}

impl DnsExpectations {
    /// Appends a check for each expectation.
    pub fn evaluate(&self, transactions: &[Transaction], checks: &mut Vec<Check>) {
        let about = |name: &str| -> Vec<&Transaction> {
            transactions.iter().filter(|t| t.asks_for(name)).collect()
        };
        for name in &self.queries {
            let asked: Vec<&Transaction> = about(name)
                .into_iter()
                .filter(|t| t.query_ts.is_some())
                .collect();
            checks.push(Check {
                name: format!("query {name}"),
                passed: !asked.is_empty(),
                detail: if asked.is_empty() {
                    format!(
                        "no query for {name} among {} (names are compared without case)",
                        plural(transactions.len(), "DNS transaction")
                    )
                } else {
                    format!("{} ({})", plural(asked.len(), "query"), types(&asked))
                },
            });
        }
        for name in &self.answers {
            let all = about(name);
            let good: Vec<&Transaction> = all
                .iter()
                .copied()
                .filter(|t| t.rcode == Some(0) && !t.answers.is_empty())
                .collect();
            checks.push(Check {
                name: format!("answer {name}"),
                passed: !good.is_empty(),
                detail: match good.first() {
                    Some(t) => t
                        .answers
                        .iter()
                        .map(|a| a.summary())
                        .collect::<Vec<_>>()
                        .join(", "),
                    None if all.is_empty() => format!("no query for {name}"),
                    None => format!("no NOERROR response with an answer: {}", outcomes(&all)),
                },
            });
        }
        for (name, rcode) in &self.rcodes {
            let all = about(name);
            let answered: Vec<&Transaction> =
                all.iter().copied().filter(|t| t.answered()).collect();
            let wrong: Vec<&Transaction> = answered
                .iter()
                .copied()
                .filter(|t| t.rcode != Some(*rcode))
                .collect();
            let want = rcode_name(*rcode);
            checks.push(Check {
                name: format!("rcode {name}={want}"),
                passed: !answered.is_empty() && wrong.is_empty(),
                detail: if all.is_empty() {
                    format!("no query for {name}")
                } else if answered.is_empty() {
                    format!("{name} was never answered")
                } else if wrong.is_empty() {
                    format!("{} {want}", plural(answered.len(), "response"))
                } else {
                    format!("expected {want}: {}", outcomes(&wrong))
                },
            });
        }
        if self.no_unanswered {
            let unanswered: Vec<&Transaction> =
                transactions.iter().filter(|t| t.unanswered()).collect();
            checks.push(Check {
                name: "no unanswered".into(),
                passed: unanswered.is_empty(),
                detail: if unanswered.is_empty() {
                    format!("{} answered", plural(transactions.len(), "DNS query"))
                } else {
                    unanswered
                        .iter()
                        .map(|t| {
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
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                },
            });
        }
    }
}

/// `A, AAAA`: the query types asked.
fn types(transactions: &[&Transaction]) -> String {
    let mut names: Vec<String> = transactions
        .iter()
        .map(|t| crate::wire::dns::type_name(t.qtype).into_owned())
        .collect();
    names.dedup();
    names.join(", ")
}

/// `A NXDOMAIN, AAAA unanswered`: what each transaction got.
fn outcomes(transactions: &[&Transaction]) -> String {
    transactions
        .iter()
        .map(|t| {
            let outcome = match t.rcode {
                Some(0) if t.answers.is_empty() => "NOERROR without answers".into(),
                Some(code) => rcode_name(code).into_owned(),
                None => "unanswered".into(),
            };
            format!("{} {outcome}", crate::wire::dns::type_name(t.qtype))
        })
        .collect::<Vec<_>>()
        .join(", ")
}
