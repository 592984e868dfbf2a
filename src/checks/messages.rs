//! Expectations on messages over TCP (the time server, the file server, chat servers).

use super::observe::Observation;
use super::{count, missing_observer, plural, Expect};
use crate::pipeline::Analysis;

/// Whether `e` holds over the messages analysis (and its observation), and why.
pub(super) fn evaluate(
    e: &Expect,
    analysis: &Analysis,
    observed: Option<&Observation>,
) -> (bool, String) {
    if !analysis.ran.messages {
        return (
            false,
            "no connection was cut into messages: give the framing (--frame PORT=crlf, or frames in the spec)"
                .into(),
        );
    }
    let totals = &analysis.messages.totals;
    match (e, observed) {
        (Expect::MinExchanges(n), _) => (
            count(totals.exchanges) >= *n,
            format!(
                "{} answered in {} ({} unanswered)",
                plural(count(totals.exchanges), "request"),
                plural(count(totals.conversations), "conversation"),
                totals.unanswered
            ),
        ),
        (Expect::Exchange(_), Some(Observation::Exchanges(seen))) => {
            if seen.requests == 0 {
                let others = if seen.others.count == 0 {
                    "no request at all".to_string()
                } else {
                    format!("requests seen: {}", seen.others.list(", ", String::clone))
                };
                return (false, format!("no request matches ({others})"));
            }
            if seen.wrong.count == 0 {
                return (
                    true,
                    format!(
                        "{} answered as expected",
                        plural(count(seen.requests), "request")
                    ),
                );
            }
            (
                false,
                format!(
                    "{} of {}: {}",
                    seen.wrong.count,
                    plural(count(seen.requests), "matching request"),
                    seen.wrong.list("; ", |(stream, request, why)| {
                        format!("stream {stream} {request}: {why}")
                    })
                ),
            )
        }
        (Expect::ServerFirst | Expect::EndsAfter(_), Some(Observation::Conversations(seen))) => {
            if seen.conversations == 0 {
                return (false, "no conversation with messages".into());
            }
            if seen.wrong.count == 0 {
                let all = match seen.conversations {
                    1 => "the conversation did".to_string(),
                    n => format!("all {n} conversations did"),
                };
                return (true, all);
            }
            (
                false,
                format!(
                    "{} of {}: {}",
                    seen.wrong.count,
                    plural(count(seen.conversations), "conversation"),
                    seen.wrong
                        .list("; ", |(stream, why)| format!("stream {stream}: {why}"))
                ),
            )
        }
        _ => missing_observer(),
    }
}
