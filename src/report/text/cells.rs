//! The texts of a table column, one per row, written into one buffer: a table of 10,000
//! rows would otherwise allocate 10,000 strings a column.

use std::fmt::{Display, Write};

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
        let mut cells = Cells {
            text: String::with_capacity(rows.len() * 16),
            ends: Vec::with_capacity(rows.len()),
        };
        for row in rows {
            write(&mut cells.text, row);
            cells.ends.push(cells.text.len());
        }
        cells
    }

    /// The cells showing what `show` gives for each of `rows`.
    pub fn show<'a, T, D: Display>(rows: &'a [T], show: impl Fn(&'a T) -> D) -> Cells {
        let mut cells = Cells {
            text: String::with_capacity(rows.len() * 16),
            ends: Vec::with_capacity(rows.len()),
        };
        for row in rows {
            let _ = write!(cells.text, "{}", show(row));
            cells.ends.push(cells.text.len());
        }
        cells
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

    /// Every row's text, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + Clone {
        (0..self.len()).map(|row| self.get(row))
    }
}

impl<S: AsRef<str>> FromIterator<S> for Cells {
    fn from_iter<I: IntoIterator<Item = S>>(texts: I) -> Cells {
        let mut cells = Cells::default();
        for text in texts {
            cells.text.push_str(text.as_ref());
            cells.ends.push(cells.text.len());
        }
        cells
    }
}

#[cfg(test)]
mod tests {
    use super::Cells;

    #[test]
    fn each_row_keeps_its_own_text() {
        let cells = Cells::show(&[7, 0, 12], |n| n * 10);
        assert_eq!(cells.iter().collect::<Vec<_>>(), ["70", "0", "120"]);
        let cells: Cells = ["", "a\nb", ""].into_iter().collect();
        assert_eq!(cells.len(), 3);
        assert_eq!((cells.get(0), cells.get(1), cells.get(2)), ("", "a\nb", ""));
    }
}
