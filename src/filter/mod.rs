//! Wireshark-style display filters: one parser, two back ends — an in-process matcher for
//! decoded packets and a translation to a libpcap (BPF) expression for the kernel.

mod bpf;
mod fields;
mod lexer;
mod matcher;
mod parser;
mod pattern;
mod stream_fields;

use std::fmt;

pub use bpf::Bpf;
pub use fields::{Field, Kind, Values, NAMES as FIELD_NAMES};
pub use matcher::in_net;

use crate::analysis::tcp::Event;
use crate::wire::{DnsPorts, Packet};

/// A syntax or type error in a filter, at a 1-based column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    /// Where the problem starts.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl FilterError {
    fn new(column: usize, message: impl Into<String>) -> FilterError {
        FilterError {
            column,
            message: message.into(),
        }
    }

    /// The filter text, a caret under the column, and the message: for a terminal, so control
    /// characters in the text are escaped (and the caret moved along with them).
    pub fn explain(&self, text: &str) -> String {
        use crate::report::escape::escape_text;
        let before: String = text.chars().take(self.column.saturating_sub(1)).collect();
        format!(
            "{}\n{}^ {}",
            escape_text(text),
            " ".repeat(escape_text(&before).chars().count()),
            escape_text(&self.message)
        )
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for FilterError {}

/// What the analyzers say of a packet before the filter decides: its `tcp.stream` and
/// `udp.stream`, and the TCP analysis of its segment (`tcp.analysis.*`, `tcp.window_size`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Streams {
    /// Its TCP connection's `tcp.stream`.
    pub tcp: Option<u32>,
    /// Its UDP conversation's `udp.stream`.
    pub udp: Option<u32>,
    /// Its TCP segment as the analysis sees it.
    pub tcp_event: Option<Event>,
    /// The `udp.stream` of the UDP headers of its other layers (the tunnels it came through,
    /// an ICMP error's quote), in layer order: Wireshark's `udp.stream` has an occurrence per
    /// UDP header.
    pub layer_udp: [Option<u32>; crate::wire::tunnel::MAX_DEPTH as usize + 2],
}

/// What the pipeline knows of a packet beyond its bytes: its stream numbers and its place in
/// the capture (`frame.number`, `frame.time_relative`). Fields it does not know never match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// Its stream numbers.
    pub streams: Streams,
    /// Its frame number, 1 for the capture's first.
    pub number: Option<u32>,
    /// Nanoseconds since the capture's first frame.
    pub time_relative: Option<i64>,
}

/// A parsed display filter.
#[derive(Clone, Debug)]
pub struct Filter {
    text: String,
    expr: parser::Expr,
    dns_ports: DnsPorts,
}

impl Filter {
    /// Parses Wireshark display-filter syntax (the subset in [`FIELD_NAMES`]).
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        Ok(Filter {
            text: text.to_string(),
            expr: parser::parse(text)?,
            dns_ports: DnsPorts::default(),
        })
    }

    /// The filter with `ports` decoded as DNS by its `dns` fields (53 alone by default).
    pub fn with_dns_ports(self, ports: DnsPorts) -> Filter {
        Filter {
            dns_ports: ports,
            ..self
        }
    }

    /// The text the filter was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// True when `packet` matches (tests of `tcp.stream`, `udp.stream`, `tcp.analysis.*`,
    /// `tcp.window_size`, `frame.number` and `frame.time_relative` never do: they need
    /// [`Filter::matches_in`]).
    pub fn matches(&self, packet: &Packet<'_>) -> bool {
        matcher::matches(&self.expr, packet, &self.dns_ports, &Context::default())
    }

    /// True when `packet`, of the streams numbered `streams`, matches.
    pub fn matches_with(&self, packet: &Packet<'_>, streams: Streams) -> bool {
        self.matches_in(
            packet,
            &Context {
                streams,
                ..Context::default()
            },
        )
    }

    /// True when `packet`, of which the pipeline knows `context`, matches.
    pub fn matches_in(&self, packet: &Packet<'_>, context: &Context) -> bool {
        matcher::matches(&self.expr, packet, &self.dns_ports, context)
    }

    /// True when the filter tests `tcp.stream`, `udp.stream`, `tcp.analysis.*` or
    /// `tcp.window_size`: the pipeline must number the streams and analyse each TCP segment
    /// before it filters.
    pub fn needs_streams(&self) -> bool {
        matcher::uses(&self.expr, &|f| f.is_analysed())
    }

    /// The libpcap expression for the kernel: exact, or a superset the matcher refines (none
    /// at all, every packet, for a filter of more than 256 field tests).
    pub fn to_bpf(&self) -> Bpf {
        bpf::translate(&self.expr, &self.dns_ports)
    }

    /// The filter live capture installs: [`Filter::to_bpf`] widened by what can carry the
    /// filter's packets where the kernel cannot look — IP fragments after the first, ICMP
    /// errors quoting a packet, VXLAN, Geneve and GRE tunnels — which labcap reassembles,
    /// reads and unwraps before the display filter decides.
    pub fn to_kernel_bpf(&self) -> Bpf {
        match self.to_bpf().expr {
            Some(expr) => Bpf {
                expr: Some(format!("({expr}) or {CARRIERS}")),
                exact: false,
            },
            None => Bpf {
                expr: None,
                exact: false,
            },
        }
    }
}

/// Frames that may carry a packet inside them (see [`Filter::to_kernel_bpf`]).
const CARRIERS: &str = "(ip and ip[6:2] & 0x3fff != 0) or (ip6 and ip6[6] == 44) or icmp or icmp6 \
     or (udp and (port 4789 or port 6081)) or (ip and ip[9] == 47) or (ip6 and ip6[6] == 47)";
