//! "The server echoes in pieces of these sizes" (recv(32) gives 32, 32, 32, 1 for 97 bytes):
//! the server's data segment lengths of each connection, compared when it closes, keeping a
//! few lengths per open connection only.

use rustc_hash::FxHashMap;

use super::Observation;
use crate::analysis::observer::Observer;
use crate::analysis::tcp::{Connection, Direction};

/// Compares every handshaked connection's server segment sizes with the expected ones.
#[derive(Debug)]
pub struct SegmentSizes {
    want: Vec<u32>,
    open: FxHashMap<u32, Vec<u32>>,
    seen: SegmentsSeen,
}

/// What the handshaked, reported connections showed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SegmentsSeen {
    /// Handshaked connections compared.
    pub connections: u64,
    /// Those whose sizes differed.
    pub wrong: u64,
    /// The first connections' stream and sizes (cut after a few more than expected).
    pub first: Vec<(u32, Vec<u32>)>,
}

/// Connections described in a result.
const LISTED: usize = 5;

impl SegmentSizes {
    /// An observer expecting `want`.
    pub fn new(want: &[u32]) -> SegmentSizes {
        SegmentSizes {
            want: want.to_vec(),
            open: FxHashMap::default(),
            seen: SegmentsSeen::default(),
        }
    }
}

impl Observer for SegmentSizes {
    fn segment(&mut self, conn: &Connection, dir: Direction, len: u32, matched: bool) {
        if dir == Direction::ServerToClient && len > 0 && matched {
            let sizes = self.open.entry(conn.stream).or_default();
            // One more than expected is enough to know it differs.
            if sizes.len() <= self.want.len() {
                sizes.push(len);
            }
        }
    }

    fn connection_closed(&mut self, conn: &Connection) {
        let sizes = self.open.remove(&conn.stream).unwrap_or_default();
        if !(conn.matched && conn.handshake) {
            return;
        }
        self.seen.connections += 1;
        if sizes != self.want {
            self.seen.wrong += 1;
        }
        if self.seen.first.len() < LISTED {
            self.seen.first.push((conn.stream, sizes));
        }
    }

    fn finish(self: Box<Self>) -> Observation {
        Observation::ServerSegments(self.seen)
    }
}
