//! One TCP connection: both directions' sequence state, reassembly, echo check, Zeek state,
//! counters and the bounded list of events.

use std::time::Duration;

use super::reassembly::{EchoCheck, Reassembler, StreamScan};
use super::sequence::{self, Findings, Segment, SequenceState};
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
    /// Relative numbering base (the ISN, or one before the first sequence number seen).
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
    syn_time: Option<Duration>,
    synack_seen: bool,
    first_rtt: Option<Duration>,
}

impl Connection {
    /// A new connection whose first packet goes from `client` to `server`.
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
            syn_time: None,
            synack_seen: false,
            first_rtt: None,
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
        // The box, its slot in the table (a key and a pointer) and in the set of established
        // connections.
        std::mem::size_of::<Connection>()
            + ALLOCATION
            + slot::<([u64; 6], usize)>()
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

    /// Analyses one segment and returns its event; keeps the event when `record` (and the
    /// per-connection limit allows).
    pub fn on_segment(
        &mut self,
        dir: Direction,
        tcp: &Tcp<'_>,
        ts: Duration,
        matched: bool,
        record: bool,
        config: &TcpConfig,
        observers: &mut Observers,
    ) -> Event {
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
        if syn {
            fwd.syn = true;
            if fwd.wscale.is_none() {
                fwd.wscale = Some(tcp.options().wscale.map(|s| s.min(14)));
            }
        }
        fwd.fin |= flags.has(TcpFlags::FIN);
        fwd.rst |= flags.has(TcpFlags::RST);
        let base = *fwd.base.get_or_insert(if syn {
            tcp.seq
        } else {
            tcp.seq.wrapping_sub(1)
        });
        let seq = tcp.seq.wrapping_sub(base);
        let ack = match (ack_flag, rev.base) {
            (true, Some(rev_base)) => tcp.ack.wrapping_sub(rev_base),
            (true, None) => tcp.ack,
            (false, _) => 0,
        };
        let win = match (syn, fwd.wscale, rev.wscale) {
            (false, Some(Some(own)), Some(Some(_))) => u32::from(tcp.window) << own,
            _ => u32::from(tcp.window),
        };
        let segment = Segment {
            ts,
            seq,
            ack,
            len: tcp.len,
            syn,
            fin: flags.has(TcpFlags::FIN),
            rst: flags.has(TcpFlags::RST),
            window: win,
        };
        let findings = sequence::analyse(&mut fwd.seq, &rev.seq, &segment, self.first_rtt);

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
            Direction::ClientToServer if syn && !ack_flag => {
                self.syn_time.get_or_insert(ts);
            }
            Direction::ServerToClient if syn && ack_flag => self.synack_seen = true,
            Direction::ClientToServer
                if ack_flag && !syn && self.synack_seen && self.c2s.syn && !self.handshake =>
            {
                self.handshake = true;
                self.first_rtt = self.syn_time.map(|t| ts.saturating_sub(t));
            }
            _ => {}
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

        let event = Event {
            ts,
            dir,
            flags,
            seq,
            ack,
            len: tcp.len,
            win,
            findings,
        };
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
