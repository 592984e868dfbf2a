//! The one vocabulary of expectations, shared by the `--expect-*` flags and the `expect` tables
//! of spec files: each term has a key (`no_rst`), a flag (`--expect-no-rst`), a value shape and
//! one parser, so a flag and a spec line mean the same thing and fail the same way.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Value};

use crate::wire::dns::{rcode_from_name, rcode_name};

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

/// Which analysis an expectation reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    /// TCP connections.
    Tcp,
    /// DNS transactions.
    Dns,
    /// Messages over TCP (exchanges and conversations).
    Messages,
    /// UDP datagrams.
    Udp,
    /// HTTP transactions.
    Http,
    /// TLS handshakes.
    Tls,
}

impl Expect {
    /// Which analysis it reads.
    pub fn topic(&self) -> Topic {
        match self {
            Expect::Query(_) | Expect::Answer(_) | Expect::Rcode(..) | Expect::NoUnanswered => {
                Topic::Dns
            }
            Expect::Exchange(_)
            | Expect::MinExchanges(_)
            | Expect::ServerFirst
            | Expect::EndsAfter(_) => Topic::Messages,
            Expect::UdpTo(_) | Expect::UdpBroadcast(_) => Topic::Udp,
            Expect::Http(_) | Expect::HttpLengths => Topic::Http,
            Expect::Tls(_) => Topic::Tls,
            Expect::NotInClear(_)
            | Expect::MinConcurrent(_)
            | Expect::Clients(_)
            | Expect::NoUnansweredSyn => Topic::Tcp,
            _ => Topic::Tcp,
        }
    }
}

/// What a term's value looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `true`/`false` in a spec; a flag without a value.
    Switch,
    /// One text or a list of them; a repeatable flag.
    Texts,
    /// A whole number.
    Count,
    /// A list of segment sizes: `[32, 14]` in a spec, `32,14` on the command line.
    Sizes,
    /// `NAME=RCODE` texts (a list in a spec; a repeatable flag), or a table `{ NAME = "RCODE" }`.
    NameRcodes,
    /// `{ request = "REGEX", response = "REGEX", json = { FIELD = VALUE }, base64 = { field,
    /// size, sha256 } }` (or a list of them); on the command line `REQUEST=>RESPONSE`.
    Exchange,
    /// `{ port = 5005, from = ["ADDR", ...], at_least = N, count = N, size = N }`; on the
    /// command line `5005 from=ADDR,ADDR at_least=N count=N size=N`.
    Udp,
    /// `{ method = "GET", uri = "/video", status = 302, location = "REGEX", content_type =
    /// "text/html" }`; on the command line `GET /video 302`.
    Http,
    /// `{ port = 8443, sni = "mesin1", min_version = "1.2", san = "172.16.16.101" }`; on the
    /// command line `port=8443 sni=mesin1 min_version=1.2 san=172.16.16.101`.
    Tls,
}

/// One term of the vocabulary.
#[derive(Debug)]
pub struct Term {
    /// Its key in a spec's `expect` table.
    pub key: &'static str,
    /// Its command-line flag, without the dashes.
    pub flag: &'static str,
    /// Its value's shape.
    pub shape: Shape,
    /// What the value is called in help.
    pub value_name: &'static str,
    /// What it means, for `--help`.
    pub help: &'static str,
    /// Which analysis it reads.
    pub topic: Topic,
}

/// Every term, in the order checks are listed.
pub const TERMS: &[Term] = &[
    term(
        "handshake",
        "expect-handshake",
        Shape::Switch,
        "",
        Topic::Tcp,
        "Every connection (at least one) completed the 3-way handshake",
    ),
    term(
        "close",
        "expect-close",
        Shape::Switch,
        "",
        Topic::Tcp,
        "Every connection (at least one) was closed by FIN from both sides",
    ),
    term(
        "payload",
        "expect-payload",
        Shape::Texts,
        "TEXT",
        Topic::Tcp,
        "Some client→server stream contains TEXT (repeatable)",
    ),
    term(
        "echo",
        "expect-echo",
        Shape::Switch,
        "",
        Topic::Tcp,
        "Every connection that carried client data got exactly that data back",
    ),
    term(
        "connections",
        "expect-connections",
        Shape::Count,
        "N",
        Topic::Tcp,
        "Exactly N TCP connections",
    ),
    term(
        "refused",
        "expect-refused",
        Shape::Switch,
        "",
        Topic::Tcp,
        "At least one connection was refused (SYN answered by RST)",
    ),
    term(
        "no_rst",
        "expect-no-rst",
        Shape::Switch,
        "",
        Topic::Tcp,
        "No connection saw a RST",
    ),
    term(
        "concurrent",
        "expect-concurrent",
        Shape::Switch,
        "",
        Topic::Tcp,
        "Two connections were open at the same time (lab task 4)",
    ),
    term(
        "min_concurrent",
        "expect-min-concurrent",
        Shape::Count,
        "N",
        Topic::Tcp,
        "At least N handshaked connections were open at the same time (load tests)",
    ),
    term(
        "clients",
        "expect-clients",
        Shape::Texts,
        "ADDR",
        Topic::Tcp,
        "ADDR was the client of a handshaked connection (repeatable; a spec gives a list)",
    ),
    term(
        "syn_answered",
        "expect-syn-answered",
        Shape::Switch,
        "",
        Topic::Tcp,
        "Every SYN was answered (by SYN-ACK or RST): no connection failed for want of a reply",
    ),
    term(
        "server_segments",
        "expect-server-segments",
        Shape::Sizes,
        "SIZES",
        Topic::Tcp,
        "Every handshaked connection's server data segments have these lengths, e.g. 32,32,32,1",
    ),
    term(
        "query",
        "expect-query",
        Shape::Texts,
        "NAME",
        Topic::Dns,
        "NAME was looked up over DNS (repeatable)",
    ),
    term(
        "answer",
        "expect-answer",
        Shape::Texts,
        "NAME",
        Topic::Dns,
        "NAME got a NOERROR response with at least one answer (repeatable)",
    ),
    term(
        "rcode",
        "expect-rcode",
        Shape::NameRcodes,
        "NAME=RCODE",
        Topic::Dns,
        "Every response for NAME carried RCODE, e.g. www.espnfc.cosm=NXDOMAIN (repeatable)",
    ),
    term(
        "no_unanswered",
        "expect-no-unanswered",
        Shape::Switch,
        "",
        Topic::Dns,
        "Every DNS query got a response",
    ),
    term(
        "http",
        "expect-http",
        Shape::Http,
        "METHOD URI [STATUS]",
        Topic::Http,
        "An HTTP request METHOD URI came, and every such request got STATUS (repeatable)",
    ),
    term(
        "http_lengths",
        "expect-http-lengths",
        Shape::Switch,
        "",
        Topic::Http,
        "Every HTTP response's body had the length its Content-Length announced",
    ),
    term(
        "tls",
        "expect-tls",
        Shape::Tls,
        "[port=N] [sni=NAME] [min_version=1.2] [san=TEXT]",
        Topic::Tls,
        "TLS sessions came (on the port, for the name), each at least that version, the certificate's SAN holding TEXT (repeatable)",
    ),
    term(
        "not_in_clear",
        "expect-not-in-clear",
        Shape::Texts,
        "TEXT",
        Topic::Tcp,
        "No TCP stream carries TEXT in clear, either way (repeatable)",
    ),
    term(
        "udp_to",
        "expect-udp-to",
        Shape::Udp,
        "PORT [from=ADDR,..] [at_least=N] [count=N] [size=N]",
        Topic::Udp,
        "Datagrams reached UDP PORT from each sender given (repeatable)",
    ),
    term(
        "udp_broadcast",
        "expect-udp-broadcast",
        Shape::Count,
        "PORT",
        Topic::Udp,
        "A datagram sent to a broadcast address reached UDP PORT",
    ),
    term(
        "exchange",
        "expect-exchange",
        Shape::Exchange,
        "REQ=>RESP",
        Topic::Messages,
        "A request matching the regex REQ came, and every such request got a response matching RESP (repeatable; needs --frame)",
    ),
    term(
        "min_exchanges",
        "expect-min-exchanges",
        Shape::Count,
        "N",
        Topic::Messages,
        "At least N requests were answered (needs --frame)",
    ),
    term(
        "server_first",
        "expect-server-first",
        Shape::Switch,
        "",
        Topic::Messages,
        "In every conversation the server sent the first message (needs --frame)",
    ),
    term(
        "ends_after",
        "expect-ends-after",
        Shape::Texts,
        "REGEX",
        Topic::Messages,
        "Every conversation's last client message matches REGEX, then the server closed it (FIN)",
    ),
];

#[rustfmt::skip]
const fn term(key: &'static str, flag: &'static str, shape: Shape, value_name: &'static str,
    topic: Topic, help: &'static str) -> Term {
    Term { key, flag, shape, value_name, help, topic }
}

/// The term with this spec key.
pub fn find(key: &str) -> Option<&'static Term> {
    TERMS.iter().find(|t| t.key == key)
}

/// A value as it arrived, from the command line or a spec file.
#[derive(Clone, Debug, PartialEq)]
pub enum Raw {
    /// A flag given, or `true`/`false`.
    Switch(bool),
    /// A text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A list.
    List(Vec<Raw>),
    /// A table of keys to values.
    Table(Vec<(String, Raw)>),
}

impl Raw {
    fn kind(&self) -> &'static str {
        match self {
            Raw::Switch(_) => "a boolean",
            Raw::Text(_) => "a text",
            Raw::Int(_) => "a number",
            Raw::List(_) => "a list",
            Raw::Table(_) => "a table",
        }
    }
}

impl Term {
    /// The expectations this term's value asks for (none for `false`).
    pub fn parse(&self, raw: &Raw) -> Result<Vec<Expect>, String> {
        match self.shape {
            Shape::Switch => match raw {
                Raw::Switch(true) => Ok(vec![self.switch()]),
                Raw::Switch(false) => Ok(Vec::new()),
                other => Err(format!("expected true or false, found {}", other.kind())),
            },
            Shape::Texts => self.items(raw, |text| {
                if text.is_empty() {
                    return Err("expected a non-empty text".into());
                }
                Ok(match self.key {
                    "payload" => Expect::Payload(text.to_string()),
                    "query" => Expect::Query(text.to_string()),
                    "ends_after" => Expect::EndsAfter(regex(text)?),
                    "not_in_clear" => Expect::NotInClear(text.to_string()),
                    "clients" => {
                        let mut all = Vec::new();
                        for a in text.split(',') {
                            all.push(
                                a.trim()
                                    .parse()
                                    .map_err(|_| format!("{a:?} is not an IP address"))?,
                            );
                        }
                        Expect::Clients(all)
                    }
                    _ => Expect::Answer(text.to_string()),
                })
            }),
            Shape::Tls => match raw {
                Raw::List(items) => items.iter().map(|i| tls(i).map(Expect::Tls)).collect(),
                one => Ok(vec![Expect::Tls(tls(one)?)]),
            },
            Shape::Http => match raw {
                Raw::List(items) => items.iter().map(|i| http(i).map(Expect::Http)).collect(),
                one => Ok(vec![Expect::Http(http(one)?)]),
            },
            Shape::Udp => match raw {
                Raw::List(items) => items.iter().map(|i| udp(i).map(Expect::UdpTo)).collect(),
                one => Ok(vec![Expect::UdpTo(udp(one)?)]),
            },
            Shape::Exchange => match raw {
                Raw::List(items) => {
                    let mut all = Vec::new();
                    for item in items {
                        all.push(Expect::Exchange(exchange(item)?));
                    }
                    Ok(all)
                }
                one => Ok(vec![Expect::Exchange(exchange(one)?)]),
            },
            Shape::Count => {
                let n = match raw {
                    Raw::Int(n) => usize::try_from(*n).ok(),
                    Raw::Text(t) => t.trim().parse().ok(),
                    _ => None,
                };
                let n = match (self.key, n) {
                    ("udp_broadcast", Some(p)) if p > 65535 => None,
                    (_, n) => n,
                };
                n.map(|n| match self.key {
                    "min_exchanges" => vec![Expect::MinExchanges(n)],
                    "udp_broadcast" => vec![Expect::UdpBroadcast(n as u16)],
                    "min_concurrent" => vec![Expect::MinConcurrent(n)],
                    _ => vec![Expect::Connections(n)],
                })
                .ok_or_else(|| format!("expected a whole number of 0 or more, found {}", show(raw)))
            }
            Shape::Sizes => {
                let sizes: Result<Vec<u32>, String> = match raw {
                    Raw::List(items) => items.iter().map(size).collect(),
                    Raw::Text(t) => t
                        .split(',')
                        .map(|s| size(&Raw::Text(s.trim().to_string())))
                        .collect(),
                    other => Err(format!("expected a list of sizes, found {}", other.kind())),
                };
                let sizes = sizes?;
                if sizes.is_empty() {
                    return Err("expected at least one segment size".into());
                }
                Ok(vec![Expect::ServerSegments(sizes)])
            }
            Shape::NameRcodes => match raw {
                Raw::Table(entries) => entries
                    .iter()
                    .map(|(name, value)| match value {
                        Raw::Text(code) => name_rcode(name, code),
                        Raw::Int(code) => name_rcode(name, &code.to_string()),
                        other => Err(format!(
                            "{name}: expected a response code, found {}",
                            other.kind()
                        )),
                    })
                    .collect(),
                _ => self.items(raw, |text| {
                    let (name, code) = text
                        .rsplit_once('=')
                        .ok_or("expected NAME=RCODE, e.g. www.espnfc.cosm=NXDOMAIN")?;
                    name_rcode(name, code)
                }),
            },
        }
    }

    fn switch(&self) -> Expect {
        match self.key {
            "handshake" => Expect::Handshake,
            "close" => Expect::Close,
            "echo" => Expect::Echo,
            "refused" => Expect::Refused,
            "no_rst" => Expect::NoRst,
            "concurrent" => Expect::Concurrent,
            "server_first" => Expect::ServerFirst,
            "http_lengths" => Expect::HttpLengths,
            "syn_answered" => Expect::NoUnansweredSyn,
            _ => Expect::NoUnanswered,
        }
    }

    /// One text or a list of texts, each made into an expectation.
    fn items(
        &self,
        raw: &Raw,
        one: impl Fn(&str) -> Result<Expect, String>,
    ) -> Result<Vec<Expect>, String> {
        match raw {
            Raw::Text(t) => Ok(vec![one(t)?]),
            Raw::List(items) => items
                .iter()
                .map(|item| match item {
                    Raw::Text(t) => one(t),
                    other => Err(format!("expected texts, found {}", other.kind())),
                })
                .collect(),
            other => Err(format!(
                "expected a text or a list of texts, found {}",
                other.kind()
            )),
        }
    }
}

fn show(raw: &Raw) -> String {
    match raw {
        Raw::Text(t) => format!("{t:?}"),
        Raw::Int(n) => n.to_string(),
        other => other.kind().to_string(),
    }
}

/// A TCP payload size: 1 to 65535.
fn size(raw: &Raw) -> Result<u32, String> {
    let n = match raw {
        Raw::Int(n) => Some(*n),
        Raw::Text(t) => t.parse().ok(),
        _ => None,
    };
    match n {
        Some(n @ 1..=65535) => Ok(n as u32),
        _ => Err(format!(
            "expected segment sizes from 1 to 65535, found {}",
            show(raw)
        )),
    }
}

/// A regular expression, checked.
fn regex(text: &str) -> Result<String, String> {
    regex::bytes::Regex::new(text)
        .map(|_| text.to_string())
        .map_err(|e| {
            format!(
                "{text:?} is not a regular expression: {}",
                e.to_string().lines().last().unwrap_or("")
            )
        })
}

/// One TLS expectation, from `key=value ...` or a table.
fn tls(raw: &Raw) -> Result<TlsSpec, String> {
    let pairs: Vec<(String, Raw)> = match raw {
        Raw::Text(t) => t
            .split_whitespace()
            .map(|w| {
                w.split_once('=')
                    .map(|(k, v)| (k.to_string(), Raw::Text(v.to_string())))
                    .ok_or(format!("{w:?}: expected KEY=VALUE (port, sni, min_version, san)"))
            })
            .collect::<Result<_, _>>()?,
        Raw::Table(entries) => entries.clone(),
        Raw::Switch(true) => Vec::new(),
        other => return Err(format!("expected {{ port = 8443, sni = \"NAME\", min_version = \"1.2\", san = \"ADDR\" }}, found {}", other.kind())),
    };
    let mut spec = TlsSpec {
        port: None,
        sni: None,
        min_version: None,
        san: None,
    };
    for (k, v) in &pairs {
        let text = || match v {
            Raw::Text(t) => Ok(t.clone()),
            Raw::Int(n) => Ok(n.to_string()),
            other => Err(format!("{k}: expected a text, found {}", other.kind())),
        };
        match k.as_str() {
            "port" => {
                spec.port =
                    Some(text()?.parse().map_err(|_| {
                        format!("port: {:?} is not a port", text().unwrap_or_default())
                    })?)
            }
            "sni" => spec.sni = Some(text()?),
            "san" => spec.san = Some(text()?),
            "min_version" => {
                spec.min_version = Some(match text()?.trim_start_matches("TLS").trim() {
                    "1.0" => 0x0301,
                    "1.1" => 0x0302,
                    "1.2" => 0x0303,
                    "1.3" => 0x0304,
                    other => {
                        return Err(format!(
                            "min_version: {other:?} is not 1.0, 1.1, 1.2 or 1.3"
                        ))
                    }
                })
            }
            other => {
                return Err(format!(
                    "unknown key {other:?} (a TLS expectation has port, sni, min_version, san)"
                ))
            }
        }
    }
    Ok(spec)
}

/// One HTTP expectation, from `METHOD URI [STATUS]` or a table.
fn http(raw: &Raw) -> Result<HttpSpec, String> {
    let mut spec = HttpSpec {
        method: String::new(),
        uri: String::new(),
        status: None,
        location: None,
        content_type: None,
    };
    let status = |v: &Raw| -> Result<u16, String> {
        let n = match v {
            Raw::Int(n) => u16::try_from(*n).ok(),
            Raw::Text(t) => t.parse().ok(),
            _ => None,
        };
        n.filter(|n| (100..=999).contains(n)).ok_or(format!(
            "status: expected a code from 100 to 999, found {}",
            show(v)
        ))
    };
    match raw {
        Raw::Text(t) => {
            let words: Vec<&str> = t.split_whitespace().collect();
            match words.as_slice() {
                [m, u] => (spec.method, spec.uri) = (m.to_string(), u.to_string()),
                [m, u, s] => {
                    (spec.method, spec.uri) = (m.to_string(), u.to_string());
                    spec.status = Some(status(&Raw::Text(s.to_string()))?);
                }
                _ => return Err("expected METHOD URI [STATUS], e.g. \"GET /video 302\"".into()),
            }
        }
        Raw::Table(entries) => {
            for (k, v) in entries {
                let text = || match v {
                    Raw::Text(t) => Ok(t.clone()),
                    other => Err(format!("{k}: expected a text, found {}", other.kind())),
                };
                match k.as_str() {
                    "method" => spec.method = text()?,
                    "uri" => spec.uri = text()?,
                    "status" => spec.status = Some(status(v)?),
                    "location" => spec.location = Some(regex(&text()?)?),
                    "content_type" => spec.content_type = Some(text()?),
                    other => return Err(format!("unknown key {other:?} (an HTTP expectation has method, uri, status, location, content_type)")),
                }
            }
        }
        other => {
            return Err(format!(
                "expected {{ method = \"GET\", uri = \"/\", status = 200 }}, found {}",
                other.kind()
            ))
        }
    }
    if spec.method.is_empty() && spec.uri.is_empty() {
        return Err("give the request: method and/or uri".into());
    }
    Ok(spec)
}

/// One UDP expectation, from `PORT key=value...` or a table.
fn udp(raw: &Raw) -> Result<UdpSpec, String> {
    let pairs: Vec<(String, Raw)> = match raw {
        Raw::Int(p) => vec![("port".into(), Raw::Int(*p))],
        Raw::Text(t) => {
            let mut words = t.split_whitespace();
            let mut pairs = vec![(
                "port".to_string(),
                Raw::Text(words.next().unwrap_or("").into()),
            )];
            for w in words {
                let (k, v) = w.split_once('=').ok_or(format!(
                    "{w:?}: expected KEY=VALUE (from, at_least, count, size)"
                ))?;
                let v = match k {
                    "from" => Raw::List(v.split(',').map(|a| Raw::Text(a.into())).collect()),
                    _ => Raw::Text(v.into()),
                };
                pairs.push((k.to_string(), v));
            }
            pairs
        }
        Raw::Table(entries) => entries.clone(),
        other => {
            return Err(format!(
                "expected {{ port = N, from = [...], at_least = N }}, found {}",
                other.kind()
            ))
        }
    };
    let number = |k: &str, v: &Raw, max: u64| -> Result<u64, String> {
        let n = match v {
            Raw::Int(n) => u64::try_from(*n).ok(),
            Raw::Text(t) => t.parse().ok(),
            _ => None,
        };
        n.filter(|n| *n <= max).ok_or(format!(
            "{k}: expected a number from 0 to {max}, found {}",
            show(v)
        ))
    };
    let mut spec = UdpSpec {
        port: 0,
        from: Vec::new(),
        at_least: 1,
        count: None,
        size: None,
    };
    let mut port = None;
    for (k, v) in &pairs {
        match k.as_str() {
            "port" => port = Some(number(k, v, 65535)? as u16),
            "at_least" => spec.at_least = number(k, v, u64::MAX)?,
            "count" => spec.count = Some(number(k, v, u64::MAX)?),
            "size" => spec.size = Some(number(k, v, 65535)? as u32),
            "from" => {
                let items = match v {
                    Raw::List(items) => items.clone(),
                    one => vec![one.clone()],
                };
                for item in items {
                    let Raw::Text(a) = &item else {
                        return Err(format!("from: expected addresses, found {}", item.kind()));
                    };
                    spec.from.push(
                        a.trim()
                            .parse()
                            .map_err(|_| format!("from: {a:?} is not an IP address"))?,
                    );
                }
            }
            other => {
                return Err(format!(
                "unknown key {other:?} (a UDP expectation has port, from, at_least, count, size)"
            ))
            }
        }
    }
    spec.port = port.ok_or("a UDP expectation needs the port: port = 5005")?;
    Ok(spec)
}

/// One exchange expectation, from `REQUEST=>RESPONSE` or a table.
fn exchange(raw: &Raw) -> Result<ExchangeSpec, String> {
    let entries = match raw {
        Raw::Text(t) => {
            let (request, response) = match t.split_once("=>") {
                Some((q, r)) => (q, Some(r)),
                None => (t.as_str(), None),
            };
            return Ok(ExchangeSpec {
                request: regex(request)?,
                response: response.map(regex).transpose()?,
                json: Vec::new(),
                base64: None,
            });
        }
        Raw::Table(entries) => entries,
        other => {
            return Err(format!(
                "expected a table {{ request = \"REGEX\", ... }}, found {}",
                other.kind()
            ))
        }
    };
    let text = |key: &str, v: &Raw| match v {
        Raw::Text(t) => Ok(t.clone()),
        other => Err(format!("{key}: expected a text, found {}", other.kind())),
    };
    let mut spec = ExchangeSpec {
        request: String::new(),
        response: None,
        json: Vec::new(),
        base64: None,
    };
    let mut request = None;
    for (key, value) in entries {
        match key.as_str() {
            "request" => request = Some(regex(&text(key, value)?)?),
            "response" => spec.response = Some(regex(&text(key, value)?)?),
            "json" => {
                let Raw::Table(fields) = value else {
                    return Err(format!(
                        "json: expected a table of fields, found {}",
                        value.kind()
                    ));
                };
                for (field, v) in fields {
                    let want = match v {
                        Raw::Text(t) => t.clone(),
                        Raw::Int(n) => n.to_string(),
                        Raw::Switch(b) => b.to_string(),
                        other => {
                            return Err(format!(
                                "json.{field}: expected a text, number or boolean, found {}",
                                other.kind()
                            ))
                        }
                    };
                    spec.json.push((field.clone(), want));
                }
            }
            "base64" => {
                let Raw::Table(fields) = value else {
                    return Err(format!(
                        "base64: expected {{ field = \"NAME\", size = N }}, found {}",
                        value.kind()
                    ));
                };
                let mut b = Base64Spec {
                    field: String::new(),
                    group: None,
                    size: None,
                    sha256: None,
                };
                for (k, v) in fields {
                    match (k.as_str(), v) {
                        ("field", Raw::Text(t)) => b.field = t.clone(),
                        ("group", Raw::Int(n)) if *n >= 1 => b.group = Some(*n as usize),
                        ("size", Raw::Int(n)) if *n >= 0 => b.size = Some(*n as u64),
                        ("sha256", Raw::Text(t)) if t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()) => {
                            b.sha256 = Some(t.to_ascii_lowercase())
                        }
                        (k, _) => return Err(format!("base64.{k}: expected field = \"NAME\" (a JSON field of the response) or group = N (of the request pattern), size = BYTES, sha256 = \"64 hex digits\"")),
                    }
                }
                if b.field.is_empty() == b.group.is_none()
                    || (b.size.is_none() && b.sha256.is_none())
                {
                    return Err("base64: give the field (or the request's group) and its decoded size or sha256".into());
                }
                spec.base64 = Some(b);
            }
            other => {
                return Err(format!(
                    "unknown key {other:?} (an exchange has request, response, json, base64)"
                ))
            }
        }
    }
    spec.request = request.ok_or("an exchange needs a request pattern: request = \"REGEX\"")?;
    Ok(spec)
}

fn name_rcode(name: &str, code: &str) -> Result<Expect, String> {
    if name.is_empty() {
        return Err("expected NAME=RCODE with a name before '='".into());
    }
    let code = rcode_from_name(code).ok_or_else(|| {
        format!("unknown response code {code:?}: use NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED or a number 0-15")
    })?;
    Ok(Expect::Rcode(name.to_string(), code))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(key: &str, raw: Raw) -> Result<Vec<Expect>, String> {
        find(key).expect("term").parse(&raw)
    }

    #[test]
    fn every_term_has_a_flag_named_after_its_key() {
        for t in TERMS {
            assert_eq!(t.flag, format!("expect-{}", t.key.replace('_', "-")));
        }
    }

    #[test]
    fn an_expectation_in_json_reads_back_through_its_term() {
        for e in [
            Expect::Handshake,
            Expect::Payload("x y".into()),
            Expect::Connections(2),
            Expect::ServerSegments(vec![32, 14]),
            Expect::Rcode("a.example".into(), 3),
        ] {
            let doc = serde_json::to_value(&e).unwrap();
            assert_eq!(doc["term"], e.key());
            let raw = match &doc["value"] {
                Value::Bool(b) => Raw::Switch(*b),
                Value::String(s) => Raw::Text(s.clone()),
                Value::Number(n) => Raw::Int(n.as_i64().unwrap()),
                Value::Array(a) => {
                    Raw::List(a.iter().map(|v| Raw::Int(v.as_i64().unwrap())).collect())
                }
                other => panic!("{other}"),
            };
            assert_eq!(find(e.key()).unwrap().parse(&raw), Ok(vec![e.clone()]));
            assert_eq!(doc["check"], e.title());
        }
    }

    #[test]
    fn values_from_flags_and_specs_mean_the_same() {
        let text = |s: &str| Raw::Text(s.into());
        assert_eq!(
            parse("handshake", Raw::Switch(true)),
            Ok(vec![Expect::Handshake])
        );
        assert_eq!(parse("handshake", Raw::Switch(false)), Ok(vec![]));
        assert_eq!(
            parse("server_segments", text("32, 32,32,1")),
            parse(
                "server_segments",
                Raw::List(vec![Raw::Int(32), Raw::Int(32), Raw::Int(32), Raw::Int(1)])
            )
        );
        assert_eq!(
            parse("connections", text("2")),
            parse("connections", Raw::Int(2))
        );
        assert_eq!(
            parse("rcode", text("www.espnfc.cosm=NXDOMAIN")),
            parse(
                "rcode",
                Raw::Table(vec![("www.espnfc.cosm".into(), text("nxdomain"))])
            )
        );
        assert_eq!(
            parse("payload", Raw::List(vec![text("a"), text("b")])),
            Ok(vec![
                Expect::Payload("a".into()),
                Expect::Payload("b".into())
            ])
        );
    }

    #[test]
    fn bad_values_say_what_was_expected() {
        let err = |key, raw| parse(key, raw).unwrap_err();
        assert!(err("handshake", Raw::Int(1)).contains("true or false"));
        assert!(err("connections", Raw::Int(-1)).contains("whole number"));
        assert!(err("rcode", Raw::Text("x=NXDOMAN".into())).contains("unknown response code"));
        assert!(err("rcode", Raw::Text("x".into())).contains("NAME=RCODE"));
        assert!(err("server_segments", Raw::Text("32,0".into())).contains("1 to 65535"));
        assert!(err("server_segments", Raw::List(vec![])).contains("at least one"));
        assert!(err("payload", Raw::Text(String::new())).contains("non-empty"));
    }
}
