//! The packet analyzers that read only a packet's time, IP addresses, transport header and
//! payload (DNS) run beside the reader during a replay without a packet list: the reader
//! copies the packets they want into batches, as it does TCP segments for the TCP thread, and
//! a third thread feeds them. On two cores the scheduler then shares the three threads' work
//! out, where two threads left one core waiting on the busier one.

use std::ops::Range;
use std::time::Duration;

use crate::analysis::analyzer::Analyzer;
use crate::wire::{Ip, Packet, Tcp, Transport, Udp};

/// Packets per batch.
const BATCH: usize = 1024;
/// Payload bytes after which a batch is sent however few its packets (see the TCP batches'
/// `BATCH_BYTES` in `parallel.rs`).
const BATCH_BYTES: usize = 128 << 10;

/// A packet's transport header, its payload (and TCP options) in the batch's bytes.
enum Header {
    Udp(Udp<'static>),
    Tcp(Tcp<'static>, Range<usize>),
}

/// What a transport-only analyzer reads of one packet.
struct Copied {
    ts: Duration,
    ip: Ip,
    header: Header,
    payload: Range<usize>,
    matched: bool,
}

/// Packets copied for the side thread.
#[derive(Default)]
pub struct SideBatch {
    packets: Vec<Copied>,
    bytes: Vec<u8>,
}

impl SideBatch {
    /// Copies `packet`, when it has an IP header and a UDP or TCP one.
    pub fn push(&mut self, packet: &Packet<'_>, matched: bool) {
        let Some(ip) = packet.ip else { return };
        let start = self.bytes.len();
        let header = match &packet.transport {
            Transport::Udp(udp) => {
                self.bytes.extend_from_slice(udp.payload);
                Header::Udp(Udp {
                    payload: &[],
                    ..udp.clone()
                })
            }
            Transport::Tcp(tcp) => {
                self.bytes.extend_from_slice(tcp.payload);
                let options = self.bytes.len();
                self.bytes.extend_from_slice(tcp.option_bytes);
                Header::Tcp(
                    Tcp {
                        payload: &[],
                        option_bytes: &[],
                        ..tcp.clone()
                    },
                    options..self.bytes.len(),
                )
            }
            Transport::None => return,
        };
        let end = match &header {
            Header::Udp(_) => self.bytes.len(),
            Header::Tcp(_, options) => options.start,
        };
        self.packets.push(Copied {
            ts: packet.ts,
            ip,
            header,
            payload: start..end,
            matched,
        });
    }

    /// True when the batch is to be sent: enough packets, or enough bytes.
    pub fn full(&self) -> bool {
        self.packets.len() >= BATCH || self.bytes.len() >= BATCH_BYTES
    }

    /// Feeds every packet of the batch to `analyzers`, then empties it.
    pub fn feed(&mut self, analyzers: &mut [Box<dyn Analyzer>]) {
        for c in &self.packets {
            let payload = &self.bytes[c.payload.clone()];
            let transport = match &c.header {
                Header::Udp(udp) => Transport::Udp(Udp {
                    payload,
                    ..udp.clone()
                }),
                Header::Tcp(tcp, options) => Transport::Tcp(Tcp {
                    payload,
                    option_bytes: &self.bytes[options.clone()],
                    ..tcp.clone()
                }),
            };
            let packet = Packet::transport_only(c.ts, c.ip, transport);
            for analyzer in analyzers.iter_mut() {
                analyzer.packet(&packet, c.matched, None);
            }
        }
        self.packets.clear();
        self.bytes.clear();
    }
}
