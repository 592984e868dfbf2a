//! Tables that fit a width. A table is a list of fields, each with a rank (0: what the table
//! is about; higher: dropped sooner) and one or more forms, widest first (two byte columns, or
//! one column of `46/46`).
//!
//! Without a width (output that is not a terminal) every field shows its widest form and
//! nothing wraps, so piped output is stable. With one, fields are taken in rank order, each in
//! its narrowest form, while they fit; then they are widened where the room allows. Free text
//! (answers, messages, certificates) wraps at spaces; an address, a name or a number is never
//! broken. When even the rank-0 fields do not fit, each row is printed as a record of
//! `label  value` lines.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt::Write;

use super::cells::Cells;
use super::{paint, push_painted, Style, Tone};

/// Characters a column takes besides its content: a space on each side and a border.
const COLUMN_OVERHEAD: usize = 3;
/// A column of free text is given at least this many characters (or its widest line, if
/// narrower), so that it does not wrap into a word a line.
const WRAP_FLOOR: usize = 16;

/// One column: a header and a text per row.
pub struct Col {
    header: String,
    cells: Cells,
    /// A colour for some rows; empty when none has one.
    tones: Vec<Option<Tone>>,
    right: bool,
    wrap: bool,
    /// Its least and natural widths, measured once (fitting asks for them often).
    measure: OnceCell<(usize, usize)>,
}

impl Col {
    /// A left-aligned column of text that is never broken.
    pub fn new(header: &str, cells: Cells) -> Col {
        Col {
            header: header.to_string(),
            cells,
            tones: Vec::new(),
            right: false,
            wrap: false,
            measure: OnceCell::new(),
        }
    }

    /// Right-aligned (numbers).
    pub fn right(mut self) -> Col {
        self.right = true;
        self
    }

    /// Free text: may wrap at spaces when the table must be narrow.
    pub fn wrap(mut self) -> Col {
        self.wrap = true;
        self
    }

    /// A colour for some cells (shown only when the style has colour).
    pub fn tones(mut self, tones: Vec<Option<Tone>>) -> Col {
        self.tones = tones;
        self
    }

    /// The colour of row `r`'s cell.
    fn tone(&self, r: usize) -> Option<Tone> {
        self.tones.get(r).copied().flatten()
    }

    /// Width with nothing wrapped.
    fn natural(&self) -> usize {
        self.measured().1
    }

    /// The narrowest this column may be: its header may wrap at spaces, its cells only when
    /// they are free text, and never inside a word.
    fn least(&self) -> usize {
        self.measured().0
    }

    /// The least and the natural width.
    fn measured(&self) -> (usize, usize) {
        *self.measure.get_or_init(|| {
            let (mut lines, mut words) = (0, 0);
            for text in self.cells.iter() {
                lines = lines.max(longest_line(text));
                if self.wrap {
                    words = words.max(longest_word(text));
                }
            }
            let content = if self.wrap {
                words.max(lines.min(WRAP_FLOOR))
            } else {
                lines
            };
            (
                content.max(longest_word(&self.header)),
                lines.max(longest_line(&self.header)),
            )
        })
    }
}

/// One field of a table: its rank and its forms, the widest first.
pub struct Field {
    rank: u8,
    forms: Vec<Vec<Col>>,
}

/// A field of one column.
pub fn field(rank: u8, col: Col) -> Field {
    Field {
        rank,
        forms: vec![vec![col]],
    }
}

/// A field shown in one of several forms, the widest first.
pub fn forms(rank: u8, forms: Vec<Vec<Col>>) -> Field {
    assert!(forms.iter().all(|f| !f.is_empty()) && !forms.is_empty());
    Field { rank, forms }
}

/// A table of fields, drawn for a style when it is written (`Display`): straight into the
/// output, a piece at a time, rather than into a string of its own first.
pub struct Table {
    fields: Vec<Field>,
    rows: usize,
    style: Style,
}

impl Table {
    /// The table of `rows` rows of `fields`, to be drawn for `style`.
    pub fn new(fields: Vec<Field>, rows: usize, style: Style) -> Table {
        Table {
            fields,
            rows,
            style,
        }
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (fields, rows, style) = (&self.fields[..], self.rows, self.style);
        let full = || -> Vec<(&Col, Option<usize>)> {
            fields
                .iter()
                .flat_map(|f| f.forms[0].iter().map(|c| (c, None)))
                .collect()
        };
        let Some(width) = style.width else {
            return grid(out, &full(), rows, style.color);
        };
        let wide: usize = fields
            .iter()
            .flat_map(|f| &f.forms[0])
            .map(|c| c.natural() + COLUMN_OVERHEAD)
            .sum::<usize>()
            + 1;
        if wide <= width {
            return grid(out, &full(), rows, style.color);
        }
        match fit(fields, width) {
            Some(cols) => grid(out, &cols, rows, style.color),
            None => out.write_str(&records(fields, rows, width, style.color)),
        }
    }
}

/// The columns (and their widths) that fit in `width`, or `None` when the rank-0 fields do
/// not.
fn fit(fields: &[Field], width: usize) -> Option<Vec<(&Col, Option<usize>)>> {
    let budget = width.saturating_sub(1);
    let cost = |form: &[Col]| {
        form.iter()
            .map(|c| c.least() + COLUMN_OVERHEAD)
            .sum::<usize>()
    };
    let mut order: Vec<usize> = (0..fields.len()).collect();
    order.sort_by_key(|&i| fields[i].rank);
    // Which form of each field is shown, if any: by rank, narrowest forms, while they fit.
    let mut chosen: Vec<Option<usize>> = vec![None; fields.len()];
    let mut used = 0;
    for &i in &order {
        let f = &fields[i];
        let narrowest = f.forms.len() - 1;
        let c = cost(&f.forms[narrowest]);
        if used + c <= budget {
            chosen[i] = Some(narrowest);
            used += c;
        } else if f.rank == 0 {
            return None;
        }
    }
    // Wider forms, by rank, where they fit whole (a form that would need its headers folded
    // is no better than the narrow one).
    let whole = |form: &[Col]| {
        form.iter()
            .map(|c| c.natural() + COLUMN_OVERHEAD)
            .sum::<usize>()
    };
    for &i in &order {
        let Some(current) = chosen[i] else { continue };
        let now = cost(&fields[i].forms[current]);
        if let Some(k) = (0..current).find(|&k| used - now + whole(&fields[i].forms[k]) <= budget) {
            chosen[i] = Some(k);
            used = used - now + cost(&fields[i].forms[k]);
        }
    }
    // Each column at its least, then the room left shared by the columns of each rank in
    // turn, up to their natural width (free text wraps less, headers unfold).
    let mut widths: Vec<Vec<usize>> = fields
        .iter()
        .zip(&chosen)
        .map(|(f, c)| c.map_or(Vec::new(), |k| f.forms[k].iter().map(Col::least).collect()))
        .collect();
    let mut slack = budget - used;
    let mut start = 0;
    while start < order.len() {
        let rank = fields[order[start]].rank;
        let end = start
            + order[start..]
                .iter()
                .take_while(|&&i| fields[i].rank == rank)
                .count();
        let mut grew = true;
        while grew && slack > 0 {
            grew = false;
            for &i in &order[start..end] {
                let Some(k) = chosen[i] else { continue };
                for (j, col) in fields[i].forms[k].iter().enumerate() {
                    if slack > 0 && widths[i][j] < col.natural() {
                        widths[i][j] += 1;
                        slack -= 1;
                        grew = true;
                    }
                }
            }
        }
        start = end;
    }
    Some(
        fields
            .iter()
            .zip(&chosen)
            .zip(&widths)
            .filter_map(|((f, c), w)| c.map(|k| (f, k, w)))
            .flat_map(|(f, k, w)| f.forms[k].iter().zip(w).map(|(c, &w)| (c, Some(w))))
            .collect(),
    )
}

/// The table, each column wrapped to its width when it has one, in comfy-table's
/// `UTF8_FULL_CONDENSED` style (headers left, cells aligned as their column says, a tone
/// painting the text only). Drawn here rather than by comfy-table: on the 11,000 rows of a
/// large capture's summary it took a sixth of the whole replay. Each cell is written
/// straight into the table, padded; only the cells wrapping changes are copied.
fn grid(
    to: &mut impl std::fmt::Write,
    cols: &[(&Col, Option<usize>)],
    rows: usize,
    color: bool,
) -> std::fmt::Result {
    let shown: Vec<Shown> = cols
        .iter()
        .map(|&(col, width)| Shown::new(col, width, rows))
        .collect();
    // Lines are gathered in a piece of this size, then written out.
    const PIECE: usize = 64 * 1024;
    let line_bytes: usize = shown.iter().map(|s| s.width + 5).sum::<usize>() + 4;
    let mut out = String::with_capacity(PIECE + 4 * line_bytes);
    rule(&mut out, &shown, ['┌', '─', '┬', '┐']);
    let header_lines = shown.iter().map(|s| lines_in(&s.header)).max();
    for k in 0..header_lines.unwrap_or(1) {
        line(&mut out, &shown, None, |s| nth_line(&s.header, k), color);
    }
    rule(&mut out, &shown, ['╞', '═', '╪', '╡']);
    for r in 0..rows {
        let lines = shown
            .iter()
            .filter(|s| s.multiline)
            .map(|s| lines_in(s.cell(r)));
        match lines.max().unwrap_or(1) {
            1 => line(&mut out, &shown, Some(r), |s| s.cell(r), color),
            lines => {
                for k in 0..lines {
                    line(&mut out, &shown, Some(r), |s| nth_line(s.cell(r), k), color);
                }
            }
        }
        if out.len() >= PIECE {
            to.write_str(&out)?;
            out.clear();
        }
    }
    rule(&mut out, &shown, ['└', '─', '┴', '┘']);
    out.pop();
    to.write_str(&out)
}

/// A column as the grid shows it: its texts wrapped to its width, if it has one, and the
/// width of its widest line.
struct Shown<'a> {
    col: &'a Col,
    header: Cow<'a, str>,
    /// The cells wrapping changed, by row (empty when none did).
    wrapped: Vec<Option<String>>,
    /// Every cell is ASCII: its width is its length.
    ascii: bool,
    /// Some cell has more than one line.
    multiline: bool,
    width: usize,
}

impl<'a> Shown<'a> {
    fn new(col: &'a Col, width: Option<usize>, rows: usize) -> Shown<'a> {
        let wrapped_to = |text: &'a str| match width {
            Some(w) if !fits(text, w) => Cow::Owned(wrap(text, w, false).join("\n")),
            _ => Cow::Borrowed(text),
        };
        let header = wrapped_to(&col.header);
        let mut wrapped = Vec::new();
        if width.is_some() {
            wrapped = (0..rows)
                .map(|r| match wrapped_to(col.cells.get(r)) {
                    Cow::Owned(text) => Some(text),
                    Cow::Borrowed(_) => None,
                })
                .collect();
            if wrapped.iter().all(Option::is_none) {
                wrapped = Vec::new();
            }
        }
        let multiline =
            col.cells.has_line_breaks() || wrapped.iter().flatten().any(|text| text.contains('\n'));
        let mut shown = Shown {
            col,
            header,
            wrapped,
            // Wrapping only drops spaces and breaks lines.
            ascii: col.cells.is_ascii(),
            multiline,
            width: 0,
        };
        let header_width = widest_piece(&shown.header);
        let cells_width = if shown.ascii && !shown.multiline && shown.wrapped.is_empty() {
            col.cells.longest()
        } else {
            (0..rows)
                .map(|r| shown.widest(shown.cell(r)))
                .max()
                .unwrap_or(0)
        };
        shown.width = header_width.max(cells_width);
        shown
    }

    /// Row `r`'s text as shown.
    fn cell(&self, r: usize) -> &str {
        match self.wrapped.get(r) {
            Some(Some(text)) => text,
            _ => self.col.cells.get(r),
        }
    }

    /// The width of a line of a cell.
    fn width_of(&self, line: &str) -> usize {
        if self.ascii {
            line.len()
        } else {
            width(line)
        }
    }

    /// The width of the widest line of a cell.
    fn widest(&self, text: &str) -> usize {
        if self.multiline {
            text.split('\n')
                .map(|l| self.width_of(l))
                .max()
                .unwrap_or(0)
        } else {
            self.width_of(text)
        }
    }
}

/// How many lines `text` has (one more than its line breaks).
fn lines_in(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count() + 1
}

/// A rule across the table: `[left, fill, join, right]`.
fn rule(out: &mut String, shown: &[Shown], [left, fill, join, right]: [char; 4]) {
    out.push(left);
    for (i, s) in shown.iter().enumerate() {
        if i > 0 {
            out.push(join);
        }
        out.extend(std::iter::repeat_n(fill, s.width + 2));
    }
    out.push(right);
    out.push('\n');
}

/// One line of the table: the text `text` gives for each column, padded to the column's
/// width. A line of row `row` is aligned and coloured as its column says; a header line
/// (`None`) is left-aligned and plain.
fn line<'a>(
    out: &mut String,
    shown: &'a [Shown],
    row: Option<usize>,
    text: impl Fn(&'a Shown) -> &'a str,
    color: bool,
) {
    out.push('│');
    for (i, s) in shown.iter().enumerate() {
        if i > 0 {
            out.push('┆');
        }
        let text = text(s);
        let (right, tone, len) = match row {
            Some(r) => (s.col.right, s.col.tone(r), s.width_of(text)),
            None => (false, None, width(text)),
        };
        let pad = s.width - len;
        out.push(' ');
        if right {
            spaces(out, pad);
        }
        match tone {
            Some(tone) => push_painted(out, text, tone, color),
            None => out.push_str(text),
        }
        if !right {
            spaces(out, pad);
        }
        out.push(' ');
    }
    out.push_str("│\n");
}

/// `n` spaces.
fn spaces(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = n;
    while left > 0 {
        let k = left.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        left -= k;
    }
}

/// Line `k` of `text` (empty past its last).
fn nth_line(text: &str, k: usize) -> &str {
    text.split('\n').nth(k).unwrap_or("")
}

/// True when wrapping `text` to `room` leaves it as it is: each line fits and has no space
/// to drop (leading, trailing or doubled).
fn fits(text: &str, room: usize) -> bool {
    text.split('\n').all(|line| {
        width(line) <= room
            && !line.starts_with(' ')
            && !line.ends_with(' ')
            && !line.contains("  ")
    })
}

/// Each row as a record of `label  value` lines (every field, in its narrowest form), the
/// values wrapped at spaces (under the label when a word does not fit beside it; cut only
/// when it does not fit the width at all); records are separated by a blank line.
fn records(fields: &[Field], rows: usize, width: usize, color: bool) -> String {
    let cols: Vec<&Col> = fields
        .iter()
        .flat_map(|f| &f.forms[f.forms.len() - 1])
        .collect();
    let labels: Vec<String> = cols
        .iter()
        .map(|c| c.header.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let label_width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let value_width = width.saturating_sub(label_width + 2);
    let mut out = String::new();
    for r in 0..rows {
        if r > 0 {
            out.push('\n');
        }
        for (col, label) in cols.iter().zip(&labels) {
            let text = col.cells.get(r);
            if text.is_empty() {
                continue;
            }
            let paint = |line: &str| match col.tone(r) {
                Some(tone) => paint(line, tone, color),
                None => line.to_string(),
            };
            if longest_word(text) <= value_width {
                for (i, line) in wrap(text, value_width, false).iter().enumerate() {
                    let label = if i == 0 { label.as_str() } else { "" };
                    let _ = writeln!(out, "{label:<label_width$}  {}", paint(line));
                }
            } else {
                // A word wider than the room beside the labels: the value under its label.
                let _ = writeln!(out, "{label}");
                for line in wrap(text, width.saturating_sub(2), true) {
                    let _ = writeln!(out, "  {}", paint(&line));
                }
            }
        }
    }
    out.truncate(out.trim_end().len());
    out
}

fn width(text: &str) -> usize {
    text.chars().count()
}

/// The width of the widest of the pieces of `text` between line breaks.
fn widest_piece(text: &str) -> usize {
    text.split('\n').map(width).max().unwrap_or(0)
}

fn longest_line(text: &str) -> usize {
    text.lines().map(width).max().unwrap_or(0)
}

fn longest_word(text: &str) -> usize {
    text.split([' ', '\n']).map(width).max().unwrap_or(0)
}

/// `text` in lines of at most `width` characters, broken at spaces (its own line breaks
/// kept). A longer word stands alone on its line, or is cut when `cut`.
fn wrap(text: &str, width: usize, cut: bool) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for given in text.split('\n') {
        let mut line = String::new();
        let mut len = 0;
        for word in given.split(' ').filter(|w| !w.is_empty()) {
            let mut word = word.to_string();
            let mut n = word.chars().count();
            if len > 0 && len + 1 + n > width {
                lines.push(std::mem::take(&mut line));
                len = 0;
            }
            while cut && n > width {
                if len > 0 {
                    lines.push(std::mem::take(&mut line));
                    len = 0;
                }
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                n -= width;
                lines.push(head);
            }
            if len > 0 {
                line.push(' ');
                len += 1;
            }
            line.push_str(&word);
            len += n;
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole_unless_told_to_cut() {
        assert_eq!(
            wrap("A 203.0.113.5\nCNAME www.its.ac.id", 14, false),
            ["A 203.0.113.5", "CNAME", "www.its.ac.id"]
        );
        assert_eq!(wrap("abcdefghij xy", 4, false), ["abcdefghij", "xy"]);
        assert_eq!(wrap("abcdefghij xy", 4, true), ["abcd", "efgh", "ij", "xy"]);
        assert_eq!(wrap("", 4, false), [""]);
    }

    fn sample() -> Vec<Field> {
        let n = |v: &[&str]| v.iter().collect::<Cells>();
        vec![
            field(0, Col::new("Stream", n(&["0", "12"]))),
            field(
                0,
                Col::new("Client", n(&["172.16.16.102:34542", "[::1]:50316"])),
            ),
            forms(
                2,
                vec![
                    vec![
                        Col::new("Bytes c→s", n(&["46", "30000"])).right(),
                        Col::new("Bytes s→c", n(&["46", "30000"])).right(),
                    ],
                    vec![Col::new("Bytes c→s/s→c", n(&["46/46", "30000/30000"])).right()],
                ],
            ),
            field(
                1,
                Col::new("Note", n(&["one two three four", "five"])).wrap(),
            ),
            field(3, Col::new("Start", n(&["0.000000", "12.500000"])).right()),
        ]
    }

    fn widest(s: &str) -> usize {
        s.lines().map(width).max().unwrap_or(0)
    }

    #[test]
    fn without_a_width_every_column_is_shown_whole() {
        let t = Table::new(sample(), 2, Style::default()).to_string();
        assert!(
            t.contains("Bytes c→s") && t.contains("one two three four"),
            "{t}"
        );
        assert!(t.contains("12.500000"), "{t}");
    }

    #[test]
    fn narrow_drops_by_rank_merges_and_never_breaks_a_word() {
        for w in [30, 40, 50, 60, 70, 80] {
            let t = Table::new(
                sample(),
                2,
                Style {
                    color: false,
                    width: Some(w),
                },
            )
            .to_string();
            assert!(widest(&t) <= w, "{w}:\n{t}");
            for word in ["172.16.16.102:34542", "[::1]:50316"] {
                assert!(t.contains(word), "{w}:\n{t}");
            }
        }
        let t = Table::new(
            sample(),
            2,
            Style {
                color: false,
                width: Some(70),
            },
        )
        .to_string();
        assert!(t.contains("30000/30000") && !t.contains("12.500000"), "{t}");
        // Too narrow for the rank-0 fields: records.
        let t = Table::new(
            sample(),
            2,
            Style {
                color: false,
                width: Some(31),
            },
        )
        .to_string();
        assert!(t.starts_with("Stream"), "{t}");
        // The address does not fit beside the labels: under its label, whole.
        assert!(t.contains("\nClient\n  172.16.16.102:34542\n"), "{t}");
        assert!(t.contains("\nClient         [::1]:50316\n"), "{t}");
        assert!(widest(&t) <= 31, "{t}");
    }
}
