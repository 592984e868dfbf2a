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

/// True for characters that must not reach a terminal raw: control characters (C0, DEL, C1:
/// escape sequences start with them) and the bidirectional overrides and isolates, which make
/// a terminal show text in another order than it is ("Trojan Source").
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text for a terminal (DNS names, file names, filter texts echoed in errors): characters
/// that could drive the terminal are escaped as payloads are (`\x1b`, `\n`; `\u{202e}` above
/// U+00FF); everything else, non-ASCII letters included, passes through. Borrowed when there
/// is nothing to escape.
pub fn escape_text(text: &str) -> std::borrow::Cow<'_, str> {
    // Printable ASCII (most names) is checked a byte at a time, the rest a character at a time.
    if text.bytes().all(|b| matches!(b, 0x20..=0x7e)) || !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) && (c as u32) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Escapes what must not reach a terminal in a message of several lines (an error with a
/// caret under a column): as [`escape_text`], but line breaks stay.
pub fn escape_lines(text: &str) -> String {
    text.split('\n')
        .map(escape_text)
        .collect::<Vec<_>>()
        .join("\n")
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
        assert_eq!(
            escape_text("www.\u{1b}[31mevil\u{9b}.com\u{202e}txt.exe ñ"),
            "www.\\x1b[31mevil\\x9b.com\\u{202e}txt.exe ñ"
        );
        assert!(matches!(
            escape_text("plain.pcap"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            escape_lines("bad \u{1b}]0;x\u{7}\n    ^ here"),
            "bad \\x1b]0;x\\x07\n    ^ here"
        );
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
