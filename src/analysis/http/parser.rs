//! One direction of an HTTP/1.x connection, parsed as its bytes arrive in order: a message
//! head (request or status line and headers, parsed by httparse), then its body by
//! Content-Length, chunked transfer coding, or (a response without either) until the close.

use crate::analysis::memory::heap;

/// A message head, as parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Head {
    /// Request method (requests).
    pub method: Option<String>,
    /// Request target (requests).
    pub uri: Option<String>,
    /// Status code (responses).
    pub status: Option<u16>,
    /// Reason phrase (responses).
    pub reason: Option<String>,
    /// HTTP/1.0 or HTTP/1.1.
    pub version: u8,
    /// `Host`.
    pub host: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Content-Length`.
    pub content_length: Option<u64>,
    /// `Location`.
    pub location: Option<String>,
    /// `Transfer-Encoding: chunked`.
    pub chunked: bool,
    /// `Connection: close`.
    pub close: bool,
}

impl Head {
    /// Bytes its texts hold, as heap blocks.
    pub fn held(&self) -> usize {
        [
            &self.method,
            &self.uri,
            &self.reason,
            &self.host,
            &self.content_type,
            &self.location,
        ]
        .iter()
        .map(|s| s.as_ref().map_or(0, |s| heap(s.capacity())))
        .sum()
    }
}

/// A complete message: its head and how many body bytes followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// The head.
    pub head: Head,
    /// Body bytes (decoded length for chunked bodies).
    pub body_bytes: u64,
}

/// What the parser expects next.
#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    /// A message head (bytes held until the blank line).
    Head,
    /// This many body bytes.
    Body(u64),
    /// A chunk-size line.
    ChunkSize,
    /// Chunk data and its CRLF: bytes left.
    ChunkData(u64),
    /// Trailer lines after the last chunk.
    Trailer,
    /// Everything until the connection closes.
    UntilClose,
    /// Not HTTP (or broken beyond repair): ignore the rest.
    Lost,
}

/// Longest head held (Wireshark's default limits are of this order).
const MAX_HEAD: usize = 64 * 1024;

/// Parses one direction.
#[derive(Clone, Debug)]
pub struct Parser {
    request: bool,
    state: State,
    held: Vec<u8>,
    head: Head,
    body: u64,
}

impl Parser {
    /// Bytes held: a partial head and what was read of it.
    pub fn held(&self) -> usize {
        heap(self.held.capacity()) + self.head.held()
    }

    /// A parser of requests (`request`) or responses.
    pub fn new(request: bool) -> Parser {
        Parser {
            request,
            state: State::Head,
            held: Vec::new(),
            head: Head::default(),
            body: 0,
        }
    }

    /// True once the stream was found not to be HTTP.
    pub fn lost(&self) -> bool {
        self.state == State::Lost
    }

    /// Feeds in-order bytes; `out` gets each message completed. `head_only` says the response
    /// answers a HEAD request (no body follows).
    pub fn feed(
        &mut self,
        mut data: &[u8],
        head_only: &mut dyn FnMut() -> bool,
        out: &mut dyn FnMut(Parsed),
    ) {
        while !data.is_empty() {
            match self.state.clone() {
                State::Lost => return,
                State::Head => {
                    let before = self.held.len();
                    let take = data.len().min(MAX_HEAD + 4 - before);
                    self.held.extend_from_slice(&data[..take]);
                    match self.parse_head() {
                        Ok(Some(used)) => {
                            let consumed = used - before;
                            data = &data[consumed..];
                            self.held.clear();
                            self.start_body(head_only());
                            if self.state == State::Head {
                                self.complete(out);
                            }
                        }
                        Ok(None) if self.held.len() <= MAX_HEAD => return,
                        _ => {
                            self.state = State::Lost;
                            self.held = Vec::new();
                            return;
                        }
                    }
                }
                State::Body(left) => {
                    let n = left.min(data.len() as u64);
                    self.body += n;
                    data = &data[n as usize..];
                    if n == left {
                        self.state = State::Head;
                        self.complete(out);
                    } else {
                        self.state = State::Body(left - n);
                    }
                }
                State::UntilClose => {
                    self.body += data.len() as u64;
                    return;
                }
                State::ChunkSize | State::Trailer => {
                    let Some(end) = data.iter().position(|&b| b == b'\n') else {
                        if self.held.len() + data.len() > 1024 {
                            self.state = State::Lost;
                        } else {
                            self.held.extend_from_slice(data);
                        }
                        return;
                    };
                    self.held.extend_from_slice(&data[..end]);
                    data = &data[end + 1..];
                    let line = std::mem::take(&mut self.held);
                    let line = String::from_utf8_lossy(&line);
                    let line = line.trim();
                    if self.state == State::Trailer {
                        if line.is_empty() {
                            self.state = State::Head;
                            self.complete(out);
                        }
                        continue;
                    }
                    let size = line.split(';').next().unwrap_or("").trim();
                    match u64::from_str_radix(size, 16) {
                        Ok(0) => self.state = State::Trailer,
                        Ok(n) => {
                            self.body += n;
                            self.state = State::ChunkData(n + 2);
                        }
                        Err(_) => self.state = State::Lost,
                    }
                }
                State::ChunkData(left) => {
                    let n = left.min(data.len() as u64);
                    data = &data[n as usize..];
                    self.state = if n == left {
                        State::ChunkSize
                    } else {
                        State::ChunkData(left - n)
                    };
                }
            }
        }
    }

    /// The connection closed: a body read until the close is complete.
    pub fn close(&mut self, out: &mut dyn FnMut(Parsed)) {
        if self.state == State::UntilClose {
            self.state = State::Head;
            self.complete(out);
        }
    }

    fn complete(&mut self, out: &mut dyn FnMut(Parsed)) {
        out(Parsed {
            head: std::mem::take(&mut self.head),
            body_bytes: std::mem::take(&mut self.body),
        });
    }

    fn start_body(&mut self, head_only: bool) {
        let h = &self.head;
        let no_body =
            !self.request && (head_only || matches!(h.status, Some(100..=199 | 204 | 304)));
        self.state = if no_body {
            State::Head
        } else if h.chunked {
            State::ChunkSize
        } else if let Some(n) = h.content_length {
            if n == 0 {
                State::Head
            } else {
                State::Body(n)
            }
        } else if self.request {
            State::Head
        } else {
            State::UntilClose
        };
    }

    /// Parses the held bytes as a head: bytes used when complete, `None` when more are needed.
    fn parse_head(&mut self) -> Result<Option<usize>, ()> {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let (used, mut head, list) = if self.request {
            let mut r = httparse::Request::new(&mut headers);
            match r.parse(&self.held) {
                Ok(httparse::Status::Complete(n)) => (
                    n,
                    Head {
                        method: r.method.map(str::to_string),
                        uri: r.path.map(str::to_string),
                        version: r.version.unwrap_or(1),
                        ..Head::default()
                    },
                    r.headers.to_vec(),
                ),
                Ok(httparse::Status::Partial) => return Ok(None),
                Err(_) => return Err(()),
            }
        } else {
            let mut r = httparse::Response::new(&mut headers);
            match r.parse(&self.held) {
                Ok(httparse::Status::Complete(n)) => (
                    n,
                    Head {
                        status: r.code,
                        reason: r.reason.map(str::to_string),
                        version: r.version.unwrap_or(1),
                        ..Head::default()
                    },
                    r.headers.to_vec(),
                ),
                Ok(httparse::Status::Partial) => return Ok(None),
                Err(_) => return Err(()),
            }
        };
        for h in &list {
            let value = || String::from_utf8_lossy(h.value).trim().to_string();
            match h.name.to_ascii_lowercase().as_str() {
                "host" => head.host = Some(value()),
                "content-type" => head.content_type = Some(value()),
                "content-length" => head.content_length = value().parse().ok(),
                "location" => head.location = Some(value()),
                "transfer-encoding" => {
                    head.chunked = value().to_ascii_lowercase().contains("chunked")
                }
                "connection" => head.close = value().eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        self.head = head;
        Ok(Some(used))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(request: bool, pieces: &[&[u8]], close: bool) -> Vec<Parsed> {
        let mut p = Parser::new(request);
        let mut out = Vec::new();
        for piece in pieces {
            p.feed(piece, &mut || false, &mut |m| out.push(m));
        }
        if close {
            p.close(&mut |m| out.push(m));
        }
        out
    }

    #[test]
    fn pipelined_requests_split_anywhere() {
        let got = parse(
            true,
            &[
                b"GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST /u",
                b"p HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
            ],
            false,
        );
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].head.method.as_deref(), Some("GET"));
        assert_eq!(got[0].head.host.as_deref(), Some("a"));
        assert_eq!(
            (got[1].head.uri.as_deref(), got[1].body_bytes),
            (Some("/up"), 3)
        );
    }

    #[test]
    fn bodies_by_length_chunks_and_close() {
        let got = parse(
            false,
            &[
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;x=1\r\n",
                b"abc\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
            ],
            false,
        );
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].head.status, got[0].body_bytes), (Some(200), 8));
        assert_eq!(got[1].head.status, Some(204));
        let got = parse(
            false,
            &[b"HTTP/1.0 302 Found\r\nLocation: https://youtu.be/x\r\n\r\nmoved"],
            true,
        );
        assert_eq!(got[0].head.location.as_deref(), Some("https://youtu.be/x"));
        assert_eq!(got[0].body_bytes, 5);
    }

    #[test]
    fn not_http_is_given_up() {
        let mut p = Parser::new(true);
        p.feed(b"TIME\r\n\r\n", &mut || false, &mut |_| {
            panic!("not a request")
        });
        assert!(p.lost());
    }
}
