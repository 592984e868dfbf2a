//! "Some client→server stream contains TEXT": searched across segment boundaries as the bytes
//! are delivered in order, keeping only the last `len(TEXT) - 1` bytes per open connection.

use rustc_hash::FxHashMap;

use super::Observation;
use crate::analysis::observer::{Observer, StreamCtx};
use crate::analysis::tcp::{Connection, Direction};
use crate::analysis::Examples;

/// Looks for one text in every client→server stream (or in both directions).
#[derive(Debug)]
pub struct PayloadText {
    needle: Vec<u8>,
    /// Search the server's bytes too.
    both: bool,
    /// Per open connection: the tail kept for matches across deliveries, or `None` once found.
    open: FxHashMap<(u32, bool), Option<Vec<u8>>>,
    /// The reported connections whose stream contains the text, by stream index.
    found: Examples<u32>,
}

impl PayloadText {
    /// An observer looking for `text`.
    pub fn new(text: &str) -> PayloadText {
        PayloadText {
            needle: text.as_bytes().to_vec(),
            both: false,
            open: FxHashMap::default(),
            found: Examples::default(),
        }
    }
}

impl PayloadText {
    /// An observer looking for `text` in both directions (is it ever sent in clear?).
    pub fn both_ways(text: &str) -> PayloadText {
        PayloadText {
            both: true,
            ..PayloadText::new(text)
        }
    }
}

impl Observer for PayloadText {
    fn data(&mut self, ctx: &StreamCtx, dir: Direction, data: &[u8]) {
        if (dir != Direction::ClientToServer && !self.both) || self.needle.is_empty() {
            return;
        }
        let slot = self
            .open
            .entry((ctx.stream, dir == Direction::ServerToClient))
            .or_insert_with(|| Some(Vec::new()));
        let Some(tail) = slot else { return };
        let mut window = std::mem::take(tail);
        window.extend_from_slice(data);
        if window.windows(self.needle.len()).any(|w| w == self.needle) {
            *slot = None;
            return;
        }
        let from = window.len().saturating_sub(self.needle.len() - 1);
        *tail = window.split_off(from);
    }

    fn connection_closed(&mut self, conn: &Connection) {
        let c2s = self.open.remove(&(conn.stream, false));
        let s2c = self.open.remove(&(conn.stream, true));
        if (matches!(c2s, Some(None)) || matches!(s2c, Some(None))) && conn.matched {
            self.found.add(|| conn.stream);
        }
    }

    fn finish(self: Box<Self>) -> Observation {
        Observation::Payload(self.found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn found_across_deliveries_in_bounded_memory() {
        let mut o = PayloadText::new("DIKIRIM");
        let at = crate::analysis::Endpoint {
            ip: std::net::Ipv4Addr::LOCALHOST.into(),
            port: 1,
        };
        let ctx = StreamCtx {
            stream: 3,
            client: at,
            server: at,
            ts: std::time::Duration::ZERO,
            matched: true,
        };
        o.data(&ctx, Direction::ClientToServer, b"DATA YANG DIKI");
        assert_eq!(o.open[&(3, false)].as_ref().map(Vec::len), Some(6));
        o.data(&ctx, Direction::ServerToClient, b"DIKIRIM");
        assert!(
            !o.open.contains_key(&(3, true)),
            "the server's bytes do not count"
        );
        o.data(&ctx, Direction::ClientToServer, b"RIM ABC");
        assert_eq!(o.open[&(3, false)], None);
    }
}
