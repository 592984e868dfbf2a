//! "Every request matching REQ got a response matching RESP" (with JSON fields, a base64 file):
//! each exchange is judged as the messages analyzer emits it; a few failures are kept.

use base64::Engine;
use regex::bytes::Regex;
use sha2::{Digest, Sha256};

use super::Observation;
use crate::analysis::messages::Exchange;
use crate::analysis::observer::Observer;
use crate::analysis::Examples;
use crate::checks::vocabulary::ExchangeSpec;
use crate::report::escape::escape_bytes;

/// Judges the exchanges whose request matches.
#[derive(Debug)]
pub struct ExchangeRule {
    spec: ExchangeSpec,
    request: Regex,
    response: Option<Regex>,
    seen: ExchangesSeen,
}

/// What the matching exchanges showed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExchangesSeen {
    /// Requests matching the pattern, on reported connections.
    pub requests: u64,
    /// Of those, answered as expected.
    pub right: u64,
    /// The others: stream, request, what was wrong.
    pub wrong: Examples<(u32, String, String)>,
    /// Requests seen that did not match (a few, to help a TA see what was sent).
    pub others: Examples<String>,
}

/// Characters of a message quoted in a reason.
const QUOTE: usize = 60;

impl ExchangeRule {
    /// A rule for `spec` (its patterns were checked when it was parsed).
    pub fn new(spec: &ExchangeSpec) -> ExchangeRule {
        let compile = |p: &str| Regex::new(p).unwrap_or_else(|_| Regex::new("$^").expect("valid"));
        ExchangeRule {
            request: compile(&spec.request),
            response: spec.response.as_deref().map(compile),
            spec: spec.clone(),
            seen: ExchangesSeen::default(),
        }
    }

    /// Why the response does not satisfy the spec, if it does not.
    fn judge(&self, response: &[u8], cut: bool) -> Option<String> {
        if let Some(re) = &self.response {
            if !re.is_match(response) {
                return Some(format!(
                    "response {} does not match {}",
                    quote(response),
                    self.spec.response.as_deref().unwrap_or("")
                ));
            }
        }
        if self.spec.json.is_empty() && self.spec.base64.is_none() {
            return None;
        }
        if cut {
            return Some(
                "the response is longer than the message limit: its JSON was not read".into(),
            );
        }
        let doc: serde_json::Value = match serde_json::from_slice(response.trim_ascii()) {
            Ok(doc) => doc,
            Err(e) => {
                return Some(format!(
                    "the response is not JSON ({e}): {}",
                    quote(response)
                ))
            }
        };
        for (field, want) in &self.spec.json {
            let got = match doc.get(field) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => return Some(format!("the response has no field {field:?}")),
            };
            if &got != want {
                return Some(format!("{field} is {got:?}, not {want:?}"));
            }
        }
        if let Some(b) = &self.spec.base64 {
            let Some(text) = doc.get(&b.field).and_then(|v| v.as_str()) else {
                return Some(format!("the response has no text field {:?}", b.field));
            };
            let bytes = match base64::engine::general_purpose::STANDARD.decode(text.trim()) {
                Ok(bytes) => bytes,
                Err(e) => return Some(format!("{} is not base64: {e}", b.field)),
            };
            if let Some(size) = b.size {
                if bytes.len() as u64 != size {
                    return Some(format!(
                        "{} decodes to {} bytes, not {size}",
                        b.field,
                        bytes.len()
                    ));
                }
            }
            if let Some(want) = &b.sha256 {
                let got: String = Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                if &got != want {
                    return Some(format!("{} decodes to SHA-256 {got}, not {want}", b.field));
                }
            }
        }
        None
    }
}

impl Observer for ExchangeRule {
    fn exchange(&mut self, ex: &Exchange, matched: bool) {
        let Some(request) = &ex.request else { return };
        if !matched {
            return;
        }
        if !self.request.is_match(&request.bytes) {
            self.seen.others.add(|| quote(&request.bytes));
            return;
        }
        self.seen.requests += 1;
        let why = match &ex.response {
            None => Some("no response".to_string()),
            Some(r) => self.judge(&r.bytes, r.is_cut()),
        };
        match why {
            None => self.seen.right += 1,
            Some(why) => self
                .seen
                .wrong
                .add(|| (ex.stream, quote(&request.bytes), why)),
        }
    }

    fn finish(self: Box<Self>) -> Observation {
        Observation::Exchanges(self.seen)
    }
}

/// A message for a reason: escaped, cut.
pub fn quote(bytes: &[u8]) -> String {
    let text = escape_bytes(&bytes[..bytes.len().min(QUOTE)]);
    if bytes.len() > QUOTE {
        format!("\"{text}…\"")
    } else {
        format!("\"{text}\"")
    }
}
