//! Sequence (ladder) diagrams of TCP connections as SVG, the picture a student hands in instead
//! of a screenshot of Wireshark's flow graph: the client's lane on the left, the server's on
//! the right (each labelled with its address:port), one arrow per segment in time order with
//! its flags, Seq/Ack and length, the first bytes of its payload (escaped and cut) under it,
//! the time since the capture's first packet on the left, and `tcp.analysis` findings (a
//! retransmission, a duplicate ACK…) as a red label on a dashed arrow.
//!
//! Several connections are drawn one below the other in the same picture, each with its own
//! header and lanes. Drawn for paper: black on white, 12 px monospace, 800 px wide; a lab
//! connection of ~20 segments fits one page. A connection with more segments than
//! [`DiagramOptions::max_arrows`] gets the first ones and a line saying how many were left out.
//!
//! Pure: connections in, an `<svg>` element out (no XML prolog, so it can be embedded in HTML
//! as it is; [`standalone`] adds the prolog for a file). Everything from the capture is
//! escaped; the picture has no ids, scripts or links.

use std::fmt::Write;
use std::time::Duration;

use super::escape::{escape_bytes_cut, xml};
use crate::analysis::tcp::{Connection, Direction, Event};
use crate::pipeline::signed_nanos;
use crate::wire::TcpFlags;

/// What to draw.
#[derive(Clone, Debug)]
pub struct DiagramOptions {
    /// Arrows drawn per connection; the rest are counted in a note.
    pub max_arrows: usize,
    /// Characters of escaped payload shown under an arrow.
    pub preview_chars: usize,
    /// Lines printed under the last connection (e.g. connections left out).
    pub notes: Vec<String>,
}

impl Default for DiagramOptions {
    fn default() -> DiagramOptions {
        DiagramOptions {
            max_arrows: 60,
            preview_chars: 48,
            notes: Vec::new(),
        }
    }
}

/// Width of the picture.
const WIDTH: f64 = 800.0;
/// The x of the client's and the server's lanes.
const CLIENT_X: f64 = 225.0;
const SERVER_X: f64 = 685.0;
/// Where the time column starts.
const TIME_X: f64 = 10.0;
/// Width of one character of the 12 px monospace font (DejaVu Sans Mono: 0.602 em), rounded up.
const CHAR: f64 = 7.3;
/// Red for findings: dark enough to read on paper, and the arrow is dashed too (black and
/// white printers).
const RED: &str = "#c00000";

/// An SVG document (with its XML prolog) of `connections`, for a file.
pub fn standalone(
    connections: &[&Connection],
    origin: Duration,
    options: &DiagramOptions,
) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        svg(connections, origin, options)
    )
}

/// The `<svg>` element of `connections`, one after another; times are seconds since `origin`
/// (the capture's first packet).
pub fn svg(connections: &[&Connection], origin: Duration, options: &DiagramOptions) -> String {
    let mut body = String::new();
    let mut y = 10.0;
    for (i, c) in connections.iter().enumerate() {
        if i > 0 {
            y += 16.0;
            let _ = writeln!(
                body,
                r##"<line x1="10" y1="{y:.0}" x2="{:.0}" y2="{y:.0}" stroke="#999" stroke-width="1"/>"##,
                WIDTH - 10.0
            );
            y += 16.0;
        }
        y = connection(&mut body, c, origin, options, y);
    }
    if connections.is_empty() {
        y += 14.0;
        let _ = writeln!(
            body,
            r#"<text x="{TIME_X}" y="{y:.0}">No TCP connection to draw.</text>"#
        );
        y += 6.0;
    }
    for note in &options.notes {
        y += 18.0;
        let _ = writeln!(
            body,
            r#"<text x="{TIME_X}" y="{y:.0}" font-style="italic">{}</text>"#,
            xml(note)
        );
    }
    let height = (y + 14.0).ceil();
    let title = match connections {
        [] => "TCP sequence diagram".to_string(),
        [c] => format!(
            "TCP sequence diagram of stream {}: {} → {}",
            c.stream, c.client, c.server
        ),
        cs => format!("TCP sequence diagram of {} connections", cs.len()),
    };
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {WIDTH:.0} {height:.0}\" role=\"img\" \
         font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"12\" \
         fill=\"#000\">\n<title>{}</title>\n\
         <rect x=\"0\" y=\"0\" width=\"{WIDTH:.0}\" height=\"{height:.0}\" fill=\"#fff\"/>\n\
         {body}</svg>\n",
        xml(&title)
    )
}

/// Draws one connection from `y` down; returns the y below it.
fn connection(
    out: &mut String,
    c: &Connection,
    origin: Duration,
    options: &DiagramOptions,
    mut y: f64,
) -> f64 {
    // Header: which connection, how it went.
    y += 14.0;
    let _ = writeln!(
        out,
        r#"<text x="{TIME_X}" y="{y:.0}" font-size="14" font-weight="bold">{}</text>"#,
        xml(&format!("Stream {}: {} → {}", c.stream, c.client, c.server))
    );
    y += 17.0;
    let close = if c.refused() {
        "refused"
    } else {
        c.close().as_str()
    };
    let recorded = c.events.len() as u64 + c.events_dropped;
    let _ = writeln!(
        out,
        r##"<text x="{TIME_X}" y="{y:.0}" fill="#333">{}</text>"##,
        xml(&format!(
            "{} segments, handshake {}, close {close}, {} bytes to the server, {} back; \
             state {} history {}",
            recorded,
            if c.handshake { "yes" } else { "no" },
            c.c2s.bytes(),
            c.s2c.bytes(),
            c.zeek.conn_state(),
            c.zeek.history
        ))
    );
    // The lanes' labels.
    y += 12.0;
    let top = y;
    for (x, role, end) in [
        (CLIENT_X, "client", c.client),
        (SERVER_X, "server", c.server),
    ] {
        let text = end.to_string();
        let w = ((text.len().max(role.len()) as f64) * CHAR + 16.0).max(120.0);
        let _ = writeln!(
            out,
            r##"<rect x="{:.1}" y="{top:.0}" width="{w:.1}" height="36" fill="#fff" stroke="#000" stroke-width="1.2"/>"##,
            x - w / 2.0
        );
        let _ = writeln!(
            out,
            r#"<text x="{x:.0}" y="{:.0}" text-anchor="middle" font-weight="bold">{role}</text>"#,
            top + 15.0
        );
        let _ = writeln!(
            out,
            r#"<text x="{x:.0}" y="{:.0}" text-anchor="middle">{}</text>"#,
            top + 30.0,
            xml(&text)
        );
    }
    y = top + 36.0;
    let lanes_top = y;
    y += 16.0;
    let _ = writeln!(
        out,
        r##"<text x="{TIME_X}" y="{:.0}" fill="#333">time (s)</text>"##,
        y - 2.0
    );
    y += 6.0;

    let drawn = c.events.len().min(options.max_arrows);
    for (i, e) in c.events.iter().take(drawn).enumerate() {
        y = arrow(out, e, c.event_payload(i), origin, options, y);
    }
    let left_out = recorded - drawn as u64;
    let lanes_bottom = y + 6.0;
    for x in [CLIENT_X, SERVER_X] {
        let _ = writeln!(
            out,
            r##"<line x1="{x:.0}" y1="{lanes_top:.0}" x2="{x:.0}" y2="{lanes_bottom:.0}" stroke="#555" stroke-width="1"/>"##
        );
    }
    y = lanes_bottom;
    let note = if recorded == 0 {
        Some("No segment of this connection was recorded.".to_string())
    } else if left_out > 0 {
        Some(format!(
            "… {left_out} more segments not drawn (the first {drawn} of {recorded} are shown)."
        ))
    } else {
        None
    };
    if let Some(note) = note {
        y += 16.0;
        let _ = writeln!(
            out,
            r#"<text x="{TIME_X}" y="{y:.0}" font-style="italic">{}</text>"#,
            xml(&note)
        );
    }
    y
}

/// The label of a segment: its flags (`SYN, ACK`), then the numbers that matter.
fn label(e: &Event) -> String {
    let mut text = e.flags.join(", ");
    if text.is_empty() {
        text.push_str("<none>");
    }
    let _ = write!(text, "  Seq={}", e.seq);
    if e.flags.has(TcpFlags::ACK) {
        let _ = write!(text, " Ack={}", e.ack);
    }
    if e.len > 0 || !e.flags.has(TcpFlags::SYN) {
        let _ = write!(text, " Len={}", e.len);
    }
    text
}

/// Draws one segment's arrow from `y` down; returns the y below it.
fn arrow(
    out: &mut String,
    e: &Event,
    payload: &[u8],
    origin: Duration,
    options: &DiagramOptions,
    y: f64,
) -> f64 {
    let (from, to) = match e.dir {
        Direction::ClientToServer => (CLIENT_X, SERVER_X),
        Direction::ServerToClient => (SERVER_X, CLIENT_X),
    };
    let mid = (CLIENT_X + SERVER_X) / 2.0;
    let findings = super::findings::info_labels(e.findings, e.dup_ack);
    let findings = findings.trim_end();
    let flagged = !findings.is_empty();
    let (y1, y2) = (y + 17.0, y + 25.0);
    // The label, above the arrow; findings first, in red.
    let mut text = String::new();
    if flagged {
        let _ = write!(
            text,
            r#"<tspan fill="{RED}" font-weight="bold">{}</tspan> "#,
            xml(findings)
        );
    }
    text.push_str(&xml(&label(e)));
    let _ = writeln!(
        out,
        r#"<text x="{mid:.0}" y="{:.0}" text-anchor="middle">{text}</text>"#,
        y + 12.0
    );
    // Time, level with the arrow's start.
    let time = super::seconds_text(signed_nanos(e.ts) - signed_nanos(origin), 6);
    let _ = writeln!(
        out,
        r#"<text x="{TIME_X}" y="{:.0}">{}</text>"#,
        y1 + 4.0,
        xml(&time)
    );
    // The arrow: a line and a filled head at the receiver's lane.
    let (stroke, dash) = if flagged {
        (RED, r#" stroke-dasharray="6 3""#)
    } else {
        ("#000", "")
    };
    // The tip stops a pixel short of the lane; the line ends where the head begins.
    let tip = to - (to - from).signum();
    let (dx, dy) = (tip - from, y2 - y1);
    let len = (dx * dx + dy * dy).sqrt();
    let (ux, uy) = (dx / len, dy / len);
    let base = (tip - ux * 10.0, y2 - uy * 10.0);
    let _ = writeln!(
        out,
        r#"<line x1="{from:.0}" y1="{y1:.0}" x2="{:.1}" y2="{:.1}" stroke="{stroke}" stroke-width="1.5"{dash}/>"#,
        base.0, base.1
    );
    let (px, py) = (-uy * 4.0, ux * 4.0);
    let _ = writeln!(
        out,
        r#"<polygon points="{tip:.1},{y2:.1} {:.1},{:.1} {:.1},{:.1}" fill="{stroke}"/>"#,
        base.0 + px,
        base.1 + py,
        base.0 - px,
        base.1 - py
    );
    let mut bottom = y + 31.0;
    if e.len > 0 && !payload.is_empty() {
        let (shown, cut) = escape_bytes_cut(payload, options.preview_chars);
        let more = if cut || (payload.len() as u32) < e.len {
            "…"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            r##"<text x="{mid:.0}" y="{:.0}" text-anchor="middle" font-size="11" font-style="italic" fill="#222">{}</text>"##,
            y + 38.0,
            xml(&format!("b'{shown}'{more}"))
        );
        // The gap under the payload keeps it with its own arrow, apart from the next label.
        bottom += 19.0;
    }
    bottom
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::tcp::Findings;
    use crate::analysis::Endpoint;

    const S: u16 = TcpFlags::SYN;
    const A: u16 = TcpFlags::ACK;
    const P: u16 = TcpFlags::PSH;
    const F: u16 = TcpFlags::FIN;

    fn end(last: u8, port: u16) -> Endpoint {
        Endpoint {
            ip: std::net::Ipv4Addr::new(172, 16, 16, last).into(),
            port,
        }
    }

    /// Direction, flags, seq, ack, len, findings, payload.
    type Step<'a> = (Direction, u16, u32, u32, u32, u16, &'a [u8]);

    /// An echo connection with the given client payload, the echo retransmitted once.
    fn echo(stream: u32, message: &[u8]) -> Connection {
        let mut c = Connection::new(stream, end(102, 45678), end(101, 10000), Duration::ZERO);
        let n = message.len() as u32;
        let c2s = Direction::ClientToServer;
        let s2c = Direction::ServerToClient;
        let steps: [Step<'_>; 9] = [
            (c2s, S, 0, 0, 0, 0, b""),
            (s2c, S | A, 0, 1, 0, 0, b""),
            (c2s, A, 1, 1, 0, 0, b""),
            (c2s, P | A, 1, 1, n, 0, message),
            (s2c, P | A, 1, 1 + n, n, 0, message),
            (s2c, P | A, 1, 1 + n, n, Findings::RETRANSMISSION, message),
            (c2s, F | A, 1 + n, 1 + n, 0, 0, b""),
            (s2c, F | A, 1 + n, 2 + n, 0, 0, b""),
            (c2s, A, 2 + n, 2 + n, 0, 0, b""),
        ];
        for (i, (dir, flags, seq, ack, len, findings, data)) in steps.into_iter().enumerate() {
            c.events.push(Event {
                ts: Duration::from_micros(1_000 + 250 * i as u64),
                dir,
                flags: TcpFlags(flags),
                seq,
                ack,
                len,
                win: 64240,
                findings: Findings(findings),
                dup_ack: None,
            });
            c.event_payloads.push(data.into());
        }
        c
    }

    /// Every text node of the document, joined by newlines.
    fn texts(doc: &roxmltree::Document<'_>) -> String {
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| {
                n.descendants()
                    .filter(|d| d.is_text())
                    .filter_map(|d| d.text())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_connection_is_drawn_with_its_lanes_arrows_payload_and_findings() {
        let c = echo(3, b"INI ADALAH DATA YANG DIKIRIM");
        let svg = standalone(&[&c], Duration::ZERO, &DiagramOptions::default());
        let doc = roxmltree::Document::parse(&svg).expect("valid XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        let text = texts(&doc);
        for wanted in [
            "Stream 3: 172.16.16.102:45678 → 172.16.16.101:10000",
            "client",
            "server",
            "172.16.16.102:45678",
            "172.16.16.101:10000",
            "SYN  Seq=0",
            "SYN, ACK  Seq=0 Ack=1",
            "ACK  Seq=1 Ack=1 Len=0",
            "PSH, ACK  Seq=1 Ack=1 Len=28",
            "b'INI ADALAH DATA YANG DIKIRIM'",
            "[TCP Retransmission]",
            "FIN, ACK  Seq=29 Ack=29 Len=0",
            "0.001000",
            "0.003000",
            "time (s)",
        ] {
            assert!(text.contains(wanted), "{wanted:?} missing from:\n{text}");
        }
        // One arrow (a line and a head) per segment, and the two lanes.
        let count = |tag: &str| doc.descendants().filter(|n| n.has_tag_name(tag)).count();
        assert_eq!(count("polygon"), 9);
        assert_eq!(count("line"), 9 + 2);
        // The retransmission is red and dashed; the others black.
        let red: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("line") && n.attribute("stroke") == Some(RED))
            .collect();
        assert_eq!(red.len(), 1);
        assert_eq!(red[0].attribute("stroke-dasharray"), Some("6 3"));
        // No ids: several pictures can share an HTML page.
        assert!(doc.descendants().all(|n| n.attribute("id").is_none()));
    }

    #[test]
    fn payload_bytes_are_escaped_and_cut() {
        let c = echo(
            0,
            b"<b>&amp;</b>\x00\x1b[2J\"'\xff]]>tail of a long line that goes on and on",
        );
        let picture = svg(&[&c], Duration::ZERO, &DiagramOptions::default());
        assert!(!picture.contains("<b>"), "{picture}");
        assert!(!picture.contains('\u{1b}') && !picture.contains('\0'));
        let doc = roxmltree::Document::parse(&picture).expect("valid XML");
        let text = texts(&doc);
        // Control bytes as Python's repr has them, markup as text, cut at 48 characters.
        let shown = "b'<b>&amp;</b>\\x00\\x1b[2J\"'\\xff]]>tail of a long l'…";
        assert!(text.contains(shown), "{text}");
        // A segment whose payload was cut by the capture keeps its length and says it.
        let mut cut = echo(0, b"hello world");
        cut.event_payloads[3] = b"hel"[..].into();
        let doc_text = svg(&[&cut], Duration::ZERO, &DiagramOptions::default());
        assert!(doc_text.contains("b&#39;hel&#39;…"), "{doc_text}");
        assert!(doc_text.contains("Len=11"));
    }

    #[test]
    fn long_connections_are_capped_and_say_so() {
        let mut c = echo(7, b"x");
        let e = c.events[2];
        for i in 0..100u32 {
            c.events.push(Event {
                ts: e.ts + Duration::from_millis(u64::from(i)),
                ..e
            });
        }
        c.events_dropped = 40;
        let options = DiagramOptions {
            max_arrows: 20,
            notes: vec!["2 more connections not drawn".into()],
            ..Default::default()
        };
        let svg = svg(&[&c, &echo(8, b"y")], Duration::ZERO, &options);
        let doc = roxmltree::Document::parse(&svg).expect("valid XML");
        let text = texts(&doc);
        assert!(
            text.contains("… 129 more segments not drawn (the first 20 of 149 are shown)."),
            "{text}"
        );
        assert!(text.contains("Stream 8: "));
        assert!(text.contains("2 more connections not drawn"));
        assert_eq!(
            doc.descendants()
                .filter(|n| n.has_tag_name("polygon"))
                .count(),
            20 + 9
        );
        // The height is declared and holds everything.
        let height: f64 = doc
            .root_element()
            .attribute("height")
            .unwrap()
            .parse()
            .unwrap();
        let lowest = doc
            .descendants()
            .filter_map(|n| n.attribute("y").and_then(|y| y.parse::<f64>().ok()))
            .fold(0.0, f64::max);
        assert!(lowest < height, "{lowest} >= {height}");
    }

    #[test]
    fn nothing_to_draw_is_said() {
        let svg = svg(&[], Duration::ZERO, &DiagramOptions::default());
        let doc = roxmltree::Document::parse(&svg).expect("valid XML");
        assert!(texts(&doc).contains("No TCP connection to draw."));
        let empty = Connection::new(1, end(102, 1), end(101, 2), Duration::ZERO);
        let svg = super::svg(&[&empty], Duration::ZERO, &DiagramOptions::default());
        assert!(svg.contains("No segment of this connection was recorded."));
    }
}
