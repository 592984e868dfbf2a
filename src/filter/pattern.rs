//! `matches` / `~`: a regular expression searched in bytes, as Wireshark 4 runs it (PCRE2,
//! case-insensitive unless the pattern turns it off with `(?-i)`).

use std::fmt;

use regex::bytes::{Regex, RegexBuilder};

/// The most memory one compiled expression, and its search cache, may take; with at most
/// [`MAX_PATTERNS`] in a filter, a hostile filter holds at most 64 MiB of them.
const SIZE_LIMIT: usize = 512 << 10;

/// The most regular expressions one filter may hold.
pub const MAX_PATTERNS: usize = 64;

/// A compiled regular expression and the text it was compiled from.
#[derive(Clone)]
pub struct Pattern {
    text: String,
    regex: Regex,
}

impl Pattern {
    /// Compiles `text`; the error is one line saying what is wrong with it.
    pub fn new(text: &str) -> Result<Pattern, String> {
        let regex = RegexBuilder::new(text)
            .case_insensitive(true)
            .unicode(false)
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| {
                let shown = e.to_string();
                let why = shown
                    .lines()
                    .find_map(|l| l.strip_prefix("error: "))
                    .unwrap_or(shown.lines().last().unwrap_or("invalid"))
                    .to_string();
                format!("invalid regular expression: {why}")
            })?;
        Ok(Pattern {
            text: text.to_string(),
            regex,
        })
    }

    /// True when the expression matches somewhere in `bytes`.
    pub fn is_match(&self, bytes: &[u8]) -> bool {
        self.regex.is_match(bytes)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.text == other.text
    }
}

impl Eq for Pattern {}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_is_ignored_unless_the_pattern_says_otherwise() {
        let get = Pattern::new("get /").unwrap();
        assert!(get.is_match(b"GET /video HTTP/1.0"));
        assert!(!Pattern::new("(?-i)get").unwrap().is_match(b"GET"));
        assert!(Pattern::new(r"\d{3} Found")
            .unwrap()
            .is_match(b"HTTP/1.0 302 Found"));
        // Bytes that are no UTF-8 are searched too.
        assert!(Pattern::new(r"\xff\x00").unwrap().is_match(b"a\xff\x00b"));
    }

    #[test]
    fn a_bad_expression_is_one_line() {
        let e = Pattern::new("[a").unwrap_err();
        assert_eq!(e, "invalid regular expression: unclosed character class");
        assert!(Pattern::new("a{1000}{1000}{1000}").is_err());
    }
}
