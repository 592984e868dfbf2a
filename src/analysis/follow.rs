//! Following one TCP stream, as `tshark -z follow,tcp,ascii,N` does: the bytes each side
//! delivered in order, chunk by chunk in time order, up to a limit.

use std::time::Duration;

use super::observer::{Observer, StreamCtx};
use super::tcp::Direction;
use super::Endpoint;
use crate::checks::observe::Observation;

/// One in-order delivery of bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Which side sent it.
    pub dir: Direction,
    /// When the segment that completed it came.
    pub ts: Duration,
    /// Its bytes (the last chunk shown may be cut at the limit).
    pub bytes: Vec<u8>,
}

/// The followed stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Followed {
    /// The stream asked for.
    pub stream: u32,
    /// Its client and server, once seen.
    pub ends: Option<(Endpoint, Endpoint)>,
    /// The chunks, in time order.
    pub chunks: Vec<Chunk>,
    /// Bytes each way (client → server, server → client), all of them.
    pub bytes: (u64, u64),
    /// Bytes past the limit, counted only.
    pub left_out: u64,
}

/// Collects one stream's chunks.
#[derive(Debug)]
pub struct Follow {
    limit: usize,
    kept: usize,
    followed: Followed,
}

impl Follow {
    /// Follows `stream`, keeping up to `limit` bytes.
    pub fn new(stream: u32, limit: usize) -> Follow {
        Follow {
            limit,
            kept: 0,
            followed: Followed {
                stream,
                ..Followed::default()
            },
        }
    }
}

impl Observer for Follow {
    fn data(&mut self, ctx: &StreamCtx, dir: Direction, data: &[u8]) {
        let f = &mut self.followed;
        if ctx.stream != f.stream {
            return;
        }
        f.ends.get_or_insert((ctx.client, ctx.server));
        match dir {
            Direction::ClientToServer => f.bytes.0 += data.len() as u64,
            Direction::ServerToClient => f.bytes.1 += data.len() as u64,
        }
        let room = self.limit - self.kept;
        let take = room.min(data.len());
        f.left_out += (data.len() - take) as u64;
        if take > 0 {
            self.kept += take;
            f.chunks.push(Chunk {
                dir,
                ts: ctx.ts,
                bytes: data[..take].to_vec(),
            });
        }
    }

    fn finish(self: Box<Self>) -> Observation {
        Observation::Follow(self.followed)
    }
}
