//! Payload for a terminal: text with control bytes escaped, and a hexdump like Wireshark's
//! bytes pane. Nothing raw ever reaches the terminal.

/// Escapes bytes as Python's `repr` of `bytes` does (`\n`, `\t`, `\x07`, `\\`), so the lab's
/// `received b'…'` log lines and labcap agree. Printable ASCII passes through.
pub fn escape_bytes(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len());
    for &b in data {
        match b {
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            other => out.push_str(&format!("\\x{other:02x}")),
        }
    }
    out
}

/// Removes control characters from text meant for a terminal (host names, file names).
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Text for XML and HTML (SVG diagrams, the grade pages): `& < > " '` as entities, and the
/// characters XML 1.0 forbids or a page should not carry (control characters) as `?`. Safe in
/// element content and in quoted attribute values.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() || matches!(c, '\u{fffe}' | '\u{ffff}') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// The first bytes of `data` as escaped text (see [`escape_bytes`]) of at most `max_chars`
/// characters, never cutting an escape in two; true when something was left out.
pub fn escape_bytes_cut(data: &[u8], max_chars: usize) -> (String, bool) {
    let mut out = String::new();
    for &b in data {
        let piece = escape_bytes(&[b]);
        if out.len() + piece.len() > max_chars {
            return (out, true);
        }
        out.push_str(&piece);
    }
    (out, false)
}

/// A hexdump: offset, 16 bytes in two groups of 8, and the printable ASCII, one line each.
pub fn hexdump(data: &[u8]) -> String {
    let mut out = String::new();
    for (row, chunk) in data.chunks(16).enumerate() {
        out.push_str(&format!("{:04x}  ", row * 16));
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => out.push_str(&format!("{b:02x} ")),
                None => out.push_str("   "),
            }
            if i == 7 {
                out.push(' ');
            }
        }
        out.push(' ');
        out.extend(chunk.iter().map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        }));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bytes_never_reach_the_terminal() {
        assert_eq!(
            escape_bytes(b"hi\n\x1b[2J\x00\xff\\"),
            "hi\\n\\x1b[2J\\x00\\xff\\\\"
        );
        assert_eq!(sanitize("a\u{1b}b\u{7}"), "a?b?");
    }

    #[test]
    fn markup_and_control_characters_are_escaped_for_xml() {
        assert_eq!(
            xml("<a href=\"x\">&'\u{1b}\u{0}é</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;??é&lt;/a&gt;"
        );
    }

    #[test]
    fn cut_escapes_stay_whole() {
        assert_eq!(escape_bytes_cut(b"ab\x1bcd", 4), ("ab".to_string(), true));
        assert_eq!(
            escape_bytes_cut(b"ab\x1bcd", 6),
            ("ab\\x1b".to_string(), true)
        );
        assert_eq!(escape_bytes_cut(b"ab", 6), ("ab".to_string(), false));
    }

    #[test]
    fn hexdump_matches_wiresharks_layout() {
        let dump = hexdump(b"INI ADALAH DATA YANG\n");
        let lines: Vec<&str> = dump.lines().collect();
        assert_eq!(
            lines[0],
            "0000  49 4e 49 20 41 44 41 4c  41 48 20 44 41 54 41 20  INI ADALAH DATA "
        );
        assert_eq!(
            lines[1],
            "0010  59 41 4e 47 0a                                    YANG."
        );
    }
}
