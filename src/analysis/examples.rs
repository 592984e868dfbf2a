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
}
