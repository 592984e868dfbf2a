//! The texts of a table column, one per row, written into one buffer: a table of 10,000
//! rows would otherwise allocate 10,000 strings a column.

use std::fmt::Write;
use std::net::IpAddr;

use crate::analysis::Endpoint;
use crate::report::Seconds;

/// The texts of one column, a row each.
#[derive(Default)]
pub struct Cells {
    text: String,
    /// Where each row's text ends in `text`.
    ends: Vec<usize>,
}

impl Cells {
    /// The cells `write` writes, one for each of `rows`.
    pub fn write<T>(rows: &[T], mut write: impl FnMut(&mut String, &T)) -> Cells {
        let mut cells = Cells::for_rows(rows.len());
        for row in rows {
            write(&mut cells.text, row);
            cells.ends.push(cells.text.len());
        }
        cells
    }

    /// The cells holding the text `text` gives for each of `rows`.
    pub fn text<'a, T, S: AsRef<str>>(rows: &'a [T], text: impl Fn(&'a T) -> S) -> Cells {
        rows.iter().map(text).collect()
    }

    /// No cells yet, with room for `rows` of them.
    fn for_rows(rows: usize) -> Cells {
        Cells {
            text: String::with_capacity(rows * 16),
            ends: Vec::with_capacity(rows),
        }
    }

    /// The cells showing the times `seconds` gives for each of `rows`.
    pub fn seconds<T>(rows: &[T], seconds: impl Fn(&T) -> Seconds) -> Cells {
        Cells::write(rows, |out, row| {
            let _ = seconds(row).write_to(out);
        })
    }

    /// The cells showing the integer `int` gives for each of `rows`.
    pub fn int<T, N: itoa::Integer>(rows: &[T], int: impl Fn(&T) -> N) -> Cells {
        Cells::write(rows, |out, row| push_int(out, int(row)))
    }

    /// The cells showing the endpoint `endpoint` gives for each of `rows`.
    pub fn endpoint<T>(rows: &[T], endpoint: impl Fn(&T) -> Endpoint) -> Cells {
        Cells::write(rows, |out, row| push_endpoint(out, endpoint(row)))
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The text of `row`.
    pub fn get(&self, row: usize) -> &str {
        let start = match row {
            0 => 0,
            _ => self.ends[row - 1],
        };
        &self.text[start..self.ends[row]]
    }

    /// The length of the longest text, in bytes.
    pub fn longest(&self) -> usize {
        let mut start = 0;
        let mut longest = 0;
        for &end in &self.ends {
            longest = longest.max(end - start);
            start = end;
        }
        longest
    }

    /// True when every text is ASCII (its width is its length).
    pub fn is_ascii(&self) -> bool {
        self.text.is_ascii()
    }

    /// True when some text has more than one line.
    pub fn has_line_breaks(&self) -> bool {
        self.text.contains('\n')
    }

    /// Every row's text, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + Clone {
        (0..self.len()).map(|row| self.get(row))
    }
}

/// Writes `n` as its `Display` does, without going through `core::fmt`.
pub fn push_int(out: &mut String, n: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// Writes `e` as its `Display` does (`IP:PORT`, `[IP]:PORT` for IPv6), an IPv4 one without
/// going through `core::fmt`.
pub fn push_endpoint(out: &mut String, e: Endpoint) {
    match e.ip {
        IpAddr::V4(ip) => {
            for (i, octet) in ip.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_int(out, octet);
            }
            out.push(':');
            push_int(out, e.port);
        }
        IpAddr::V6(_) => {
            let _ = write!(out, "{e}");
        }
    }
}

impl<S: AsRef<str>> FromIterator<S> for Cells {
    fn from_iter<I: IntoIterator<Item = S>>(texts: I) -> Cells {
        let texts = texts.into_iter();
        let mut cells = Cells::for_rows(texts.size_hint().0);
        for text in texts {
            cells.text.push_str(text.as_ref());
            cells.ends.push(cells.text.len());
        }
        cells
    }
}

#[cfg(test)]
mod tests {
    use super::{Cells, Endpoint, Seconds};

    #[test]
    fn each_row_keeps_its_own_text() {
        let cells = Cells::seconds(&[-143_000, 12_500_000_000], |&nanos| Seconds {
            nanos,
            digits: 6,
        });
        assert_eq!(cells.iter().collect::<Vec<_>>(), ["-0.000143", "12.500000"]);
        let endpoints = [
            "192.0.2.1:53",
            "0.0.0.0:0",
            "255.255.255.255:65535",
            "[::1]:80",
        ]
        .map(|e| e.parse::<std::net::SocketAddr>().unwrap())
        .map(|a| Endpoint {
            ip: a.ip(),
            port: a.port(),
        });
        let cells = Cells::endpoint(&endpoints, |e| *e);
        let shown: Vec<String> = endpoints.iter().map(ToString::to_string).collect();
        assert_eq!(cells.iter().collect::<Vec<_>>(), shown);
        let cells = Cells::int(&[0u64, 7, u64::MAX], |n| *n);
        assert_eq!(
            cells.iter().collect::<Vec<_>>(),
            ["0", "7", &u64::MAX.to_string()]
        );
        let cells = Cells::text(&["x", "", "yz"], |t| t.to_uppercase());
        assert_eq!(cells.iter().collect::<Vec<_>>(), ["X", "", "YZ"]);
        let cells: Cells = ["", "a\nb", ""].into_iter().collect();
        assert_eq!(cells.len(), 3);
        assert_eq!(cells.longest(), 3);
        assert_eq!((cells.get(0), cells.get(1), cells.get(2)), ("", "a\nb", ""));
    }
}
