//! Closing things for good once they have been quiet for a while, in capture time: the TCP
//! analyzer's ended connections, the DNS analyzer's transactions and the UDP analyzer's
//! conversations.

use std::collections::VecDeque;
use std::time::Duration;

/// Entries waiting out a linger time, oldest first.
#[derive(Debug)]
pub struct Linger<K> {
    queue: VecDeque<(Duration, K)>,
    calls: u32,
}

impl<K> Default for Linger<K> {
    fn default() -> Linger<K> {
        Linger {
            queue: VecDeque::new(),
            calls: 0,
        }
    }
}

impl<K: Copy> Linger<K> {
    /// Starts `key`'s wait at `at`.
    pub fn push(&mut self, at: Duration, key: K) {
        self.queue.push_back((at, key));
    }

    /// Entries waiting.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Takes the entry waiting the longest, with the time its wait began (to close it early
    /// under the memory cap).
    pub fn pop_front(&mut self) -> Option<(Duration, K)> {
        self.queue.pop_front()
    }

    /// Keeps only the entries `keep` says yes to (after their owners were evicted).
    pub fn retain(&mut self, keep: impl Fn(&K) -> bool) {
        self.queue.retain(|(_, key)| keep(key));
    }

    /// Once every `every` calls (the rest return at once): the entries quiet for `linger` at
    /// `now`. `last_seen` tells when an entry was last active, or `None` when it is gone; one
    /// active since its wait began waits again from then.
    pub fn due(
        &mut self,
        now: Duration,
        linger: Duration,
        every: u32,
        last_seen: impl Fn(&K) -> Option<Duration>,
    ) -> Vec<K> {
        self.calls += 1;
        if self.calls < every {
            return Vec::new();
        }
        self.calls = 0;
        let mut due = Vec::new();
        while let Some(&(since, key)) = self.queue.front() {
            if since + linger > now {
                break;
            }
            self.queue.pop_front();
            match last_seen(&key) {
                Some(last) if last + linger <= now => due.push(key),
                Some(last) => self.queue.push_back((last, key)),
                None => {}
            }
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_entries_come_due_active_ones_wait_again_gone_ones_drop() {
        let s = Duration::from_secs;
        let mut l = Linger::default();
        l.push(s(0), 'a');
        l.push(s(1), 'b');
        l.push(s(2), 'c');
        // 'a' quiet since 0, 'b' active again at 4, 'c' gone.
        let last = |k: &char| match k {
            'a' => Some(s(0)),
            'b' => Some(s(4)),
            _ => None,
        };
        assert_eq!(l.due(s(7), s(5), 1, last), vec!['a']);
        assert_eq!(l.due(s(8), s(5), 1, last), Vec::<char>::new());
        assert_eq!(l.due(s(9), s(5), 1, last), vec!['b']);
        // Looked at only every third call.
        l.push(s(10), 'a');
        let gone = |_: &char| Some(s(10));
        assert!(l.due(s(20), s(5), 3, gone).is_empty());
        assert!(l.due(s(20), s(5), 3, gone).is_empty());
        assert_eq!(l.due(s(20), s(5), 3, gone), vec!['a']);
    }
}
