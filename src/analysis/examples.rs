//! A count of things with a finding and the first few of them, kept as data (the checks put
//! them into words): totals stay small whatever the size of the capture.

/// Examples kept per finding.
const EXAMPLES: usize = 5;

/// How many had a finding, with the first few kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Examples<T> {
    /// How many had the finding.
    pub count: u64,
    /// The first of them.
    pub first: Vec<T>,
}

impl<T> Default for Examples<T> {
    fn default() -> Self {
        Examples {
            count: 0,
            first: Vec::new(),
        }
    }
}

impl<T> Examples<T> {
    /// Counts one more; keeps it (made by `example`) while fewer than the limit are kept.
    pub fn add(&mut self, example: impl FnOnce() -> T) {
        self.count += 1;
        if self.first.len() < EXAMPLES {
            self.first.push(example());
        }
    }

    /// Counts one more; keeps the lowest few by `order` (`order_of` tells a kept one's), in
    /// that order, whatever order they come in: for connections by stream number, so that the
    /// examples a check quotes are the first connections of the capture, not the first to
    /// close.
    pub fn add_lowest(
        &mut self,
        order: u32,
        example: impl FnOnce() -> T,
        order_of: impl Fn(&T) -> u32,
    ) {
        self.count += 1;
        let at = self.first.partition_point(|e| order_of(e) <= order);
        if at < EXAMPLES {
            self.first.insert(at, example());
            self.first.truncate(EXAMPLES);
        }
    }

    /// The examples put into words by `say` and joined by `sep`, with "and N more" when some
    /// were only counted.
    pub fn list(&self, sep: &str, say: impl Fn(&T) -> String) -> String {
        let mut text = self.first.iter().map(say).collect::<Vec<_>>().join(sep);
        let more = self.count - self.first.len() as u64;
        if more > 0 {
            text.push_str(&format!("{sep}and {more} more"));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beyond_the_limit_examples_are_counted() {
        let mut e = Examples::default();
        for i in 0..7 {
            e.add(|| i);
        }
        assert_eq!(e.count, 7);
        assert_eq!(
            e.list(", ", |i| format!("#{i}")),
            "#0, #1, #2, #3, #4, and 2 more"
        );
    }

    #[test]
    fn the_lowest_examples_are_kept_in_order_whatever_order_they_come_in() {
        let mut e = Examples::default();
        for i in [9u32, 3, 7, 1, 8, 5, 2, 6] {
            e.add_lowest(i, || i, |&kept| kept);
        }
        assert_eq!(e.count, 8);
        assert_eq!(e.first, [1, 2, 3, 5, 6]);
    }
}
