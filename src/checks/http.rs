//! Expectations on HTTP transactions (module 5 and the final project).

use super::observe::Observation;
use super::{count, missing_observer, plural, Expect};

/// Whether `e` holds over what its observer saw, and why.
pub(super) fn evaluate(e: &Expect, observed: Option<&Observation>) -> (bool, String) {
    let Some(Observation::HttpChecked(seen)) = observed else {
        return missing_observer();
    };
    if seen.requests == 0 {
        let what = match e {
            Expect::HttpLengths => "no HTTP response in the capture".to_string(),
            _ if seen.others.count == 0 => "no HTTP request in the capture".to_string(),
            _ => format!(
                "no request matches (requests seen: {})",
                seen.others.list(", ", String::clone)
            ),
        };
        return (false, what);
    }
    let n = plural(count(seen.requests), "request");
    if seen.wrong.count == 0 {
        return (true, format!("{n} answered as expected"));
    }
    (
        false,
        format!(
            "{} of {n}: {}",
            seen.wrong.count,
            seen.wrong.list("; ", |(stream, line, why)| format!(
                "stream {stream} {line}: {why}"
            ))
        ),
    )
}
