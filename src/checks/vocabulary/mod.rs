//! The one vocabulary of expectations, shared by the `--expect-*` flags and the `expect` tables
//! of spec files: each term has a key (`no_rst`), a flag (`--expect-no-rst`), a value shape and
//! one parser, so a flag and a spec line mean the same thing and fail the same way.

mod expect;
mod values;

pub use expect::{Base64Spec, ExchangeSpec, Expect, HttpSpec, TlsSpec, UdpSpec};
use values::{exchange, http, name_rcode, regex, show, size, tls, udp};

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

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
