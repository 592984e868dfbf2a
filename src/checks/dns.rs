//! Expectations on DNS transactions (lab task 1: the lookups `socket_info.py` makes).

use super::{plural, Check};
use crate::analysis::dns::{DnsAnalysis, NameStats};
use crate::wire::dns::{rcode_name, type_name};

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
    /// The names the checks ask about (the analysis keeps statistics for them).
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .queries
            .iter()
            .chain(&self.answers)
            .chain(self.rcodes.iter().map(|(n, _)| n))
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Appends a check for each expectation.
    pub fn evaluate(&self, dns: &DnsAnalysis, checks: &mut Vec<Check>) {
        let totals = &dns.totals;
        let none = NameStats::default();
        let stats = |name: &str| totals.name(name).unwrap_or(&none);
        let transactions = usize::try_from(totals.transactions).unwrap_or(usize::MAX);
        for name in &self.queries {
            let s = stats(name);
            let asked = usize::try_from(s.queries).unwrap_or(usize::MAX);
            checks.push(Check {
                name: format!("query {name}"),
                passed: asked > 0,
                detail: if asked == 0 {
                    format!(
                        "no query for {name} among {} (names are compared without case)",
                        plural(transactions, "DNS transaction")
                    )
                } else {
                    format!("{} ({})", plural(asked, "query"), types(&s.qtypes))
                },
            });
        }
        for name in &self.answers {
            let s = stats(name);
            checks.push(Check {
                name: format!("answer {name}"),
                passed: s.first_answers.is_some(),
                detail: match &s.first_answers {
                    Some(answers) => answers.join(", "),
                    None if s.outcomes.count == 0 => format!("no query for {name}"),
                    None => format!(
                        "no NOERROR response with an answer: {}",
                        s.outcomes.list(", ")
                    ),
                },
            });
        }
        for (name, rcode) in &self.rcodes {
            let s = stats(name);
            let want = rcode_name(*rcode);
            let right = s.rcodes.get(rcode).copied().unwrap_or(0);
            let answered = usize::try_from(s.answered).unwrap_or(usize::MAX);
            checks.push(Check {
                name: format!("rcode {name}={want}"),
                passed: answered > 0 && right == s.answered,
                detail: if s.outcomes.count == 0 {
                    format!("no query for {name}")
                } else if answered == 0 {
                    format!("{name} was never answered")
                } else if right == s.answered {
                    format!("{} {want}", plural(answered, "response"))
                } else {
                    format!("expected {want}: {}", s.outcomes.list(", "))
                },
            });
        }
        if self.no_unanswered {
            checks.push(Check {
                name: "no unanswered".into(),
                passed: totals.unanswered.count == 0,
                detail: if totals.unanswered.count == 0 {
                    format!("{} answered", plural(transactions, "DNS query"))
                } else {
                    totals.unanswered.list("; ")
                },
            });
        }
    }
}

/// `A, AAAA`: the query types asked.
fn types(qtypes: &[u16]) -> String {
    qtypes
        .iter()
        .map(|&t| type_name(t).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}
