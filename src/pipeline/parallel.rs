//! Replay on several threads: this one reads, decodes, filters, runs the analyzers that need
//! the whole packet and keys each TCP segment for the connection table; a second one runs the
//! TCP analysis, fed in batches of segments whose payloads are copied into the batch; a third
//! one the transport-only analyzers (DNS), fed copies of the packets they want (`side.rs`).
//! The results are the same as [`Pipeline::push`] frame by frame (a test holds them equal); it
//! is for reports without a packet list, which needs each segment's analysis in frame order.

use std::ops::ControlFlow;
use std::sync::mpsc;
use std::time::Duration;

use super::side::SideBatch;
use super::{Analysis, Pipeline, PipelineOptions};
use crate::analysis::analyzer::Found;
use crate::analysis::tcp::SegmentKey;
use crate::source::{FileSource, SourceError};
use crate::wire::{Packet, Tcp, TcpFlags};

/// Segments per batch.
const BATCH: usize = 2048;
/// Batches in flight between the threads: enough that the analysis threads (three threads
/// on what may be two cores) rarely wait for the reader while it waits for the other one.
/// 4 kept the cores 1.6 busy of 2 on the mixed benchmark capture; 16 is 6% faster there (32
/// and 64 are slower again).
const IN_FLIGHT: usize = 16;
/// Payload bytes after which a batch is sent however few its segments: batches of large
/// segments (64 KiB ones on a loopback capture) stay as small as those of small ones, and
/// the batches in flight (each keeps its buffer) hold a few MiB at most.
const BATCH_BYTES: usize = 128 << 10;

/// A TCP segment as the analyzer needs it: its header's fields, its payload and options in
/// the batch's byte buffer (a `Tcp` with empty slices would carry two dead slices).
struct Segment {
    key: SegmentKey,
    ts: Duration,
    frame: u64,
    seq: u32,
    ack: u32,
    len: u32,
    /// Where the payload starts in the batch's bytes; the options follow it.
    start: usize,
    /// Captured payload bytes (a frame's captured length is a u32).
    payload_len: u32,
    src_port: u16,
    dst_port: u16,
    flags: TcpFlags,
    window: u16,
    header_len: u8,
    /// Option bytes (at most 40).
    options_len: u8,
    matched: bool,
}

#[derive(Default)]
struct Batch {
    segments: Vec<Segment>,
    bytes: Vec<u8>,
}

impl Batch {
    fn push(&mut self, packet: &Packet<'_>, frame: u64, matched: bool) {
        let (Some(tcp), Some(key)) = (packet.tcp(), SegmentKey::of(packet)) else {
            return;
        };
        let start = self.bytes.len();
        self.bytes.extend_from_slice(tcp.payload);
        self.bytes.extend_from_slice(tcp.option_bytes);
        self.segments.push(Segment {
            key,
            ts: packet.ts,
            frame,
            seq: tcp.seq,
            ack: tcp.ack,
            len: tcp.len,
            start,
            payload_len: tcp.payload.len() as u32,
            src_port: tcp.src_port,
            dst_port: tcp.dst_port,
            flags: tcp.flags,
            window: tcp.window,
            header_len: tcp.header_len,
            options_len: tcp.option_bytes.len() as u8,
            matched,
        });
    }

    /// Segment `s` as the analyzer takes it, its slices in this batch's bytes.
    fn tcp(&self, s: &Segment) -> Tcp<'_> {
        let options = s.start + s.payload_len as usize;
        Tcp {
            src_port: s.src_port,
            dst_port: s.dst_port,
            seq: s.seq,
            ack: s.ack,
            flags: s.flags,
            window: s.window,
            header_len: s.header_len,
            len: s.len,
            payload: &self.bytes[s.start..options],
            option_bytes: &self.bytes[options..options + usize::from(s.options_len)],
        }
    }

    /// True when the batch is to be sent: enough segments, or enough bytes.
    fn full(&self) -> bool {
        self.segments.len() >= BATCH || self.bytes.len() >= BATCH_BYTES
    }

    fn clear(&mut self) {
        self.segments.clear();
        self.bytes.clear();
    }
}

/// Replays `source` through a pipeline without a packet list, TCP analysis on its own thread.
/// Returns the analysis of the frames read and the error that stopped the file, if any.
pub fn replay(
    source: &mut FileSource,
    options: PipelineOptions,
) -> (Analysis, Result<(), SourceError>) {
    let (mut front, tcp) = Pipeline::split(PipelineOptions {
        list: false,
        ..options
    });
    let Some(mut tcp) = tcp else {
        // Nothing needs TCP: one thread does it all.
        let read = source.for_each_frame(&mut |frame| {
            front.push(&frame);
            ControlFlow::Continue(())
        });
        let fragments = front.decoder.fragment_stats();
        return (front.finish_with(None, fragments, Found::default()), read);
    };
    // Transport-only analyzers (DNS) get a thread of their own, fed copies of what they want.
    let (mut side, mut wants) = (Vec::new(), Vec::new());
    for analyzer in std::mem::take(&mut front.analyzers) {
        match analyzer.copy_filter() {
            Some(filter) => {
                wants.push(filter);
                side.push(analyzer);
            }
            None => front.analyzers.push(analyzer),
        }
    }
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(IN_FLIGHT);
        let (empty_tx, empty_rx) = mpsc::channel::<Batch>();
        let (side_tx, side_rx) = mpsc::sync_channel::<SideBatch>(IN_FLIGHT);
        let (side_empty_tx, side_empty_rx) = mpsc::channel::<SideBatch>();
        let side_worker = (!side.is_empty()).then(|| {
            scope.spawn(move || {
                for mut batch in side_rx {
                    batch.feed(&mut side);
                    let _ = side_empty_tx.send(batch);
                }
                // Finished here, while the TCP thread finishes its own.
                let mut found = Found::default();
                for analyzer in side {
                    analyzer.finish_into(&mut found);
                }
                found
            })
        });
        let worker = scope.spawn(move || {
            for mut batch in full_rx {
                for s in &batch.segments {
                    tcp.on_keyed(&batch.tcp(s), s.ts, s.key, s.frame, s.matched);
                }
                batch.clear();
                // The reader may be gone already; the batch is then simply dropped.
                let _ = empty_tx.send(batch);
            }
            tcp.finish()
        });
        let mut batch = Batch::default();
        let mut side_batch = SideBatch::default();
        let mut worker_gone = false;
        let mut decoder = std::mem::take(&mut front.decoder);
        let read = source.for_each_frame(&mut |frame| {
            decoder.decode(&frame, |packet| {
                let matched = front.observe(packet);
                for analyzer in &mut front.analyzers {
                    analyzer.packet(packet, matched, None);
                }
                if wants.iter().any(|wants| wants(packet)) {
                    side_batch.push(packet, matched);
                }
                batch.push(packet, front.stats.packets, matched);
            });
            let sent = (!side_batch.full() || hand_over(&mut side_batch, &side_tx, &side_empty_rx))
                && (!batch.full() || hand_over(&mut batch, &full_tx, &empty_rx));
            if !sent {
                worker_gone = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        });
        if !worker_gone {
            let _ = full_tx.send(batch);
            let _ = side_tx.send(side_batch);
        }
        drop((full_tx, side_tx));
        let found = side_worker.map_or_else(Found::default, |side| {
            side.join().expect("the packet analysis thread panicked")
        });
        let tcp = worker.join().expect("the TCP analysis thread panicked");
        (
            front.finish_with(Some(tcp), decoder.fragment_stats(), found),
            read,
        )
    })
}

/// Sends a full `batch` to its worker and puts an empty one in its place: one the worker gave
/// back, or a new one. False when the worker is gone.
fn hand_over<B: Default>(
    batch: &mut B,
    full: &mpsc::SyncSender<B>,
    empty: &mpsc::Receiver<B>,
) -> bool {
    let next = empty.try_recv().unwrap_or_default();
    full.send(std::mem::replace(batch, next)).is_ok()
}
