//! The per-connection state of the stream analyzers (HTTP, TLS, framed messages), by stream,
//! with what it holds counted for the memory cap: a connection's state is counted whole when it
//! opens, by its changes after, and taken off whole when the connection closes (the TCP core
//! evicts connections on the sum).

use rustc_hash::FxHashMap;

use super::memory::slot;

/// State whose size is counted for the memory cap.
pub trait Held {
    /// Bytes it holds: itself (as a heap block) and its buffers.
    fn bytes(&self) -> usize;
}

/// Per stream: the analyzer's state of the connection, or `None` once the connection was found
/// not to be its protocol (kept, so that the question is asked once).
#[derive(Debug)]
pub struct PerStream<C> {
    open: FxHashMap<u32, Option<Box<C>>>,
    held: usize,
}

impl<C> Default for PerStream<C> {
    fn default() -> PerStream<C> {
        PerStream {
            open: FxHashMap::default(),
            held: 0,
        }
    }
}

impl<C: Held> PerStream<C> {
    /// What a stream's entry in the table costs besides its state.
    const SLOT: usize = slot::<(u32, Option<Box<C>>)>();

    /// Bytes held over all streams.
    pub fn held(&self) -> usize {
        self.held
    }

    /// Applies `change` to the state of `stream`, made first by `open` when the stream is new
    /// (`None`: not the protocol's, and then `change` is not called).
    pub fn update(
        &mut self,
        stream: u32,
        open: impl FnOnce() -> Option<C>,
        change: impl FnOnce(&mut C),
    ) {
        let held = &mut self.held;
        let slot = self.open.entry(stream).or_insert_with(|| {
            let state = open().map(Box::new);
            *held += Self::SLOT + state.as_ref().map_or(0, |s| s.bytes());
            state
        });
        let Some(state) = slot.as_mut() else {
            return;
        };
        let before = state.bytes();
        change(state);
        // `held` counts `before` already: this cannot go below zero.
        self.held = self.held - before + state.bytes();
    }

    /// Takes out the state of a connection that closed: `None` when it had none or was not the
    /// protocol's.
    pub fn close(&mut self, stream: u32) -> Option<Box<C>> {
        let slot = self.open.remove(&stream)?;
        self.held -= Self::SLOT + slot.as_ref().map_or(0, |s| s.bytes());
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Buffer(Vec<u8>);

    impl Held for Buffer {
        fn bytes(&self) -> usize {
            64 + self.0.capacity()
        }
    }

    #[test]
    fn held_counts_each_state_whole_while_open_and_nothing_once_closed() {
        let mut p = PerStream::<Buffer>::default();
        let slot = PerStream::<Buffer>::SLOT;
        // A new stream is counted whole at once, before any change.
        p.update(1, || Some(Buffer(Vec::with_capacity(100))), |_| ());
        assert_eq!(p.held(), slot + 164);
        // A stream that is not the protocol's costs its slot only, and is not opened again.
        let mut changed = false;
        p.update(2, || None, |_| changed = true);
        p.update(2, || Some(Buffer(Vec::new())), |_| changed = true);
        assert!(!changed);
        assert_eq!(p.held(), 2 * slot + 164);
        // Changes are counted by their difference.
        p.update(1, || None, |b| b.0 = Vec::with_capacity(1000));
        assert_eq!(p.held(), 2 * slot + 1064);
        p.update(1, || None, |b| b.0 = Vec::new());
        assert_eq!(p.held(), 2 * slot + 64);
        assert!(p.close(2).is_none());
        assert!(p.close(1).is_some());
        assert!(p.close(3).is_none());
        assert_eq!(p.held(), 0);
    }
}
