//! Replay on two cores: this thread reads, decodes, filters, analyses DNS and keys each TCP
//! segment for the connection table; a second one runs the TCP analysis, fed in batches of
//! segments whose payloads are copied into the batch.
//! The results are the same as [`Pipeline::push`] frame by frame (a test holds them equal); it
//! is for reports without a packet list, which needs each segment's analysis in frame order.

use std::ops::{ControlFlow, Range};
use std::sync::mpsc;
use std::time::Duration;

use super::side::{self, SideBatch};
use super::{Analysis, Pipeline, PipelineOptions};
use crate::analysis::tcp::SegmentKey;
use crate::source::{FileSource, SourceError};
use crate::wire::{Packet, Status, Tcp, Transport};

/// Segments per batch.
const BATCH: usize = 2048;
/// Batches in flight between the threads.
const IN_FLIGHT: usize = 4;

/// A TCP segment as the analyzer needs it, its payload in the batch's byte buffer.
struct Segment {
    key: SegmentKey,
    ts: Duration,
    tcp: Tcp<'static>,
    payload: Range<usize>,
    option_bytes: Range<usize>,
    frame: u64,
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
        let options = self.bytes.len();
        self.bytes.extend_from_slice(tcp.option_bytes);
        self.segments.push(Segment {
            key,
            ts: packet.ts,
            tcp: Tcp {
                payload: &[],
                option_bytes: &[],
                ..tcp.clone()
            },
            payload: start..options,
            option_bytes: options..self.bytes.len(),
            frame,
            matched,
        });
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
        return (front.finish_with(None, fragments), read);
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
                side
            })
        });
        let worker = scope.spawn(move || {
            for mut batch in full_rx {
                for s in &batch.segments {
                    // The analyzer takes the addresses from the key: no IP header is rebuilt.
                    let packet = Packet {
                        ts: s.ts,
                        frame_len: 0,
                        cap_len: 0,
                        interface: None,
                        eth: None,
                        packet_type: None,
                        ether_type: None,
                        ip: None,
                        frame_data: &[],
                        ip_header: &[],
                        transport: Transport::Tcp(Tcp {
                            payload: &batch.bytes[s.payload.clone()],
                            option_bytes: &batch.bytes[s.option_bytes.clone()],
                            ..s.tcp.clone()
                        }),
                        status: Status::Ok,
                        ip_fragment: None,
                        other_layers: Vec::new(),
                    };
                    tcp.on_keyed(&packet, s.key, s.frame, s.matched);
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
            if side_batch.len() >= side::BATCH {
                let next = side_empty_rx.try_recv().unwrap_or_default();
                if side_tx
                    .send(std::mem::replace(&mut side_batch, next))
                    .is_err()
                {
                    worker_gone = true;
                    return ControlFlow::Break(());
                }
            }
            if batch.segments.len() >= BATCH {
                let next = empty_rx.try_recv().unwrap_or_default();
                if full_tx.send(std::mem::replace(&mut batch, next)).is_err() {
                    worker_gone = true;
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        });
        if !worker_gone {
            let _ = full_tx.send(batch);
            let _ = side_tx.send(side_batch);
        }
        drop((full_tx, side_tx));
        if let Some(side_worker) = side_worker {
            let side = side_worker
                .join()
                .expect("the packet analysis thread panicked");
            front.analyzers.extend(side);
        }
        let tcp = worker.join().expect("the TCP analysis thread panicked");
        (front.finish_with(Some(tcp), decoder.fragment_stats()), read)
    })
}
