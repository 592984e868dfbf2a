//! The one pipeline both sources feed: decode → filter → analyzers, frame by frame.
//! Pure: it neither reads nor prints; the caller hands frames in and gets plain data out.
//! [`analyse_file`] is the one path from a capture file to its analyses.

use crate::analysis::memory::{Evictions, MemCap};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::Duration;

use crate::analysis::analyzer::{Analyzer, Found, PacketNotes};
use crate::analysis::dns::{DnsAnalysis, DnsAnalyzer, DnsConfig};
use crate::analysis::follow::{Follow, Followed};
use crate::analysis::http::{HttpAnalysis, HttpAnalyzer};
use crate::analysis::messages::{MessagesAnalysis, MessagesAnalyzer, MessagesConfig};
use crate::analysis::tcp::{Connection, TcpAnalysis, TcpAnalyzer, TcpConfig, TcpTotals};
use crate::analysis::tls::{TlsAnalysis, TlsAnalyzer};
use crate::analysis::udp::{UdpAnalysis, UdpAnalyzer};
use crate::analysis::Endpoint;
use crate::checks::observe::Observation;
use crate::checks::{Expectations, Needs, ObserverSets};
use crate::filter::{Context, Filter, Streams};
use crate::report::list::{self, ListedPacket};
use crate::source::{FileSource, Frame, SourceError};
use crate::wire::defrag::{DefragLimits, DefragStats};
use crate::wire::{Layer, LayerRole, Packet, Status, Transport};

mod decoder;
mod parallel;
mod side;

pub use decoder::Decoder;
pub use parallel::replay;

/// The tag of the messages analyzer among the TCP core's observers (checks have their index).
const MESSAGES: usize = usize::MAX;
/// The tag of the HTTP analyzer among the TCP core's observers.
const HTTP: usize = usize::MAX - 1;
/// The tag of the TLS analyzer among the TCP core's observers.
const TLS: usize = usize::MAX - 2;
/// The tag of the stream follower among the TCP core's observers.
const FOLLOW: usize = usize::MAX - 3;

/// How many distinct malformed-packet reasons are kept (the rest are counted as "other").
const MAX_REASONS: usize = 16;

/// What the pipeline is asked to do.
#[derive(Clone, Debug)]
pub struct PipelineOptions {
    /// The display filter, if any.
    pub filter: Option<Filter>,
    /// TCP analysis limits.
    pub tcp: TcpConfig,
    /// DNS ports and limits.
    pub dns: DnsConfig,
    /// Which connections are cut into messages (`--frame`), and limits.
    pub messages: MessagesConfig,
    /// Produce a line per matched packet (needs the TCP and DNS analyzers).
    pub list: bool,
    /// Which analyzers run: the tables and the packet list need both, a graded task only what
    /// its checks read.
    pub needs: Needs,
    /// The checks that will be evaluated: their observers ride along with the analyzers.
    pub expectations: Expectations,
    /// Follow this `tcp.stream`, keeping up to this many bytes (`--follow`).
    pub follow: Option<(u32, usize)>,
    /// The memory cap of analysis state (`--memcap`): it sets the TCP, DNS and UDP tables'
    /// budgets.
    pub memcap: MemCap,
    /// IP fragment reassembly's memory caps and timeouts.
    pub defrag: DefragLimits,
}

impl PipelineOptions {
    /// One place decides what is DNS: the filter's `dns` fields read DNS on the ports the DNS
    /// analyzer decodes (53 and `--dns-port`), and its BPF says so.
    pub fn with_dns_ports_in_filter(self) -> PipelineOptions {
        PipelineOptions {
            filter: self
                .filter
                .map(|f| f.with_dns_ports(self.dns.ports.clone())),
            ..self
        }
    }
}

impl Default for PipelineOptions {
    fn default() -> PipelineOptions {
        PipelineOptions {
            filter: None,
            tcp: TcpConfig::default(),
            dns: DnsConfig::default(),
            messages: MessagesConfig::default(),
            list: false,
            needs: Needs {
                tcp: true,
                dns: true,
                messages: true,
                udp: true,
                http: true,
                tls: true,
            },
            expectations: Expectations::default(),
            follow: None,
            memcap: MemCap::default(),
            defrag: DefragLimits::default(),
        }
    }
}

/// Packet counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames read.
    pub packets: u64,
    /// Frames the filter matched (all, without a filter).
    pub matched: u64,
    /// Frames with an invalid header or an unknown link type.
    pub malformed: u64,
    /// Frames cut short by the snapshot length.
    pub truncated: u64,
    /// Why frames were malformed, with counts.
    pub malformed_reasons: BTreeMap<String, u64>,
    /// IP fragments: datagrams reassembled, and those that could not be.
    pub fragments: DefragStats,
    /// Time of the first frame.
    pub first_ts: Option<Duration>,
    /// Time of the last frame.
    pub last_ts: Option<Duration>,
}

/// Everything the analysis found, for reports and checks.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    /// Packet counts.
    pub stats: Stats,
    /// Which analyzers ran.
    pub ran: Needs,
    /// The first TCP connections with a matched packet, in detail, by stream index.
    pub connections: Vec<Connection>,
    /// Totals over every TCP connection with a matched packet.
    pub tcp: TcpTotals,
    /// DNS transactions with a matched packet, and DNS message counts.
    pub dns: DnsAnalysis,
    /// Exchanges of framed connections with a matched packet.
    pub messages: MessagesAnalysis,
    /// UDP conversations with a matched datagram.
    pub udp: UdpAnalysis,
    /// HTTP transactions of connections with a matched packet.
    pub http: HttpAnalysis,
    /// TLS handshakes of connections with a matched packet.
    pub tls: TlsAnalysis,
    /// The followed stream, when `--follow` asked for one.
    pub follow: Option<Followed>,
    /// What the checks' observers saw, by the index of the check.
    pub observed: Vec<(usize, Observation)>,
    /// The memory cap the analysis ran under.
    pub memcap: MemCap,
}

impl Analysis {
    /// What the analyzers evicted (of what the filter matched) to stay within the cap.
    pub fn evictions(&self) -> Evictions {
        Evictions {
            tcp_connections: self.tcp.evicted.count,
            dns_queries: self.dns.totals.evicted,
            dns_tcp_flows: self.dns.totals.framing_evicted,
            udp_conversations: self.udp.totals.evicted,
        }
    }
}

/// The pipeline's state over one capture.
pub struct Pipeline {
    options: PipelineOptions,
    /// Decodes frames and reassembles fragments for [`Pipeline::push`].
    decoder: Decoder,
    stats: Stats,
    /// TCP connections and their reassembled bytes, when needed.
    tcp: Option<TcpAnalyzer>,
    /// The packet analyzers needed (DNS).
    analyzers: Vec<Box<dyn Analyzer>>,
    /// `udp.stream` numbers, when the filter asks for them.
    udp_streams: Option<UdpNumbers>,
}

/// UDP conversations numbered in order of first appearance, as Wireshark's `udp.stream`.
#[derive(Debug, Default)]
struct UdpNumbers {
    seen: rustc_hash::FxHashMap<(Endpoint, Endpoint), u32>,
}

impl UdpNumbers {
    /// Numbers the packet's UDP conversations as Wireshark numbers every UDP header: those of
    /// the tunnels it came through first, then its own (`streams.udp`), then those its other
    /// layers hold (all but its own in `streams.layer_udp`, in layer order).
    fn number(&mut self, packet: &Packet<'_>, streams: &mut Streams) {
        let mut slots = streams.layer_udp.iter_mut();
        let mut layer = |numbers: &mut UdpNumbers, layer: &Layer<'_>| {
            if let (Some(ip), Transport::Udp(udp)) = (layer.ip, &layer.transport) {
                let at = |ip, port| Endpoint { ip, port };
                let n = numbers.key(at(ip.src, udp.src_port), at(ip.dst, udp.dst_port));
                if let Some(slot) = slots.next() {
                    *slot = Some(n);
                }
            }
        };
        let (envelopes, others): (Vec<&Layer<'_>>, Vec<&Layer<'_>>) = packet
            .other_layers
            .iter()
            .partition(|l| l.role == LayerRole::Envelope);
        for l in envelopes {
            layer(self, l);
        }
        streams.udp = crate::analysis::udp::endpoints(packet).map(|(a, b)| self.key(a, b));
        for l in others {
            layer(self, l);
        }
    }

    fn key(&mut self, a: Endpoint, b: Endpoint) -> u32 {
        let key = if a <= b { (a, b) } else { (b, a) };
        let next = self.seen.len() as u32;
        *self.seen.entry(key).or_insert(next)
    }
}

impl Pipeline {
    /// A pipeline for one capture, with the analyzers and observers its options need.
    pub fn new(options: PipelineOptions) -> Pipeline {
        let (pipeline, tcp) = Pipeline::split(options);
        Pipeline { tcp, ..pipeline }
    }

    /// A pipeline without its TCP analyzer, and that analyzer (when needed) to run elsewhere.
    fn split(options: PipelineOptions) -> (Pipeline, Option<TcpAnalyzer>) {
        let mut options = options.with_dns_ports_in_filter();
        let memcap = options.memcap;
        let needs = options.needs;
        // What the stream analyzers keep in detail comes out of the TCP share (what they hold
        // for open connections is in it already): the shares add up to the same whatever runs.
        let messages = needs.messages && !options.messages.rules.is_empty();
        let details = [needs.http, needs.tls, messages]
            .iter()
            .filter(|&&x| x)
            .count();
        options.tcp.state_budget = memcap.tcp() - details * memcap.detail();
        options.tcp.kept_budget = memcap.tcp_kept();
        options.dns.state_budget = memcap.dns();
        options.dns.tcp_budget = memcap.dns_tcp();
        let ObserverSets {
            tcp: mut tcp_observers,
            dns: dns_observers,
            messages: exchange_observers,
            udp: udp_observers,
            http: http_observers,
            tls: tls_observers,
        } = options.expectations.observers();
        if let Some((stream, limit)) = options.follow {
            tcp_observers.push((FOLLOW, Box::new(Follow::new(stream, limit))));
        }
        if needs.tls {
            let tls = TlsAnalyzer::new(
                options.messages.max_exchanges,
                options.memcap.detail(),
                tls_observers,
            );
            tcp_observers.push((TLS, Box::new(tls)));
        }
        if needs.http {
            let http = HttpAnalyzer::new(
                options.messages.max_exchanges,
                options.memcap.detail(),
                http_observers,
            );
            tcp_observers.push((HTTP, Box::new(http)));
        }
        // Messages run when something asks for them and some connection is framed.
        if messages {
            let config = MessagesConfig {
                kept_budget: options.memcap.detail(),
                ..options.messages.clone()
            };
            let messages = MessagesAnalyzer::new(config, exchange_observers);
            tcp_observers.push((MESSAGES, Box::new(messages)));
        }
        let tcp = (needs.tcp || options.list)
            .then(|| TcpAnalyzer::with_observers(options.tcp.clone(), tcp_observers));
        let mut analyzers: Vec<Box<dyn Analyzer>> = Vec::new();
        if needs.dns || options.list {
            analyzers.push(Box::new(DnsAnalyzer::with_observers(
                options.dns.clone(),
                dns_observers,
            )));
        }
        if needs.udp {
            analyzers.push(Box::new(UdpAnalyzer::new(
                options.tcp.max_connections,
                memcap.udp(),
                udp_observers,
            )));
        }
        let udp_streams = options
            .filter
            .as_ref()
            .is_some_and(Filter::needs_streams)
            .then(UdpNumbers::default);
        let pipeline = Pipeline {
            decoder: Decoder::new(options.defrag),
            options,
            stats: Stats::default(),
            tcp: None,
            analyzers,
            udp_streams,
        };
        (pipeline, tcp)
    }

    /// Processes one frame. Returns its list line when listing is on and the filter matched.
    pub fn push(&mut self, frame: &Frame<'_>) -> Option<ListedPacket> {
        let mut decoder = std::mem::take(&mut self.decoder);
        let listed = decoder.decode(frame, |packet| self.push_decoded(packet));
        self.decoder = decoder;
        listed
    }

    /// Processes one frame decoded already (several pipelines may share one decode).
    pub fn push_decoded(&mut self, packet: &Packet<'_>) -> Option<ListedPacket> {
        let matched = self.observe(packet);
        let frame = self.stats.packets;
        let segment = self
            .tcp
            .as_mut()
            .and_then(|t| t.on_packet(packet, frame, matched));
        let listed = matched && self.options.list;
        let mut notes = PacketNotes::default();
        for analyzer in &mut self.analyzers {
            analyzer.packet(packet, matched, listed.then_some(&mut notes));
        }
        if listed {
            let first = self.stats.first_ts.unwrap_or(packet.ts);
            let rel = signed_nanos(packet.ts) - signed_nanos(first);
            Some(list::describe(
                self.stats.packets,
                rel,
                packet,
                segment.as_ref(),
                &notes.dns,
                &self.options.dns.ports,
            ))
        } else {
            None
        }
    }

    /// Counts and filters one decoded packet; true when the filter matched.
    fn observe(&mut self, packet: &Packet<'_>) -> bool {
        let stats = &mut self.stats;
        stats.packets += 1;
        stats.first_ts.get_or_insert(packet.ts);
        stats.last_ts = Some(packet.ts);
        match &packet.status {
            Status::Ok => {}
            Status::Truncated => stats.truncated += 1,
            Status::Malformed(reason) => {
                stats.malformed += 1;
                let reason = if stats.malformed_reasons.len() < MAX_REASONS
                    || stats.malformed_reasons.contains_key(reason)
                {
                    reason.clone()
                } else {
                    "other".to_string()
                };
                *stats.malformed_reasons.entry(reason).or_default() += 1;
            }
        }
        let matched = match &self.options.filter {
            None => true,
            Some(f) => {
                let streams = match &mut self.udp_streams {
                    None => Streams::default(),
                    Some(udp) => {
                        let segment = self
                            .tcp
                            .as_ref()
                            .and_then(|t| t.peek(packet, stats.packets));
                        let mut streams = Streams {
                            tcp: segment.map(|s| s.stream),
                            tcp_event: segment.map(|s| s.event),
                            ..Streams::default()
                        };
                        udp.number(packet, &mut streams);
                        streams
                    }
                };
                let first = stats.first_ts.unwrap_or(packet.ts);
                let relative = signed_nanos(packet.ts) - signed_nanos(first);
                let context = Context {
                    streams,
                    number: u32::try_from(stats.packets).ok(),
                    time_relative: i64::try_from(relative).ok(),
                };
                f.matches_in(packet, &context)
            }
        };
        if matched {
            stats.matched += 1;
        }
        matched
    }

    /// Frames the filter matched so far.
    pub fn matched(&self) -> u64 {
        self.stats.matched
    }

    /// Matched connections that have ended so far (FIN both ways, or RST).
    pub fn ended_connections(&self) -> usize {
        self.tcp.as_ref().map_or(0, TcpAnalyzer::ended)
    }

    /// Ends the capture and returns what was found.
    pub fn finish(mut self) -> Analysis {
        let tcp = self.tcp.take().map(TcpAnalyzer::finish);
        let fragments = self.decoder.fragment_stats();
        self.finish_with(tcp, fragments, Found::default())
    }

    /// Ends the capture with a TCP analysis made elsewhere (see [`replay`]), the counts of the
    /// decoder that fed the pipeline, and what analyzers that ran elsewhere `found` already.
    fn finish_with(
        mut self,
        tcp: Option<TcpAnalysis>,
        fragments: DefragStats,
        mut found: Found,
    ) -> Analysis {
        self.stats.fragments = fragments;
        for analyzer in self.analyzers {
            analyzer.finish_into(&mut found);
        }
        let (tcp_ran, dns_ran, udp_ran) = (tcp.is_some(), found.dns.is_some(), found.udp.is_some());
        let mut udp = found.udp.unwrap_or_default();
        let tcp = tcp.unwrap_or_default();
        let mut dns = found.dns.unwrap_or_default();
        let mut observed = Vec::new();
        let mut messages = None;
        let mut http = None;
        let mut tls = None;
        let mut follow = None;
        let checks_observed = tcp
            .observed
            .into_iter()
            .chain(std::mem::take(&mut dns.observed))
            .chain(std::mem::take(&mut udp.observed));
        for (index, o) in checks_observed {
            match o {
                Observation::Messages(m) if index == MESSAGES => {
                    observed.extend(m.observed);
                    messages = Some(m.analysis);
                }
                Observation::Http(h) if index == HTTP => {
                    observed.extend(h.observed);
                    http = Some(h.analysis);
                }
                Observation::Follow(f) if index == FOLLOW => follow = Some(f),
                Observation::Tls(t) if index == TLS => {
                    observed.extend(t.observed);
                    tls = Some(t.analysis);
                }
                o => observed.push((index, o)),
            }
        }
        Analysis {
            stats: self.stats,
            ran: Needs {
                tcp: tcp_ran,
                dns: dns_ran,
                messages: messages.is_some(),
                udp: udp_ran,
                http: http.is_some(),
                tls: tls.is_some(),
            },
            connections: tcp.connections,
            tcp: tcp.totals,
            dns,
            messages: messages.unwrap_or_default(),
            http: http.unwrap_or_default(),
            tls: tls.unwrap_or_default(),
            follow,
            udp,
            observed,
            memcap: self.options.memcap,
        }
    }
}

/// Reads the capture at `path` once and runs one pipeline per entry of `views` over it (each
/// graded task of a machine is a view with its own filter and checks). Frames are decoded once
/// for all of them. Returns the analyses of the frames read, and the error that stopped the
/// file, if any. One view without a packet list runs on several threads (see [`replay`]).
pub fn analyse_file(
    path: &Path,
    views: &[PipelineOptions],
) -> (Vec<Analysis>, Result<(), SourceError>) {
    match FileSource::open(path) {
        Ok(mut source) => analyse_source(&mut source, views),
        Err(e) => {
            let empty = views.iter().cloned().map(|o| Pipeline::new(o).finish());
            (empty.collect(), Err(e))
        }
    }
}

/// [`analyse_file`] over a source opened already (standard input, a stream, a limited one).
pub fn analyse_source(
    source: &mut FileSource,
    views: &[PipelineOptions],
) -> (Vec<Analysis>, Result<(), SourceError>) {
    if let [only] = views {
        // A filter on tcp.stream needs the TCP analysis on this thread.
        let streams = only.filter.as_ref().is_some_and(Filter::needs_streams);
        if !only.list && !streams {
            let (analysis, read) = replay(source, only.clone());
            return (vec![analysis], read);
        }
    }
    let mut pipelines: Vec<Pipeline> = views.iter().cloned().map(Pipeline::new).collect();
    let limits = views.first().map(|v| v.defrag).unwrap_or_default();
    let mut decoder = Decoder::new(limits);
    let read = source.for_each_frame(&mut |frame| {
        decoder.decode(&frame, |packet| {
            for pipeline in &mut pipelines {
                pipeline.push_decoded(packet);
            }
        });
        ControlFlow::Continue(())
    });
    let fragments = decoder.fragment_stats();
    let analyses = pipelines
        .into_iter()
        .map(|mut p| {
            let tcp = p.tcp.take().map(TcpAnalyzer::finish);
            p.finish_with(tcp, fragments, Found::default())
        })
        .collect();
    (analyses, read)
}

/// Nanoseconds since the epoch as a signed number, so differences may be negative.
pub fn signed_nanos(ts: Duration) -> i128 {
    ts.as_nanos() as i128
}
