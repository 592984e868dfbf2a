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

use std::fmt::Write;

use super::{paint, Style, Tone};

/// Characters a column takes besides its content: a space on each side and a border.
const COLUMN_OVERHEAD: usize = 3;
/// A column of free text is given at least this many characters (or its widest line, if
/// narrower), so that it does not wrap into a word a line.
const WRAP_FLOOR: usize = 16;

/// One column: a header and a text per row.
pub struct Col {
    header: String,
    cells: Vec<String>,
    tones: Vec<Option<Tone>>,
    right: bool,
    wrap: bool,
}

impl Col {
    /// A left-aligned column of text that is never broken.
    pub fn new(header: &str, cells: Vec<String>) -> Col {
        Col {
            header: header.to_string(),
            tones: vec![None; cells.len()],
            cells,
            right: false,
            wrap: false,
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

    /// Width with nothing wrapped.
    fn natural(&self) -> usize {
        self.cells
            .iter()
            .chain(std::iter::once(&self.header))
            .map(|t| longest_line(t))
            .max()
            .unwrap_or(0)
    }

    /// The narrowest this column may be: its header may wrap at spaces, its cells only when
    /// they are free text, and never inside a word.
    fn least(&self) -> usize {
        let cells = self.cells.iter();
        let content = if self.wrap {
            let words = cells.clone().map(|t| longest_word(t)).max().unwrap_or(0);
            let lines = cells.map(|t| longest_line(t)).max().unwrap_or(0);
            words.max(lines.min(WRAP_FLOOR))
        } else {
            cells.map(|t| longest_line(t)).max().unwrap_or(0)
        };
        content.max(longest_word(&self.header))
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

/// The table of `rows` rows, drawn for `style`.
pub fn render(fields: &[Field], rows: usize, style: Style) -> String {
    let full = || -> Vec<(&Col, Option<usize>)> {
        fields
            .iter()
            .flat_map(|f| f.forms[0].iter().map(|c| (c, None)))
            .collect()
    };
    let Some(width) = style.width else {
        return grid(&full(), rows, style.color);
    };
    let wide: usize = fields
        .iter()
        .flat_map(|f| &f.forms[0])
        .map(|c| c.natural() + COLUMN_OVERHEAD)
        .sum::<usize>()
        + 1;
    if wide <= width {
        return grid(&full(), rows, style.color);
    }
    match fit(fields, width) {
        Some(cols) => grid(&cols, rows, style.color),
        None => records(fields, rows, width, style.color),
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
/// large capture's summary it took a sixth of the whole replay.
fn grid(cols: &[(&Col, Option<usize>)], rows: usize, color: bool) -> String {
    let lines = |text: &str, w: Option<usize>| -> Vec<String> {
        let pieces = match w {
            Some(w) => wrap(text, w, false),
            None => vec![text.to_string()],
        };
        pieces
            .iter()
            .flat_map(|p| p.split('\n').map(str::to_string))
            .collect()
    };
    let header: Vec<Vec<String>> = cols.iter().map(|(c, w)| lines(&c.header, *w)).collect();
    let body: Vec<Vec<Vec<String>>> = (0..rows)
        .map(|r| cols.iter().map(|(c, w)| lines(&c.cells[r], *w)).collect())
        .collect();
    let widths: Vec<usize> = (0..cols.len())
        .map(|i| {
            std::iter::once(&header[i])
                .chain(body.iter().map(|row| &row[i]))
                .flatten()
                .map(|l| width(l))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let rule = |left: &str, fill: &str, join: &str, right: &str| {
        let parts: Vec<String> = widths.iter().map(|w| fill.repeat(w + 2)).collect();
        format!("{left}{}{right}\n", parts.join(join))
    };
    let mut out = rule("┌", "─", "┬", "┐");
    let row_lines = |out: &mut String, cells: &[Vec<String>], r: Option<usize>| {
        let height = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        for k in 0..height {
            out.push('│');
            for (i, (col, _)) in cols.iter().enumerate() {
                if i > 0 {
                    out.push('┆');
                }
                let text = cells[i].get(k).map_or("", String::as_str);
                let pad = " ".repeat(widths[i] - width(text));
                let shown = match r.and_then(|r| col.tones[r]) {
                    Some(tone) => paint(text, tone, color),
                    None => text.to_string(),
                };
                if r.is_some() && col.right {
                    let _ = write!(out, " {pad}{shown} ");
                } else {
                    let _ = write!(out, " {shown}{pad} ");
                }
            }
            out.push_str("│\n");
        }
    };
    row_lines(&mut out, &header, None);
    out.push_str(&rule("╞", "═", "╪", "╡"));
    for (r, cells) in body.iter().enumerate() {
        row_lines(&mut out, cells, Some(r));
    }
    out.push_str(&rule("└", "─", "┴", "┘"));
    out.pop();
    out
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
            let text = &col.cells[r];
            if text.is_empty() {
                continue;
            }
            let paint = |line: &str| match col.tones[r] {
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
        let n = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
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
        let t = render(&sample(), 2, Style::default());
        assert!(
            t.contains("Bytes c→s") && t.contains("one two three four"),
            "{t}"
        );
        assert!(t.contains("12.500000"), "{t}");
    }

    #[test]
    fn narrow_drops_by_rank_merges_and_never_breaks_a_word() {
        for w in [30, 40, 50, 60, 70, 80] {
            let t = render(
                &sample(),
                2,
                Style {
                    color: false,
                    width: Some(w),
                },
            );
            assert!(widest(&t) <= w, "{w}:\n{t}");
            for word in ["172.16.16.102:34542", "[::1]:50316"] {
                assert!(t.contains(word), "{w}:\n{t}");
            }
        }
        let t = render(
            &sample(),
            2,
            Style {
                color: false,
                width: Some(70),
            },
        );
        assert!(t.contains("30000/30000") && !t.contains("12.500000"), "{t}");
        // Too narrow for the rank-0 fields: records.
        let t = render(
            &sample(),
            2,
            Style {
                color: false,
                width: Some(31),
            },
        );
        assert!(t.starts_with("Stream"), "{t}");
        // The address does not fit beside the labels: under its label, whole.
        assert!(t.contains("\nClient\n  172.16.16.102:34542\n"), "{t}");
        assert!(t.contains("\nClient         [::1]:50316\n"), "{t}");
        assert!(widest(&t) <= 31, "{t}");
    }
}
