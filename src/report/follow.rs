//! The follow view of one TCP stream for a terminal: each chunk in time order, marked with
//! its direction, its text escaped and broken at its line ends and at the width.

use std::fmt::Write;

use super::escape::escape_bytes;
use super::seconds_text;
use crate::analysis::follow::Followed;
use crate::analysis::tcp::Direction;
use crate::checks::plural;
use crate::pipeline::signed_nanos;

/// The view, lines at most `width` columns (a line of text is wrapped, never cut).
pub fn follow(f: &Followed, origin: std::time::Duration, width: usize) -> String {
    let mut out = String::new();
    let Some((client, server)) = f.ends else {
        let _ = writeln!(
            out,
            "follow tcp.stream {}: no bytes in that stream",
            f.stream
        );
        return out;
    };
    let _ = writeln!(out, "follow tcp.stream {}", f.stream);
    let count = |n: u64| plural(usize::try_from(n).unwrap_or(usize::MAX), "byte");
    let _ = writeln!(out, "  client {client} sent {}", count(f.bytes.0));
    let _ = writeln!(out, "  server {server} sent {}", count(f.bytes.1));
    let width = width.max(20);
    for chunk in &f.chunks {
        let t = seconds_text(signed_nanos(chunk.ts) - signed_nanos(origin), 6);
        let (who, indent) = match chunk.dir {
            Direction::ClientToServer => ("client →", "  "),
            Direction::ServerToClient => ("← server", "      "),
        };
        let _ = writeln!(out, "\n{t} {who} {}", plural(chunk.bytes.len(), "byte"));
        for line in chunk.bytes.split_inclusive(|&b| b == b'\n') {
            let text = escape_bytes(line);
            let chars: Vec<char> = text.chars().collect();
            let room = width.saturating_sub(indent.len()).max(8);
            for piece in chars.chunks(room) {
                let piece: String = piece.iter().collect();
                let _ = writeln!(out, "{indent}{piece}");
            }
        }
    }
    if f.left_out > 0 {
        let _ = writeln!(
            out,
            "\n… {} more bytes not shown (raise --follow-limit)",
            f.left_out
        );
    }
    out
}
