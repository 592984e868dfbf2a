//! Expectations on an analysis: each gives a [`Check`] that passed or failed, with the reason.
//! Checks are data ([`Expect`], from flags or a spec file) evaluated over the analysis and over
//! what their observers saw; pure code, shared by replay, live capture and grading.

mod dns;
mod http;
mod messages;
pub mod observe;
mod tcp;
mod tls;
mod udp;
pub mod vocabulary;

use serde::Serialize;

use crate::analysis::observer::{Observer, Observers};
use crate::pipeline::Analysis;
use observe::{
    ConversationRule, Conversations, DatagramsTo, DnsName, ExchangeRule, HttpRule, PayloadText,
    SegmentSizes, TlsRule,
};
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

/// The observers of one capture, by the analyzer that feeds them.
#[derive(Debug, Default)]
pub struct ObserverSets {
    /// Fed by the TCP core (segments, bytes, connections).
    pub tcp: Observers,
    /// Fed by the DNS analyzer.
    pub dns: Observers,
    /// Fed by the messages analyzer (exchanges, conversations).
    pub messages: Observers,
    /// Fed by the UDP analyzer (datagrams).
    pub udp: Observers,
    /// Fed by the HTTP analyzer (transactions).
    pub http: Observers,
    /// Fed by the TLS analyzer (sessions).
    pub tls: Observers,
}

/// Which analyzers the checks read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// TCP connections.
    pub tcp: bool,
    /// DNS transactions.
    pub dns: bool,
    /// Messages over TCP (framed connections).
    pub messages: bool,
    /// UDP conversations.
    pub udp: bool,
    /// HTTP transactions.
    pub http: bool,
    /// TLS handshakes.
    pub tls: bool,
}

impl Expectations {
    /// Expectations from a list.
    pub fn new(list: Vec<Expect>) -> Expectations {
        Expectations { list }
    }

    /// Which analyzers these expectations read.
    pub fn needs(&self) -> Needs {
        let any = |topic| self.list.iter().any(|e| e.topic() == topic);
        Needs {
            tcp: any(Topic::Tcp) || any(Topic::Messages) || any(Topic::Http) || any(Topic::Tls),
            dns: any(Topic::Dns),
            messages: any(Topic::Messages),
            udp: any(Topic::Udp),
            http: any(Topic::Http),
            tls: any(Topic::Tls),
        }
    }

    /// Fresh observers for one capture, by what feeds them, each tagged with the index of
    /// the expectation that asked for it.
    pub fn observers(&self) -> ObserverSets {
        let mut sets = ObserverSets::default();
        for (i, e) in self.list.iter().enumerate() {
            let observer: Box<dyn Observer> = match e {
                Expect::Payload(text) => Box::new(PayloadText::new(text)),
                Expect::ServerSegments(sizes) => Box::new(SegmentSizes::new(sizes)),
                Expect::Query(name) | Expect::Answer(name) | Expect::Rcode(name, _) => {
                    Box::new(DnsName::new(name))
                }
                Expect::Exchange(spec) => Box::new(ExchangeRule::new(spec)),
                Expect::ServerFirst => Box::new(Conversations::new(ConversationRule::ServerFirst)),
                Expect::EndsAfter(pattern) => match regex::bytes::Regex::new(pattern) {
                    Ok(re) => Box::new(Conversations::new(ConversationRule::EndsAfter(re))),
                    Err(_) => continue, // checked when parsed; the check then says it did not run
                },
                Expect::UdpTo(spec) => Box::new(DatagramsTo::new(spec)),
                Expect::UdpBroadcast(port) => Box::new(DatagramsTo::broadcasts(*port)),
                Expect::Http(spec) => Box::new(HttpRule::new(spec)),
                Expect::HttpLengths => Box::new(HttpRule::lengths()),
                Expect::Tls(spec) => Box::new(TlsRule::new(spec)),
                Expect::NotInClear(text) => Box::new(PayloadText::both_ways(text)),
                _ => continue,
            };
            match e.topic() {
                Topic::Tcp => sets.tcp.push((i, observer)),
                Topic::Dns => sets.dns.push((i, observer)),
                Topic::Messages => sets.messages.push((i, observer)),
                Topic::Udp => sets.udp.push((i, observer)),
                Topic::Http => sets.http.push((i, observer)),
                Topic::Tls => sets.tls.push((i, observer)),
            }
        }
        sets
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
                    Topic::Messages => messages::evaluate(e, analysis, observed),
                    Topic::Udp => udp::evaluate(e, observed),
                    Topic::Http => http::evaluate(e, observed),
                    Topic::Tls => tls::evaluate(e, observed),
                };
                let (passed, detail) = match evicted_under(e.topic(), analysis) {
                    Some(what) if passed => (false, format!("cannot tell: {what}")),
                    Some(what) => (false, format!("{detail}; {what}")),
                    None => (passed, detail),
                };
                // A failure in a capture the snapshot length cut may be the cut's doing.
                let detail = match analysis.stats.truncated {
                    cut if cut > 0 && !passed => format!("{detail}; {}", cut_short(cut)),
                    _ => detail,
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

/// What was evicted under the memory cap that a check of `topic` reads, in words: such a
/// check cannot pass, since what it needed was not analysed to the end.
fn evicted_under(topic: Topic, analysis: &Analysis) -> Option<String> {
    let evicted = analysis.evictions();
    let (n, what) = match topic {
        Topic::Tcp | Topic::Messages | Topic::Http | Topic::Tls => {
            (evicted.tcp_connections, "TCP connection")
        }
        Topic::Dns => (evicted.dns_queries + evicted.dns_tcp_flows, "DNS query"),
        // The UDP checks count datagrams as they pass: a conversation closed early loses
        // none of them.
        Topic::Udp => return None,
    };
    (n > 0).then(|| {
        format!(
            "{} evicted under the {} memory cap (raise it with --memcap)",
            plural(count(n), what),
            analysis.memcap
        )
    })
}

/// What a failing check adds when `cut` packets were cut short by the snapshot length: what
/// they carried past the cut was not captured, which may be why it failed.
fn cut_short(cut: u64) -> String {
    format!(
        "{} cut short by the capture's snapshot length, their data not all captured \
         (capture again with the whole packets: tcpdump -s 0, Wireshark without a packet limit)",
        plural(count(cut), "packet")
    )
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

#[cfg(test)]
mod tests {
    use super::observe::{NameStats, Observation, SegmentsSeen};
    use super::*;
    use crate::analysis::tcp::{ConnRef, Finding};
    use crate::analysis::Endpoint;
    use crate::analysis::Examples;

    fn conn(stream: u32) -> ConnRef {
        let at = |ip: [u8; 4], port| Endpoint {
            ip: std::net::Ipv4Addr::from(ip).into(),
            port,
        };
        ConnRef {
            stream,
            client: at([172, 16, 16, 102], 40000 + stream as u16),
            server: at([172, 16, 16, 101], 10000),
        }
    }

    fn verdicts(expect: Vec<Expect>, analysis: &Analysis) -> Vec<(bool, String)> {
        Expectations::new(expect)
            .evaluate(analysis)
            .into_iter()
            .map(|c| (c.passed, format!("{}: {}", c.name, c.detail)))
            .collect()
    }

    #[test]
    fn nothing_captured_passes_nothing_that_needs_a_connection() {
        let analysis = Analysis::default();
        let v = verdicts(
            vec![
                Expect::Handshake,
                Expect::Close,
                Expect::Echo,
                Expect::Concurrent,
            ],
            &analysis,
        );
        assert!(v.iter().all(|(passed, _)| !passed), "{v:?}");
        assert!(v[0].1.contains("no TCP connection in the capture"));
    }

    #[test]
    fn a_failure_in_a_snaplen_cut_capture_says_the_capture_was_cut() {
        let mut analysis = Analysis::default();
        analysis.tcp.connections = 1;
        analysis.tcp.carried_data = 1;
        analysis.tcp.echo_failed.add(|| {
            (
                conn(0),
                Finding::EchoDiffers {
                    sent: 46,
                    got: 2,
                    missing: true,
                },
            )
        });
        analysis.stats.truncated = 3;
        let v = verdicts(vec![Expect::Echo, Expect::Connections(1)], &analysis);
        assert!(!v[0].0);
        assert!(
            v[0].1.ends_with(
                "; 3 packets cut short by the capture's snapshot length, their data \
                            not all captured (capture again with the whole packets: tcpdump -s 0, \
                            Wireshark without a packet limit)"
            ),
            "{}",
            v[0].1
        );
        // A check that passes says nothing of it.
        assert_eq!(
            v[1],
            (
                true,
                "connections == 1: 1 TCP connection in the capture".into()
            )
        );
    }

    #[test]
    fn findings_are_put_into_words_by_the_checks() {
        let mut analysis = Analysis::default();
        let t = &mut analysis.tcp;
        t.connections = 3;
        t.carried_data = 2;
        t.not_closed.add(|| (conn(1), Finding::NoServerFin));
        t.echo_failed.add(|| {
            (
                conn(2),
                Finding::EchoDiffers {
                    sent: 46,
                    got: 3,
                    missing: false,
                },
            )
        });
        t.concurrent = Some((conn(0), conn(2)));
        let v = verdicts(
            vec![
                Expect::Handshake,
                Expect::Close,
                Expect::Echo,
                Expect::Concurrent,
            ],
            &analysis,
        );
        assert_eq!(
            v[0],
            (
                true,
                "handshake: all 3 connections completed the 3-way handshake (SYN, SYN-ACK, ACK)"
                    .into()
            )
        );
        assert_eq!(v[1], (false, "close: stream 1 (172.16.16.102:40001 → 172.16.16.101:10000): no FIN from the server".into()));
        assert_eq!(
            v[2],
            (
                false,
                "echo: stream 2 sent 46 bytes, got 3 back (different bytes)".into()
            )
        );
        assert_eq!(v[3], (true, "concurrent: stream 0 (172.16.16.102:40000) and stream 2 (172.16.16.102:40002) were open at the same time".into()));
    }

    #[test]
    fn observer_results_decide_their_checks() {
        let mut analysis = Analysis::default();
        analysis.tcp.connections = 1;
        analysis.observed = vec![
            (0, Observation::Payload(Examples::default())),
            (
                1,
                Observation::ServerSegments(SegmentsSeen {
                    connections: 1,
                    wrong: 1,
                    first: vec![(0, vec![32, 32, 33])],
                }),
            ),
            (
                2,
                Observation::DnsName(NameStats {
                    queries: 1,
                    answered: 1,
                    rcodes: [(0, 1)].into(),
                    ..Default::default()
                }),
            ),
        ];
        let v = verdicts(
            vec![
                Expect::Payload("HELLO".into()),
                Expect::ServerSegments(vec![32, 32, 32, 1]),
                Expect::Rcode("x.example".into(), 3),
            ],
            &analysis,
        );
        assert!(
            !v[0].0 && v[0].1.contains("no client→server stream of 1 connection"),
            "{v:?}"
        );
        assert_eq!(v[1], (false, "server segments [32, 32, 32, 1]: server data segments: stream 0 [32, 32, 33] (1 of 1 connection not [32, 32, 32, 1])".into()));
        assert!(!v[2].0, "{v:?}");
    }

    #[test]
    fn needs_and_observers_follow_the_expectations() {
        let e = Expectations::new(vec![
            Expect::Echo,
            Expect::Payload("x".into()),
            Expect::Query("a.example".into()),
        ]);
        assert_eq!(
            e.needs(),
            Needs {
                tcp: true,
                dns: true,
                messages: false,
                udp: false,
                http: false,
                tls: false
            }
        );
        let sets = e.observers();
        assert_eq!(sets.tcp.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [1]);
        assert_eq!(sets.dns.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [2]);
        assert_eq!(
            Expectations::new(vec![Expect::NoUnanswered]).needs(),
            Needs {
                tcp: false,
                dns: true,
                messages: false,
                udp: false,
                http: false,
                tls: false
            }
        );
    }
}
