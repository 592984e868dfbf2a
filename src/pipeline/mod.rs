//! The one pipeline both sources feed: decode → filter → analyzers, frame by frame.
//! Pure: it neither reads nor prints; the caller hands frames in and gets plain data out.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::analysis::dns::{DnsAnalysis, DnsAnalyzer, DnsConfig};
use crate::analysis::tcp::{Connection, TcpAnalysis, TcpAnalyzer, TcpConfig, TcpTotals};
use crate::filter::Filter;
use crate::report::list::{self, ListedPacket};
use crate::source::Frame;
use crate::wire::{self, Packet, Status};

mod parallel;

pub use parallel::replay;

/// How many distinct malformed-packet reasons are kept (the rest are counted as "other").
const MAX_REASONS: usize = 16;

/// What the pipeline is asked to do.
#[derive(Clone, Debug, Default)]
pub struct PipelineOptions {
    /// The display filter, if any.
    pub filter: Option<Filter>,
    /// TCP analysis limits and expected texts.
    pub tcp: TcpConfig,
    /// DNS ports and limits.
    pub dns: DnsConfig,
    /// Produce a line per matched packet.
    pub list: bool,
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
    /// Time of the first frame.
    pub first_ts: Option<Duration>,
    /// Time of the last frame.
    pub last_ts: Option<Duration>,
}

/// Everything the analysis found, for reports and checks.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// Packet counts.
    pub stats: Stats,
    /// The first TCP connections with a matched packet, in detail, by stream index.
    pub connections: Vec<Connection>,
    /// Totals over every TCP connection with a matched packet.
    pub tcp: TcpTotals,
    /// DNS transactions with a matched packet, and DNS message counts.
    pub dns: DnsAnalysis,
}

/// The pipeline's state over one capture.
pub struct Pipeline {
    options: PipelineOptions,
    stats: Stats,
    tcp: TcpAnalyzer,
    dns: DnsAnalyzer,
}

impl Pipeline {
    /// A pipeline for one capture.
    pub fn new(options: PipelineOptions) -> Pipeline {
        Pipeline {
            tcp: TcpAnalyzer::new(options.tcp.clone()),
            dns: DnsAnalyzer::new(options.dns.clone()),
            options,
            stats: Stats::default(),
        }
    }

    /// Processes one frame. Returns its list line when listing is on and the filter matched.
    pub fn push(&mut self, frame: &Frame<'_>) -> Option<ListedPacket> {
        self.observe(frame, |this, packet, matched| {
            let segment = this.tcp.on_packet(packet, matched);
            let dns = this.dns.on_packet(packet, matched);
            if matched && this.options.list {
                let first = this.stats.first_ts.unwrap_or(frame.ts);
                let rel = signed_nanos(frame.ts) - signed_nanos(first);
                Some(list::describe(
                    this.stats.packets,
                    rel,
                    packet,
                    segment.as_ref(),
                    &dns,
                ))
            } else {
                None
            }
        })
    }

    /// Counts, decodes and filters one frame, then hands the packet (decoded in place, not
    /// moved) and whether it matched to `then`.
    fn observe<'a, R>(
        &mut self,
        frame: &Frame<'a>,
        then: impl FnOnce(&mut Self, &Packet<'a>, bool) -> R,
    ) -> R {
        let stats = &mut self.stats;
        stats.packets += 1;
        stats.first_ts.get_or_insert(frame.ts);
        stats.last_ts = Some(frame.ts);
        let mut packet = Packet::undecoded(frame);
        wire::decode_into(frame, &mut packet, true);
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
        let matched = self
            .options
            .filter
            .as_ref()
            .is_none_or(|f| f.matches(&packet));
        if matched {
            stats.matched += 1;
        }
        then(self, &packet, matched)
    }

    /// Frames the filter matched so far.
    pub fn matched(&self) -> u64 {
        self.stats.matched
    }

    /// Matched connections that have ended so far (FIN both ways, or RST).
    pub fn ended_connections(&self) -> usize {
        self.tcp.ended()
    }

    /// Ends the capture and returns what was found.
    pub fn finish(mut self) -> Analysis {
        let tcp = std::mem::take(&mut self.tcp).finish();
        self.finish_with(tcp)
    }

    /// Ends the capture with a TCP analysis made elsewhere (see [`replay`]).
    fn finish_with(self, tcp: TcpAnalysis) -> Analysis {
        Analysis {
            stats: self.stats,
            connections: tcp.connections,
            tcp: tcp.totals,
            dns: self.dns.finish(),
        }
    }
}

/// Nanoseconds since the epoch as a signed number, so differences may be negative.
pub fn signed_nanos(ts: Duration) -> i128 {
    ts.as_nanos() as i128
}
