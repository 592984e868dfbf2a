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
