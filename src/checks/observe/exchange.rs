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

    /// Why the request's base64 group (an upload) does not decode as expected, if it does not.
    fn judge_request(&self, request: &[u8], cut: bool) -> Option<String> {
        let b = self.spec.base64.as_ref()?;
        let group = b.group?;
        if cut {
            return Some(
                "the request is longer than the message limit: its base64 was not read".into(),
            );
        }
        let Some(text) = self.request.captures(request).and_then(|c| c.get(group)) else {
            return Some(format!("the request pattern has no group {group} here"));
        };
        check_base64(
            text.as_bytes(),
            &format!("group {group}"),
            b.size,
            b.sha256.as_deref(),
        )
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
        let response_json = self.spec.base64.as_ref().is_some_and(|b| b.group.is_none());
        if self.spec.json.is_empty() && !response_json {
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
            if b.group.is_none() {
                let Some(text) = doc.get(&b.field).and_then(|v| v.as_str()) else {
                    return Some(format!("the response has no text field {:?}", b.field));
                };
                return check_base64(text.as_bytes(), &b.field, b.size, b.sha256.as_deref());
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
        let why = self
            .judge_request(&request.bytes, request.is_cut())
            .or_else(|| match &ex.response {
                None => Some("no response".to_string()),
                Some(r) => self.judge(&r.bytes, r.is_cut()),
            });
        match why {
            None => self.seen.right += 1,
            // The same reason again is only counted: the first streams show it.
            Some(why) if self.seen.wrong.first.iter().any(|(_, _, w)| *w == why) => {
                self.seen.wrong.count += 1
            }
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

/// Why base64 `text` does not decode to `size` bytes with SHA-256 `sha256`, if it does not.
fn check_base64(
    text: &[u8],
    what: &str,
    size: Option<u64>,
    sha256: Option<&str>,
) -> Option<String> {
    let text: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let bytes = match base64::engine::general_purpose::STANDARD.decode(&text) {
        Ok(bytes) => bytes,
        Err(e) => return Some(format!("{what} is not base64: {e}")),
    };
    if let Some(size) = size {
        if bytes.len() as u64 != size {
            return Some(format!(
                "{what} decodes to {} bytes, not {size}",
                bytes.len()
            ));
        }
    }
    if let Some(want) = sha256 {
        let got = sha256_hex(&bytes);
        if got != want {
            return Some(format!("{what} decodes to SHA-256 {got}, not {want}"));
        }
    }
    None
}

/// The SHA-256 of `bytes` in lower-case hex, as `sha256sum` prints it and specs give it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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
