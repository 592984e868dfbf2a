//! Expectations as values: what each term asks for, its name in reports and its JSON form.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Value};

use crate::wire::dns::rcode_name;

/// One expectation, as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// At least one connection, and every connection completed the 3-way handshake.
    Handshake,
    /// Every connection (at least one) was closed by a FIN from both sides.
    Close,
    /// Every connection that carried client data got exactly that data back.
    Echo,
    /// Some client→server stream contains this text.
    Payload(String),
    /// Exactly this many TCP connections.
    Connections(usize),
    /// At least one connection was refused (SYN answered by RST).
    Refused,
    /// No connection saw a RST.
    NoRst,
    /// Two handshaked connections were open at the same time.
    Concurrent,
    /// Every handshaked connection's server data segments have these lengths, in order.
    ServerSegments(Vec<u32>),
    /// This name was looked up over DNS.
    Query(String),
    /// This name got a NOERROR response with at least one answer.
    Answer(String),
    /// This name was answered, always with this response code.
    Rcode(String, u16),
    /// Every DNS query captured got a response.
    NoUnanswered,
    /// Requests matching a pattern (at least one) were each answered as described.
    Exchange(ExchangeSpec),
    /// At least this many requests were answered.
    MinExchanges(usize),
    /// In every conversation the server sent the first message.
    ServerFirst,
    /// Every conversation's last client message matches this pattern, and the server then
    /// closed it (its FIN first, then the client's): "every connection ended after QUIT".
    EndsAfter(String),
    /// Datagrams reached a UDP port (from given senders, so many, of a size).
    UdpTo(UdpSpec),
    /// A datagram sent to a broadcast address reached this UDP port.
    UdpBroadcast(u16),
    /// HTTP requests matching method and path (at least one) were each answered as described.
    Http(HttpSpec),
    /// Every HTTP response's body had the length its Content-Length announced.
    HttpLengths,
    /// TLS sessions (at least one) were as described.
    Tls(TlsSpec),
    /// No reported TCP stream carries this text in clear (both directions).
    NotInClear(String),
    /// At least this many handshaked connections were open at once.
    MinConcurrent(usize),
    /// Each of these addresses was the client of a handshaked connection.
    Clients(Vec<std::net::IpAddr>),
    /// Every SYN was answered (no connection failed for want of a reply).
    NoUnansweredSyn,
}

/// TLS sessions and what their handshakes must show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSpec {
    /// The server port, any when `None`.
    pub port: Option<u16>,
    /// The server name the client asked for.
    pub sni: Option<String>,
    /// The lowest version negotiated (0x0303 for TLS 1.2).
    pub min_version: Option<u16>,
    /// A subject alternative name of the server's certificate contains this (at least one
    /// session must show the certificate, as TLS 1.2 does).
    pub san: Option<String>,
}

/// HTTP requests and what their responses must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpSpec {
    /// The method (`GET`), any when empty.
    pub method: String,
    /// The request target (`/video`), exactly; any when empty.
    pub uri: String,
    /// The response's status code.
    pub status: Option<u16>,
    /// A regular expression the Location header matches.
    pub location: Option<String>,
    /// The Content-Type starts with this (`text/html`).
    pub content_type: Option<String>,
}

/// What must reach a UDP port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UdpSpec {
    /// The destination port.
    pub port: u16,
    /// Each of these senders (any sender when empty).
    pub from: Vec<std::net::IpAddr>,
    /// At least this many datagrams from each.
    pub at_least: u64,
    /// Exactly this many from each.
    pub count: Option<u64>,
    /// Every datagram carries this many payload bytes.
    pub size: Option<u32>,
}

/// What a request matching `request` must get back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExchangeSpec {
    /// A regular expression the request matches (the whole message, delimiter included).
    pub request: String,
    /// A regular expression the response matches, if given.
    pub response: Option<String>,
    /// JSON fields the response holds, with their values (texts compare as texts, other
    /// values by their JSON text).
    pub json: Vec<(String, String)>,
    /// A base64 JSON field of the response and what it decodes to.
    pub base64: Option<Base64Spec>,
}

/// A base64 text (a file's contents, as the file server moves them) and its decoded size or
/// SHA-256: a JSON field of the response, or a capture group of the request pattern
/// (`UPLOAD name (base64)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Base64Spec {
    /// The response's JSON field holding the base64 text (empty when `group` is used).
    pub field: String,
    /// The request pattern's capture group holding it.
    pub group: Option<usize>,
    /// The decoded size in bytes.
    pub size: Option<u64>,
    /// The decoded SHA-256, in hex.
    pub sha256: Option<String>,
}

impl Expect {
    /// Its term's spec key (`no_rst`).
    pub fn key(&self) -> &'static str {
        match self {
            Expect::Handshake => "handshake",
            Expect::Close => "close",
            Expect::Echo => "echo",
            Expect::Payload(_) => "payload",
            Expect::Connections(_) => "connections",
            Expect::Refused => "refused",
            Expect::NoRst => "no_rst",
            Expect::Concurrent => "concurrent",
            Expect::ServerSegments(_) => "server_segments",
            Expect::Query(_) => "query",
            Expect::Answer(_) => "answer",
            Expect::Rcode(..) => "rcode",
            Expect::NoUnanswered => "no_unanswered",
            Expect::Exchange(_) => "exchange",
            Expect::MinExchanges(_) => "min_exchanges",
            Expect::ServerFirst => "server_first",
            Expect::EndsAfter(_) => "ends_after",
            Expect::UdpTo(_) => "udp_to",
            Expect::Http(_) => "http",
            Expect::Tls(_) => "tls",
            Expect::NotInClear(_) => "not_in_clear",
            Expect::MinConcurrent(_) => "min_concurrent",
            Expect::Clients(_) => "clients",
            Expect::NoUnansweredSyn => "syn_answered",
            Expect::HttpLengths => "http_lengths",
            Expect::UdpBroadcast(_) => "udp_broadcast",
        }
    }

    /// Its value as a spec would give it.
    fn value(&self) -> Value {
        match self {
            Expect::Payload(t) | Expect::Query(t) | Expect::Answer(t) | Expect::EndsAfter(t) => {
                json!(t)
            }
            Expect::MinExchanges(n) => json!(n),
            Expect::UdpBroadcast(p) => json!(p),
            Expect::NotInClear(t) => json!(t),
            Expect::MinConcurrent(n) => json!(n),
            Expect::Clients(a) => json!(a.iter().map(ToString::to_string).collect::<Vec<_>>()),
            Expect::Tls(t) => json!({
                "port": t.port,
                "sni": t.sni,
                "min_version": t.min_version.map(crate::analysis::tls::handshake::version_name),
                "san": t.san,
            }),
            Expect::Http(h) => json!({
                "method": h.method,
                "uri": h.uri,
                "status": h.status,
                "location": h.location,
                "content_type": h.content_type,
            }),
            Expect::UdpTo(u) => json!({
                "port": u.port,
                "from": u.from.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "at_least": u.at_least,
                "count": u.count,
                "size": u.size,
            }),
            Expect::Exchange(x) => {
                let mut v = json!({ "request": x.request });
                if let Some(r) = &x.response {
                    v["response"] = json!(r);
                }
                if !x.json.is_empty() {
                    v["json"] = x
                        .json
                        .iter()
                        .map(|(k, val)| (k.clone(), json!(val)))
                        .collect();
                }
                if let Some(b) = &x.base64 {
                    v["base64"] = json!({ "field": b.field, "group": b.group, "size": b.size, "sha256": b.sha256 });
                }
                v
            }
            Expect::Connections(n) => json!(n),
            Expect::ServerSegments(sizes) => json!(sizes),
            Expect::Rcode(name, code) => json!(format!("{name}={}", rcode_name(*code))),
            _ => json!(true),
        }
    }

    /// The check's name as reports print it (`payload "TEXT"`, `rcode NAME=NXDOMAIN`).
    pub fn title(&self) -> String {
        match self {
            Expect::Handshake => "handshake".into(),
            Expect::Close => "close".into(),
            Expect::Echo => "echo".into(),
            Expect::Payload(text) => format!("payload {text:?}"),
            Expect::Connections(n) => format!("connections == {n}"),
            Expect::Refused => "refused".into(),
            Expect::NoRst => "no RST".into(),
            Expect::Concurrent => "concurrent".into(),
            Expect::ServerSegments(sizes) => format!("server segments {sizes:?}"),
            Expect::Query(name) => format!("query {name}"),
            Expect::Answer(name) => format!("answer {name}"),
            Expect::Rcode(name, code) => format!("rcode {name}={}", rcode_name(*code)),
            Expect::NoUnanswered => "no unanswered".into(),
            Expect::Exchange(x) => {
                let mut t = format!("exchange {}", crate::report::escape::sanitize(&x.request));
                if let Some(r) = &x.response {
                    t.push_str(&format!(" => {}", crate::report::escape::sanitize(r)));
                }
                for (k, v) in &x.json {
                    t.push_str(&format!(" {k}={v}"));
                }
                if let Some(b) = &x.base64 {
                    match b.group {
                        Some(g) => t.push_str(&format!(" base64 request group {g}")),
                        None => t.push_str(&format!(" base64 {}", b.field)),
                    }
                }
                t
            }
            Expect::MinExchanges(n) => format!("exchanges >= {n}"),
            Expect::ServerFirst => "server spoke first".into(),
            Expect::EndsAfter(p) => format!("ends after {}", crate::report::escape::sanitize(p)),
            Expect::UdpBroadcast(p) => format!("udp broadcast to port {p}"),
            Expect::HttpLengths => "http body lengths".into(),
            Expect::MinConcurrent(n) => format!("at least {n} at once"),
            Expect::NoUnansweredSyn => "every SYN answered".into(),
            Expect::Clients(a) => format!(
                "clients {}",
                a.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Expect::NotInClear(t) => {
                format!("not in clear {:?}", crate::report::escape::sanitize(t))
            }
            Expect::Tls(t) => {
                let mut s = "tls".to_string();
                if let Some(p) = t.port {
                    s.push_str(&format!(" on port {p}"));
                }
                if let Some(n) = &t.sni {
                    s.push_str(&format!(" SNI {}", crate::report::escape::sanitize(n)));
                }
                if let Some(v) = t.min_version {
                    s.push_str(&format!(
                        " >= {}",
                        crate::analysis::tls::handshake::version_name(v)
                    ));
                }
                if let Some(a) = &t.san {
                    s.push_str(&format!(" SAN {}", crate::report::escape::sanitize(a)));
                }
                s
            }
            Expect::Http(h) => {
                let mut t = format!(
                    "http {} {}",
                    h.method,
                    crate::report::escape::sanitize(&h.uri)
                );
                if let Some(s) = h.status {
                    t.push_str(&format!(" → {s}"));
                }
                if let Some(l) = &h.location {
                    t.push_str(&format!(" Location {}", crate::report::escape::sanitize(l)));
                }
                if let Some(c) = &h.content_type {
                    t.push_str(&format!(" {}", crate::report::escape::sanitize(c)));
                }
                t
            }
            Expect::UdpTo(u) => {
                let mut t = format!("udp to port {}", u.port);
                if !u.from.is_empty() {
                    let from: Vec<String> = u.from.iter().map(ToString::to_string).collect();
                    t.push_str(&format!(" from {}", from.join(", ")));
                }
                if let Some(c) = u.count {
                    t.push_str(&format!(" count {c}"));
                } else if u.at_least > 1 {
                    t.push_str(&format!(" at least {}", u.at_least));
                }
                if let Some(s) = u.size {
                    t.push_str(&format!(" size {s}"));
                }
                t
            }
        }
    }
}

/// In JSON an expectation is `{"term": "rcode", "value": "www.espnfc.cosm=NXDOMAIN", "check":
/// "rcode www.espnfc.cosm=NXDOMAIN"}`: the spec key, its value as a spec gives it, the check's
/// name in reports.
impl Serialize for Expect {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("term", self.key())?;
        map.serialize_entry("value", &self.value())?;
        map.serialize_entry("check", &self.title())?;
        map.end()
    }
}
