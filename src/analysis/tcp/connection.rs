//! One TCP connection: both directions' sequence state, reassembly, echo check, Zeek state,
//! counters and the bounded list of events.

use std::time::Duration;

use super::reassembly::{EchoCheck, Reassembler, StreamScan};
use super::sequence::{self, DupAck, Findings, Segment, SequenceState, Verdict};
use super::state::ZeekState;
use super::{Direction, Endpoint, TcpConfig};
use crate::analysis::observer::{Observers, StreamCtx};
use crate::wire::{Tcp, TcpFlags};

/// One packet of a connection, with numbers as Wireshark shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// Capture time.
    pub ts: Duration,
    /// Who sent it.
    pub dir: Direction,
    /// Flag bits.
    pub flags: TcpFlags,
    /// Relative sequence number.
    pub seq: u32,
    /// Relative acknowledgment number (0 without ACK).
    pub ack: u32,
    /// Payload length.
    pub len: u32,
    /// Calculated (scaled) window.
    pub win: u32,
    /// Wireshark's analysis findings.
    pub findings: Findings,
    /// For a duplicate ACK, which one it is.
    pub dup_ack: Option<DupAck>,
}

/// Where a segment stands in the capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Its frame number.
    pub frame: u64,
    /// Its capture time.
    pub ts: Duration,
}

/// How a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Close {
    /// A FIN was seen (and no RST).
    Fin,
    /// A RST was seen.
    Rst,
    /// Neither.
    None,
}

impl Close {
    /// `fin`, `rst` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Close::Fin => "fin",
            Close::Rst => "rst",
            Close::None => "none",
        }
    }
}

/// One direction's state.
#[derive(Clone, Debug, Default)]
pub struct Half {
    /// Relative numbering base: the ISN, or one before the first sequence number this side
    /// sent, or one before the first acknowledgment number the other side sent, whichever
    /// came first (Wireshark's `base_seq`).
    base: Option<u32>,
    seq: SequenceState,
    reassembly: Reassembler,
    /// The first bytes this direction sent.
    pub scan: StreamScan,
    /// Window scale from this side's SYN: `Some(None)` = SYN without the option.
    wscale: Option<Option<u8>>,
    /// A SYN was sent.
    pub syn: bool,
    /// A FIN was sent.
    pub fin: bool,
    /// A RST was sent.
    pub rst: bool,
    /// Packets sent.
    pub packets: u64,
}

impl Half {
    /// Unique payload bytes delivered in order.
    pub fn bytes(&self) -> u64 {
        self.reassembly.delivered()
    }

    /// Payload bytes never seen (holes, snaplen cuts).
    pub fn missing(&self) -> u64 {
        self.reassembly.missing()
    }

    /// Buffered bytes (out-of-order segments, the preview) for the memory cap.
    fn buffered(&self) -> usize {
        self.reassembly.buffered() + self.scan.preview.capacity()
    }
}

/// A TCP connection and what was learnt about it.
#[derive(Clone, Debug)]
pub struct Connection {
    /// Wireshark's `tcp.stream` index.
    pub stream: u32,
    /// Sender of the first SYN (or the guess for a connection seen mid-way).
    pub client: Endpoint,
    /// The other side.
    pub server: Endpoint,
    /// Time of the first packet.
    pub start: Duration,
    /// Time of the last packet.
    pub end: Duration,
    /// Client to server.
    pub c2s: Half,
    /// Server to client.
    pub s2c: Half,
    /// Zeek state and history.
    pub zeek: ZeekState,
    /// SYN, SYN-ACK and the ACK completing the handshake were seen.
    pub handshake: bool,
    /// Segments Wireshark flags as retransmissions (any kind).
    pub retransmissions: u64,
    /// Segments flagged out of order.
    pub out_of_order: u64,
    /// Segments after a hole the capture missed.
    pub lost_segments: u64,
    /// Duplicate ACKs.
    pub dup_acks: u64,
    /// Zero-window advertisements.
    pub zero_windows: u64,
    /// The first events, up to the configured limit.
    pub events: Vec<Event>,
    /// Events past the limit, counted only.
    pub events_dropped: u64,
    /// The first bytes of each recorded event's payload, by the event's index, when
    /// `TcpConfig::segment_preview` asks for them (see [`Connection::event_payload`]).
    pub event_payloads: Vec<Box<[u8]>>,
    /// Some packet of this connection matched the filter.
    pub matched: bool,
    /// Closed early to stay within the memory cap: its later packets, if any, started a new
    /// connection, and its checks cannot be decided.
    pub evicted: bool,
    /// Bytes held by `event_payloads`.
    event_payload_bytes: usize,
    echo: EchoCheck,
    /// The client is the low side of the table's key (set by the analyzer).
    pub(super) client_is_low: bool,
    synack_seen: bool,
    first_rtt: Option<Duration>,
    /// The time of the last SYN without ACK, from which the first round trip is measured.
    last_syn: Option<Duration>,
    /// This connection's SYN started over a 4-tuple used before with another initial sequence
    /// number (set by the analyzer; its first segment is flagged `reused_ports`).
    pub(super) reuses_ports: bool,
}

/// A segment's numbers as Wireshark shows them, before it is analysed.
struct Numbered {
    /// The sender's numbering base.
    fwd_base: u32,
    /// The receiver's numbering base, if known now.
    rev_base: Option<u32>,
    /// The sender's window scale, once its SYN is seen.
    fwd_wscale: Option<Option<u8>>,
    /// The segment with relative numbers and its window.
    segment: Segment,
}

impl Connection {
    /// A new connection whose first packet goes from `client` to `server`.
    #[inline]
    pub fn new(stream: u32, client: Endpoint, server: Endpoint, ts: Duration) -> Connection {
        Connection {
            stream,
            client,
            server,
            start: ts,
            end: ts,
            c2s: Half::default(),
            s2c: Half::default(),
            zeek: ZeekState::default(),
            handshake: false,
            retransmissions: 0,
            out_of_order: 0,
            lost_segments: 0,
            dup_acks: 0,
            zero_windows: 0,
            events: Vec::new(),
            events_dropped: 0,
            event_payloads: Vec::new(),
            matched: false,
            evicted: false,
            event_payload_bytes: 0,
            echo: EchoCheck::default(),
            client_is_low: false,
            synack_seen: false,
            first_rtt: None,
            last_syn: None,
            reuses_ports: false,
        }
    }

    /// The first payload bytes of `events[index]` that were kept (none unless
    /// `TcpConfig::segment_preview` asked for them; fewer than its length when cut).
    pub fn event_payload(&self, index: usize) -> &[u8] {
        self.event_payloads.get(index).map_or(&[], |p| p)
    }

    /// The bytes this connection holds, for the memory cap: its own size, its buffers'
    /// capacity and the events it recorded.
    pub fn mem_bytes(&self) -> usize {
        use crate::analysis::memory::{slot, ALLOCATION};
        // The box, its place in the table and in the set of established connections.
        std::mem::size_of::<Connection>()
            + ALLOCATION
            + super::table::Table::PLACE
            + slot::<(u32, super::ConnRef)>()
            + self.c2s.buffered()
            + self.s2c.buffered()
            + self.echo.buffered()
            + self.events.capacity() * std::mem::size_of::<Event>()
            + self.event_payload_bytes
    }

    /// Packets in both directions.
    pub fn packets(&self) -> u64 {
        self.c2s.packets + self.s2c.packets
    }

    /// How it ended.
    pub fn close(&self) -> Close {
        if self.c2s.rst || self.s2c.rst {
            Close::Rst
        } else if self.c2s.fin || self.s2c.fin {
            Close::Fin
        } else {
            Close::None
        }
    }

    /// The server sent its FIN before the client did (Zeek's history has `f` before `F`).
    pub fn server_closed_first(&self) -> bool {
        let h = self.zeek.history.as_str();
        match (h.find('f'), h.find('F')) {
            (Some(server), Some(client)) => server < client,
            (Some(_), None) => true,
            _ => false,
        }
    }

    /// The connection is over: a FIN from both sides, or a RST.
    pub fn ended(&self) -> bool {
        (self.c2s.fin && self.s2c.fin) || self.c2s.rst || self.s2c.rst
    }

    /// The client's SYN was answered by a RST without a SYN-ACK.
    pub fn refused(&self) -> bool {
        self.c2s.syn && !self.synack_seen && self.s2c.rst
    }

    /// The client's SYN got no answer at all (no SYN-ACK, no RST).
    pub fn unanswered(&self) -> bool {
        self.c2s.syn && !self.synack_seen && !self.s2c.rst && self.s2c.packets == 0
    }

    /// The server sent back exactly the bytes the client sent (and some were sent).
    pub fn echo(&self) -> bool {
        self.echo.complete() && self.c2s.missing() == 0 && self.s2c.missing() == 0
    }

    /// True when a SYN with sequence number `seq` starts a new connection on this 4-tuple, as
    /// Wireshark decides for `tcp.stream`: a SYN with another initial sequence number than the
    /// client's, or, when no client SYN was seen, any SYN after a FIN or RST. A SYN with the
    /// same number is a retransmission.
    pub fn restarted_by(&self, flags: TcpFlags, seq: u32) -> bool {
        if !flags.has(TcpFlags::SYN) || flags.has(TcpFlags::ACK) {
            return false;
        }
        match (self.c2s.syn, self.c2s.base) {
            (true, Some(isn)) => isn != seq,
            _ => self.c2s.fin || self.s2c.fin || self.c2s.rst || self.s2c.rst,
        }
    }

    /// The relative numbers and window of a segment going `dir`, and the bases they use (the
    /// sender's is set by its first segment, the receiver's by the first ACK if not before).
    #[inline]
    fn number(&self, dir: Direction, tcp: &Tcp<'_>, at: Stamp) -> Numbered {
        let (fwd, rev) = match dir {
            Direction::ClientToServer => (&self.c2s, &self.s2c),
            Direction::ServerToClient => (&self.s2c, &self.c2s),
        };
        let syn = tcp.flags.has(TcpFlags::SYN);
        let ack_flag = tcp.flags.has(TcpFlags::ACK);
        let fwd_base = fwd.base.unwrap_or(if syn {
            tcp.seq
        } else {
            tcp.seq.wrapping_sub(1)
        });
        let rev_base = rev.base.or(ack_flag.then(|| tcp.ack.wrapping_sub(1)));
        let fwd_wscale = match (syn, fwd.wscale) {
            (true, None) => Some(tcp.options().wscale.map(|s| s.min(14))),
            (_, known) => known,
        };
        let window = match (syn, fwd_wscale, rev.wscale) {
            (false, Some(Some(own)), Some(Some(_))) => u32::from(tcp.window) << own,
            _ => u32::from(tcp.window),
        };
        Numbered {
            fwd_base,
            rev_base,
            fwd_wscale,
            segment: Segment {
                frame: at.frame,
                ts: at.ts,
                seq: tcp.seq.wrapping_sub(fwd_base),
                ack: rev_base
                    .filter(|_| ack_flag)
                    .map(|base| tcp.ack.wrapping_sub(base)),
                len: tcp.len,
                syn,
                fin: tcp.flags.has(TcpFlags::FIN),
                rst: tcp.flags.has(TcpFlags::RST),
                window,
                scale_known: rev.wscale.is_some(),
            },
        }
    }

    /// `reused_ports` for this connection's first segment when it reuses a 4-tuple.
    fn reused_flag(&self) -> u16 {
        if self.reuses_ports && self.packets() == 0 {
            Findings::REUSED_PORTS
        } else {
            0
        }
    }

    /// The event [`Connection::on_segment`] would return for this segment, without changing
    /// anything (for filters that test the analysis before the packet is analysed).
    pub fn peek(&self, dir: Direction, tcp: &Tcp<'_>, at: Stamp) -> Event {
        let numbered = self.number(dir, tcp, at);
        let (mut fwd, mut rev) = match dir {
            Direction::ClientToServer => (self.c2s.seq.clone(), self.s2c.seq.clone()),
            Direction::ServerToClient => (self.s2c.seq.clone(), self.c2s.seq.clone()),
        };
        let segment = numbered.segment;
        let verdict = sequence::analyse(&mut fwd, &mut rev, &segment, self.first_rtt);
        event_of(dir, tcp, &segment, verdict, self.reused_flag())
    }

    /// True when a restarting SYN with sequence number `seq`, sent from the key's low side when
    /// `from_low`, reuses this connection's ports as Wireshark flags it: its sender had another
    /// numbering base here.
    pub fn reused_by(&self, from_low: bool, seq: u32) -> bool {
        let sender = if from_low == self.client_is_low {
            &self.c2s
        } else {
            &self.s2c
        };
        sender.base.is_some_and(|base| base != seq)
    }

    /// Analyses one segment and returns its event; keeps the event when `record` (and the
    /// per-connection limit allows).
    #[allow(clippy::too_many_arguments)]
    pub fn on_segment(
        &mut self,
        dir: Direction,
        tcp: &Tcp<'_>,
        at: Stamp,
        matched: bool,
        record: bool,
        config: &TcpConfig,
        observers: &mut Observers,
    ) -> Event {
        let numbered = self.number(dir, tcp, at);
        let reused = self.reused_flag();
        let ts = at.ts;
        self.end = ts;
        self.matched |= matched;
        let flags = tcp.flags;
        let syn = flags.has(TcpFlags::SYN);
        let ack_flag = flags.has(TcpFlags::ACK);
        let (fwd, rev) = match dir {
            Direction::ClientToServer => (&mut self.c2s, &mut self.s2c),
            Direction::ServerToClient => (&mut self.s2c, &mut self.c2s),
        };
        fwd.packets += 1;
        fwd.syn |= syn;
        fwd.wscale = numbered.fwd_wscale;
        fwd.fin |= flags.has(TcpFlags::FIN);
        fwd.rst |= flags.has(TcpFlags::RST);
        fwd.base = Some(numbered.fwd_base);
        if numbered.rev_base.is_some() {
            rev.base = numbered.rev_base;
        }
        let segment = numbered.segment;
        let seq = segment.seq;
        let verdict = sequence::analyse(&mut fwd.seq, &mut rev.seq, &segment, self.first_rtt);
        let event = event_of(dir, tcp, &segment, verdict, reused);
        let findings = event.findings;

        if syn {
            fwd.reassembly.start_at(seq.wrapping_add(1));
        }
        if tcp.len > 0 && !flags.has(TcpFlags::RST) {
            let ctx = StreamCtx {
                stream: self.stream,
                client: self.client,
                server: self.server,
                ts,
                matched: self.matched,
            };
            let (scan, echo) = (&mut fwd.scan, &mut self.echo);
            fwd.reassembly.push(
                seq,
                tcp.payload,
                tcp.len,
                config.reassembly_limit,
                &mut |data| deliver(&ctx, dir, data, scan, echo, config, observers),
            );
        }

        // Handshake bookkeeping.
        match dir {
            Direction::ServerToClient if syn && ack_flag => self.synack_seen = true,
            Direction::ClientToServer
                if ack_flag && !syn && self.synack_seen && self.c2s.syn && !self.handshake =>
            {
                self.handshake = true;
            }
            _ => {}
        }
        // Wireshark's first round trip: from the last SYN to the first ACK that is no SYN.
        if syn && !ack_flag {
            self.last_syn = Some(ts);
        } else if ack_flag && !syn && self.first_rtt.is_none() {
            self.first_rtt = self.last_syn.map(|t| ts.saturating_sub(t));
        }

        if findings.is_retransmission() {
            self.retransmissions += 1;
        }
        if findings.any(Findings::OUT_OF_ORDER) {
            self.out_of_order += 1;
        }
        if findings.any(Findings::LOST_SEGMENT) {
            self.lost_segments += 1;
        }
        if findings.any(Findings::DUP_ACK) {
            self.dup_acks += 1;
        }
        if findings.any(Findings::ZERO_WINDOW) {
            self.zero_windows += 1;
        }
        self.zeek.on_segment(
            dir == Direction::ClientToServer,
            flags,
            tcp.len > 0,
            findings.is_retransmission(),
            findings.any(Findings::ZERO_WINDOW),
        );

        if matched {
            if record && self.events.len() < config.max_events {
                self.events.push(event);
                if config.segment_preview > 0 {
                    let kept = tcp.payload.len().min(config.segment_preview);
                    self.event_payloads.push(tcp.payload[..kept].into());
                    self.event_payload_bytes += kept + std::mem::size_of::<Box<[u8]>>();
                }
            } else {
                self.events_dropped += 1;
            }
        }
        event
    }

    /// When the connection is done with: delivers what waited behind holes, settles the echo
    /// check and frees the buffers.
    pub fn finish(&mut self, config: &TcpConfig, observers: &mut Observers) {
        let ctx = StreamCtx {
            stream: self.stream,
            client: self.client,
            server: self.server,
            ts: self.end,
            matched: self.matched,
        };
        let echo = &mut self.echo;
        for (dir, half) in [
            (Direction::ClientToServer, &mut self.c2s),
            (Direction::ServerToClient, &mut self.s2c),
        ] {
            let scan = &mut half.scan;
            half.reassembly
                .finish(&mut |data| deliver(&ctx, dir, data, scan, echo, config, observers));
        }
        self.echo.seal();
    }
}

/// The event of an analysed segment; `reused` adds `reused_ports`.
fn event_of(
    dir: Direction,
    tcp: &Tcp<'_>,
    segment: &Segment,
    verdict: Verdict,
    reused: u16,
) -> Event {
    Event {
        ts: segment.ts,
        dir,
        flags: tcp.flags,
        seq: segment.seq,
        ack: segment.ack.unwrap_or(0),
        len: tcp.len,
        win: segment.window,
        findings: Findings(verdict.findings.0 | reused),
        dup_ack: verdict.dup_ack,
    }
}

/// Hands bytes delivered in order in direction `dir` to their consumers: the preview of that
/// direction, the echo check and the observers.
fn deliver(
    ctx: &StreamCtx,
    dir: Direction,
    data: &[u8],
    scan: &mut StreamScan,
    echo: &mut EchoCheck,
    config: &TcpConfig,
    observers: &mut Observers,
) {
    scan.feed(data, config.preview_bytes);
    for (_, o) in observers.iter_mut() {
        o.data(ctx, dir, data);
    }
    match dir {
        Direction::ClientToServer => echo.client(data, config.reassembly_limit),
        Direction::ServerToClient => echo.server(data),
    }
}
