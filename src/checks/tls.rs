//! Expectations on TLS handshakes (modules 1a, 5 and 8).

use super::observe::Observation;
use super::{count, missing_observer, plural, Expect};

/// Whether `e` holds over what its observer saw, and why.
pub(super) fn evaluate(e: &Expect, observed: Option<&Observation>) -> (bool, String) {
    let (Expect::Tls(spec), Some(Observation::TlsChecked(seen))) = (e, observed) else {
        return missing_observer();
    };
    if seen.sessions == 0 {
        let others = if seen.others.count == 0 {
            "no TLS handshake in the capture".to_string()
        } else {
            format!(
                "no TLS session matches (sessions seen: {})",
                seen.others.list(", ", String::clone)
            )
        };
        return (false, others);
    }
    let n = plural(count(seen.sessions), "TLS session");
    if seen.wrong.count > 0 {
        return (
            false,
            format!(
                "{} of {n}: {}",
                seen.wrong.count,
                seen.wrong
                    .list("; ", |(stream, why)| format!("stream {stream}: {why}"))
            ),
        );
    }
    if spec.san.is_some() && seen.certificates == 0 {
        return (
            false,
            format!(
                "{n}, none showing its certificate (TLS 1.3 encrypts it): the SAN was not read"
            ),
        );
    }
    (
        true,
        format!(
            "{n} as expected ({} with the certificate in clear)",
            seen.certificates
        ),
    )
}
