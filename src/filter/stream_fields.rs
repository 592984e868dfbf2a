//! The HTTP and TLS fields of a packet, read from its TCP payload as Wireshark reads a message
//! that a segment carries whole: `http.request` where the payload opens with a request line,
//! `http.response` with a status line, their header fields from the same segment; `tls` where
//! it opens with a TLS record, the handshake messages of its plaintext handshake records, the
//! ClientHello's server name. (Wireshark marks a message that spans segments on the segment
//! that completes it; here it is the one that starts it.)

use tls_parser::TlsMessageHandshake;
use tls_parser::{parse_tls_extensions, parse_tls_message_handshake, TlsExtension, TlsMessage};

/// Request methods Wireshark's HTTP dissector knows at the start of a request line.
const METHODS: [&str; 9] = [
    "GET ", "POST ", "PUT ", "DELETE ", "HEAD ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ",
];

/// An HTTP message head in one segment.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct HttpHead {
    /// The request method (requests).
    pub method: Option<String>,
    /// The request target (requests).
    pub uri: Option<String>,
    /// The status code (responses).
    pub code: Option<u64>,
    /// `Host`.
    pub host: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
}

/// The HTTP message head `payload` opens with, if any.
pub fn http(payload: &[u8]) -> Option<HttpHead> {
    let request = METHODS.iter().any(|m| payload.starts_with(m.as_bytes()));
    if !request && !payload.starts_with(b"HTTP/1.") {
        return None;
    }
    let end = payload
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(payload.len(), |p| p + 2);
    let head = String::from_utf8_lossy(&payload[..end]);
    let mut lines = head.split("\r\n");
    let first = lines.next().unwrap_or("");
    // A request line ends with its version, as Wireshark requires: `GET file.txt` of a course
    // file server is no HTTP.
    if request
        && !first
            .rsplit(' ')
            .next()
            .is_some_and(|v| v.starts_with("HTTP/"))
    {
        return None;
    }
    let mut words = first.splitn(3, ' ');
    let mut out = HttpHead::default();
    if request {
        out.method = words.next().map(str::to_string);
        out.uri = words.next().map(str::to_string);
    } else {
        words.next();
        out.code = words.next().and_then(|c| c.parse().ok());
    }
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = Some(value.trim().to_string());
        match name.trim().to_ascii_lowercase().as_str() {
            "host" => out.host = value,
            "content-type" => out.content_type = value,
            _ => {}
        }
    }
    Some(out)
}

/// The TLS records a segment carries.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TlsRecords {
    /// Handshake message types of its plaintext handshake records, in order.
    pub handshake_types: Vec<u64>,
    /// The server name of a ClientHello in it.
    pub sni: Option<String>,
}

/// The TLS records `payload` opens with, if it opens with one.
pub fn tls(payload: &[u8]) -> Option<TlsRecords> {
    let record = |p: &[u8]| p.len() >= 5 && (20..=23).contains(&p[0]) && p[1] == 3 && p[2] <= 4;
    if !record(payload) {
        return None;
    }
    let mut out = TlsRecords::default();
    let mut rest = payload;
    while record(rest) {
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        let body = &rest[5..(5 + len).min(rest.len())];
        if rest[0] == 22 {
            handshakes(body, &mut out);
        }
        if rest.len() < 5 + len {
            break;
        }
        rest = &rest[5 + len..];
    }
    Some(out)
}

/// The handshake messages of one record, when they parse (an encrypted Finished does not).
fn handshakes(mut body: &[u8], out: &mut TlsRecords) {
    while body.len() >= 4 {
        let len = (usize::from(body[1]) << 16) | (usize::from(body[2]) << 8) | usize::from(body[3]);
        if body.len() < 4 + len {
            return;
        }
        let Ok((_, TlsMessage::Handshake(message))) = parse_tls_message_handshake(&body[..4 + len])
        else {
            return;
        };
        out.handshake_types.push(u64::from(body[0]));
        if let TlsMessageHandshake::ClientHello(hello) = message {
            if let Some(Ok((_, extensions))) = hello.ext.map(parse_tls_extensions) {
                for e in extensions {
                    if let TlsExtension::SNI(names) = e {
                        out.sni = names
                            .first()
                            .map(|(_, n)| String::from_utf8_lossy(n).into_owned());
                    }
                }
            }
        }
        body = &body[4 + len..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_read_from_the_segment() {
        let r = http(b"GET /video HTTP/1.0\r\nHost: mesin1:8885\r\n\r\n").unwrap();
        assert_eq!(
            (r.method.as_deref(), r.uri.as_deref()),
            (Some("GET"), Some("/video"))
        );
        assert_eq!(r.host.as_deref(), Some("mesin1:8885"));
        let r = http(b"HTTP/1.0 302 Found\r\nContent-Type: text/plain\r\n\r\n").unwrap();
        assert_eq!(
            (r.code, r.content_type.as_deref()),
            (Some(302), Some("text/plain"))
        );
        assert_eq!(http(b"TIME\r\n"), None);
        assert_eq!(
            tls(b"\x17\x03\x03\x00\x02ab").unwrap().handshake_types,
            Vec::<u64>::new()
        );
        assert_eq!(tls(b"GET / HTTP/1.0\r\n"), None);
    }
}
