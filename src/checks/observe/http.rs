//! "GET /video gets 302 with a Location", "every response's body is as long as announced":
//! each HTTP transaction judged as the HTTP analyzer emits it.

use regex::Regex;

use super::Observation;
use crate::analysis::http::HttpTransaction;
use crate::analysis::observer::Observer;
use crate::analysis::Examples;
use crate::checks::vocabulary::HttpSpec;
use crate::report::escape::sanitize;

/// Judges the transactions whose request matches (or, without a spec, their body lengths).
#[derive(Debug)]
pub struct HttpRule {
    spec: Option<HttpSpec>,
    location: Option<Regex>,
    seen: HttpSeen,
}

/// What the matching transactions showed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpSeen {
    /// Transactions judged.
    pub requests: u64,
    /// Those that failed: stream, request line, why.
    pub wrong: Examples<(u32, String, String)>,
    /// Requests that did not match (a few, to show what was asked).
    pub others: Examples<String>,
}

impl HttpRule {
    /// Requests matching `spec`.
    pub fn new(spec: &HttpSpec) -> HttpRule {
        HttpRule {
            location: spec.location.as_deref().and_then(|p| Regex::new(p).ok()),
            spec: Some(spec.clone()),
            seen: HttpSeen::default(),
        }
    }

    /// Every transaction's body length.
    pub fn lengths() -> HttpRule {
        HttpRule {
            spec: None,
            location: None,
            seen: HttpSeen::default(),
        }
    }

    fn judge(&self, t: &HttpTransaction) -> Option<String> {
        let Some(r) = &t.response else {
            return Some("no response".into());
        };
        let Some(spec) = &self.spec else {
            return t.length_mismatch().then(|| {
                format!(
                    "Content-Length {} but {} body bytes",
                    r.content_length.unwrap_or(0),
                    t.response_body
                )
            });
        };
        if let Some(want) = spec.status {
            if r.status != Some(want) {
                return Some(format!("status {}, not {want}", r.status.unwrap_or(0)));
            }
        }
        if let Some(re) = &self.location {
            match &r.location {
                None => return Some("no Location header".into()),
                Some(l) if !re.is_match(l) => {
                    return Some(format!("Location {}", sanitize(l)));
                }
                _ => {}
            }
        }
        if let Some(want) = &spec.content_type {
            let got = r.content_type.as_deref().unwrap_or("");
            if !got
                .to_ascii_lowercase()
                .starts_with(&want.to_ascii_lowercase())
            {
                return Some(format!("Content-Type {:?}", sanitize(got)));
            }
        }
        None
    }
}

impl Observer for HttpRule {
    fn http(&mut self, t: &HttpTransaction, matched: bool) {
        if !matched {
            return;
        }
        let method = t.request.method.as_deref().unwrap_or("");
        let uri = t.request.uri.as_deref().unwrap_or("");
        let line = sanitize(&format!("{method} {uri}"));
        if let Some(spec) = &self.spec {
            let fits = (spec.method.is_empty() || spec.method.eq_ignore_ascii_case(method))
                && (spec.uri.is_empty() || spec.uri == uri);
            if !fits {
                self.seen.others.add(|| line);
                return;
            }
        } else if t.response.is_none() {
            return;
        }
        self.seen.requests += 1;
        if let Some(why) = self.judge(t) {
            self.seen.wrong.add(|| (t.stream, line, why));
        }
    }

    fn finish(self: Box<Self>) -> Observation {
        Observation::HttpChecked(self.seen)
    }
}
