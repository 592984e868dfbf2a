//! Expectations on an analysis: each gives a [`Check`] that passed or failed, with the reason.
//! Checks are data ([`Expect`], from flags or a spec file) evaluated over the analysis and over
//! what their observers saw; pure code, shared by replay, live capture and grading.

mod dns;
pub mod observe;
mod tcp;
pub mod vocabulary;

use serde::Serialize;

use crate::analysis::observer::{Observer, Observers};
use crate::pipeline::Analysis;
use observe::{DnsName, PayloadText, SegmentSizes};
pub use vocabulary::{Expect, Topic};

/// What the user expects of a capture, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Expectations {
    /// The expectations.
    pub list: Vec<Expect>,
}

/// The result of one expectation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Which expectation (`handshake`, `payload "TEXT"`, …).
    pub name: String,
    /// Whether it held.
    pub passed: bool,
    /// Why, in a sentence.
    pub detail: String,
}

/// Which analyzers the checks read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// TCP connections.
    pub tcp: bool,
    /// DNS transactions.
    pub dns: bool,
}

impl Expectations {
    /// Expectations from a list.
    pub fn new(list: Vec<Expect>) -> Expectations {
        Expectations { list }
    }

    /// Which analyzers these expectations read.
    pub fn needs(&self) -> Needs {
        Needs {
            tcp: self.list.iter().any(|e| e.topic() == Topic::Tcp),
            dns: self.list.iter().any(|e| e.topic() == Topic::Dns),
        }
    }

    /// Fresh observers for one capture: those fed by the TCP analyzer, then those fed by the
    /// DNS analyzer, each tagged with the index of the expectation that asked for it.
    pub fn observers(&self) -> (Observers, Observers) {
        let (mut tcp, mut dns): (Observers, Observers) = (Vec::new(), Vec::new());
        for (i, e) in self.list.iter().enumerate() {
            let observer: Box<dyn Observer> = match e {
                Expect::Payload(text) => Box::new(PayloadText::new(text)),
                Expect::ServerSegments(sizes) => Box::new(SegmentSizes::new(sizes)),
                Expect::Query(name) | Expect::Answer(name) | Expect::Rcode(name, _) => {
                    Box::new(DnsName::new(name))
                }
                _ => continue,
            };
            match e.topic() {
                Topic::Tcp => tcp.push((i, observer)),
                Topic::Dns => dns.push((i, observer)),
            }
        }
        (tcp, dns)
    }

    /// Evaluates every expectation against `analysis`.
    pub fn evaluate(&self, analysis: &Analysis) -> Vec<Check> {
        self.list
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let observed = analysis
                    .observed
                    .iter()
                    .find(|(index, _)| *index == i)
                    .map(|(_, o)| o);
                let (passed, detail) = match e.topic() {
                    Topic::Tcp => tcp::evaluate(e, &analysis.tcp, observed),
                    Topic::Dns => dns::evaluate(e, &analysis.dns.totals, observed),
                };
                Check {
                    name: e.title(),
                    passed,
                    detail,
                }
            })
            .collect()
    }
}

/// `1 query`, `2 queries`, `3 connections`.
pub(crate) fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        return format!("1 {what}");
    }
    match what.strip_suffix('y') {
        // query → queries (but not day → days)
        Some(stem) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{n} {stem}ies"),
        _ => format!("{n} {what}s"),
    }
}

/// A count as a `usize`, saturating.
fn count(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The observation of a check, when its observer ran (it always does when the pipeline was
/// set up from the same expectations).
fn missing_observer() -> (bool, String) {
    (
        false,
        "internal: the observer of this check did not run".into(),
    )
}
