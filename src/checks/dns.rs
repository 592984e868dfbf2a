//! Expectations on DNS transactions (lab task 1: the lookups `socket_info.py` makes).

use super::observe::{NameStats, Observation};
use super::{count, missing_observer, plural, Expect};
use crate::analysis::dns::DnsTotals;
use crate::wire::dns::{rcode_name, type_name};

/// Whether `e` holds over the DNS totals (and its observation of a name), and why.
pub(super) fn evaluate(
    e: &Expect,
    totals: &DnsTotals,
    observed: Option<&Observation>,
) -> (bool, String) {
    let transactions = count(totals.transactions);
    if let Expect::NoUnanswered = e {
        return (
            totals.unanswered.count == 0,
            if totals.unanswered.count == 0 {
                format!("{} answered", plural(transactions, "DNS query"))
            } else {
                totals.unanswered.list("; ", |u| {
                    let retries = match u.retries {
                        0 => String::new(),
                        n => format!(" after {n} retries"),
                    };
                    format!(
                        "0x{:04x} {} to {} unanswered{retries}",
                        u.id, u.qname, u.server
                    )
                })
            },
        );
    }
    let Some(Observation::DnsName(s)) = observed else {
        return missing_observer();
    };
    match e {
        Expect::Query(name) => query(name, s, transactions),
        Expect::Answer(name) => answer(name, s),
        Expect::Rcode(name, rcode) => rcode_check(name, *rcode, s),
        _ => unreachable!("TCP expectations are evaluated by checks::tcp"),
    }
}

fn query(name: &str, s: &NameStats, transactions: usize) -> (bool, String) {
    let asked = count(s.queries);
    if asked == 0 {
        let detail = format!(
            "no query for {name} among {} (names are compared without case)",
            plural(transactions, "DNS transaction")
        );
        return (false, detail);
    }
    (
        true,
        format!("{} ({})", plural(asked, "query"), types(&s.qtypes)),
    )
}

fn answer(name: &str, s: &NameStats) -> (bool, String) {
    match &s.first_answers {
        Some(answers) => (true, answers.join(", ")),
        None if s.outcomes.count == 0 => (false, format!("no query for {name}")),
        None => (
            false,
            format!(
                "no NOERROR response with an answer: {}",
                s.outcomes.list(", ", String::clone)
            ),
        ),
    }
}

fn rcode_check(name: &str, rcode: u16, s: &NameStats) -> (bool, String) {
    let want = rcode_name(rcode);
    let right = s.rcodes.get(&rcode).copied().unwrap_or(0);
    let answered = count(s.answered);
    let detail = if s.outcomes.count == 0 {
        format!("no query for {name}")
    } else if answered == 0 {
        format!("{name} was never answered")
    } else if right == s.answered {
        format!("{} {want}", plural(answered, "response"))
    } else {
        format!("expected {want}: {}", s.outcomes.list(", ", String::clone))
    };
    (answered > 0 && right == s.answered, detail)
}

/// `A, AAAA`: the query types asked.
fn types(qtypes: &[u16]) -> String {
    qtypes
        .iter()
        .map(|&t| type_name(t).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}
