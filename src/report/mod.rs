//! Reports: what the analysis found, for a terminal (tables, timelines, payload) or a
//! program (JSON, CSV, JUnit), or a page (SVG sequence diagrams, the HTML grade report). They
//! read plain data and return text.

pub mod csv;
pub mod diagram;
pub mod escape;
pub mod findings;
pub mod follow;
pub mod grade_text;
pub mod html;
pub mod json;
pub mod junit;
pub mod list;
pub mod text;

/// Signed nanoseconds as seconds with `digits` decimals (truncated), e.g. `-0.000143`.
pub fn seconds_text(nanos: i128, digits: u32) -> String {
    Seconds { nanos, digits }.to_string()
}

/// Signed nanoseconds shown as seconds with `digits` decimals (truncated), as
/// [`seconds_text`] writes them, for writing into a buffer without a string of its own.
#[derive(Clone, Copy, Debug)]
pub struct Seconds {
    /// The signed nanoseconds.
    pub nanos: i128,
    /// Decimals shown (at most 9).
    pub digits: u32,
}

impl Seconds {
    /// Writes the text into `out`: a `String` directly, without going through `core::fmt`
    /// (tables show thousands of these).
    pub fn write_to(&self, out: &mut impl std::fmt::Write) -> std::fmt::Result {
        let digits = self.digits.min(9);
        let sign = if self.nanos < 0 { "-" } else { "" };
        let abs = self.nanos.unsigned_abs();
        let Ok(abs) = u64::try_from(abs) else {
            let frac = (abs % 1_000_000_000) / 10u128.pow(9 - digits);
            let width = digits as usize;
            return write!(out, "{sign}{}.{frac:0width$}", abs / 1_000_000_000);
        };
        // In 64 bits, piece by piece.
        let frac = (abs % 1_000_000_000) / 10u64.pow(9 - digits);
        out.write_str(sign)?;
        out.write_str(itoa::Buffer::new().format(abs / 1_000_000_000))?;
        out.write_str(".")?;
        let mut buffer = itoa::Buffer::new();
        let frac = buffer.format(frac);
        for _ in frac.len()..digits as usize {
            out.write_str("0")?;
        }
        out.write_str(frac)
    }
}

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.write_to(f)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn seconds_are_truncated_and_signed() {
        assert_eq!(super::seconds_text(584_242_123, 9), "0.584242123");
        assert_eq!(super::seconds_text(584_242_999, 6), "0.584242");
        assert_eq!(super::seconds_text(-143_000, 6), "-0.000143");
        assert_eq!(super::seconds_text(12_000_000_001, 9), "12.000000001");
        assert_eq!(super::seconds_text(-12_345_678_901, 3), "-12.345");
        assert_eq!(super::seconds_text(999_999_999, 0), "0.0");
        assert_eq!(
            super::seconds_text(i128::from(u64::MAX), 2),
            "18446744073.70"
        );
        let past_64_bits = -i128::from(u64::MAX) - 1_000_000_001;
        assert_eq!(super::seconds_text(past_64_bits, 4), "-18446744074.7095");
    }
}
