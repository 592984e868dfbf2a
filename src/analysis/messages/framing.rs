//! How a line or request/response protocol cuts its byte stream into messages, per port and
//! direction: `--frame 6666=crlf,blank-line` (requests end in CRLF, replies in a blank line).

use std::fmt;

/// Where a message ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// At `\r\n` (kept in the message).
    Crlf,
    /// At `\n` (kept).
    Lf,
    /// At `\r\n\r\n` (kept).
    BlankLine,
    /// After a 2-byte big-endian length prefix and that many bytes.
    Length2,
    /// After a 4-byte big-endian length prefix and that many bytes.
    Length4,
}

impl Framing {
    /// Parses `crlf`, `lf`, `blank-line`, `length:2` or `length:4`.
    pub fn parse(text: &str) -> Result<Framing, String> {
        Ok(match text.trim() {
            "crlf" => Framing::Crlf,
            "lf" => Framing::Lf,
            "blank-line" => Framing::BlankLine,
            "length:2" => Framing::Length2,
            "length:4" => Framing::Length4,
            other => {
                return Err(format!(
                    "unknown framing {other:?}: use crlf, lf, blank-line, length:2 or length:4"
                ))
            }
        })
    }
}

impl fmt::Display for Framing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Framing::Crlf => "crlf",
            Framing::Lf => "lf",
            Framing::BlankLine => "blank-line",
            Framing::Length2 => "length:2",
            Framing::Length4 => "length:4",
        })
    }
}

impl fmt::Display for FrameRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ports {
            None => write!(f, "any")?,
            Some((lo, hi)) if lo == hi => write!(f, "{lo}")?,
            Some((lo, hi)) => write!(f, "{lo}-{hi}")?,
        }
        write!(f, "={}", self.request)?;
        if self.response != self.request {
            write!(f, ",{}", self.response)?;
        }
        Ok(())
    }
}

/// Which server ports a framing applies to, and the framing of each direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameRule {
    /// The lowest server port, or `None` for any port.
    pub ports: Option<(u16, u16)>,
    /// How requests (client → server) end.
    pub request: Framing,
    /// How responses (server → client) end.
    pub response: Framing,
}

impl FrameRule {
    /// Parses `PORTS=FRAMING[,FRAMING]`: PORTS is a port, a range `6665-6677` or `any`; one
    /// framing serves both directions, two are requests then responses.
    pub fn parse(text: &str) -> Result<FrameRule, String> {
        let (ports, framing) = text
            .split_once('=')
            .ok_or("expected PORTS=FRAMING, e.g. 45000=crlf or 6666=crlf,blank-line")?;
        let port = |p: &str| {
            p.trim()
                .parse::<u16>()
                .map_err(|_| format!("{p:?} is not a port (0-65535)"))
        };
        let ports = match ports.trim() {
            "any" => None,
            range => match range.split_once('-') {
                Some((lo, hi)) => {
                    let (lo, hi) = (port(lo)?, port(hi)?);
                    if lo > hi {
                        return Err(format!("the port range {range} is empty"));
                    }
                    Some((lo, hi))
                }
                None => {
                    let p = port(range)?;
                    Some((p, p))
                }
            },
        };
        let (request, response) = match framing.split_once(',') {
            Some((a, b)) => (Framing::parse(a)?, Framing::parse(b)?),
            None => {
                let f = Framing::parse(framing)?;
                (f, f)
            }
        };
        Ok(FrameRule {
            ports,
            request,
            response,
        })
    }

    /// True when a connection to `port` is framed by this rule.
    pub fn applies(&self, port: u16) -> bool {
        self.ports.is_none_or(|(lo, hi)| (lo..=hi).contains(&port))
    }
}

/// Cuts one direction's in-order bytes into messages, holding at most `limit` bytes of an
/// unfinished one; past that the message is delivered cut, and framing resumes at the next
/// delimiter.
#[derive(Clone, Debug)]
pub struct Framer {
    framing: Framing,
    pending: Vec<u8>,
    /// Bytes of the current message beyond what is held.
    overflow: u64,
    /// The message being skipped was cut: wait for its end.
    skipping: bool,
}

/// A message as the framer delivers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cut<'a> {
    /// Its bytes, up to the limit.
    pub bytes: &'a [u8],
    /// Its whole length.
    pub len: u64,
}

impl Framer {
    /// A framer for `framing`.
    pub fn new(framing: Framing) -> Framer {
        Framer {
            framing,
            pending: Vec::new(),
            overflow: 0,
            skipping: false,
        }
    }

    /// Bytes held for an unfinished message.
    pub fn held(&self) -> usize {
        self.pending.capacity()
    }

    /// Feeds in-order bytes; `out` gets each complete message.
    pub fn feed(&mut self, mut data: &[u8], limit: usize, out: &mut dyn FnMut(Cut<'_>)) {
        while !data.is_empty() {
            let before = self.pending.len();
            let end = match self.framing {
                Framing::Crlf => self.find_end(data, b"\r\n"),
                Framing::Lf => self.find_end(data, b"\n"),
                Framing::BlankLine => self.find_end(data, b"\r\n\r\n"),
                Framing::Length2 | Framing::Length4 => self.length_end(data),
            };
            match end {
                Some(used) => {
                    let take = used.min(limit.saturating_sub(before));
                    self.pending.extend_from_slice(&data[..take]);
                    let len = (before + used) as u64 + self.overflow;
                    if !self.skipping || self.overflow == 0 {
                        out(Cut {
                            bytes: &self.pending,
                            len,
                        });
                    }
                    self.pending.clear();
                    if self.pending.capacity() > 4096 {
                        self.pending.shrink_to(4096);
                    }
                    self.overflow = 0;
                    self.skipping = false;
                    data = &data[used..];
                }
                None => {
                    let room = limit.saturating_sub(before);
                    let take = room.min(data.len());
                    self.pending.extend_from_slice(&data[..take]);
                    self.overflow += (data.len() - take) as u64;
                    if self.overflow > 0 && !self.skipping {
                        // Too long to hold: deliver what is held, then skip to its end.
                        out(Cut {
                            bytes: &self.pending,
                            len: self.pending.len() as u64 + self.overflow,
                        });
                        self.skipping = true;
                    }
                    let delimited = !matches!(self.framing, Framing::Length2 | Framing::Length4);
                    if self.skipping && delimited {
                        // Keep only enough to find the delimiter across deliveries.
                        let keep = 3.min(self.pending.len());
                        let from = self.pending.len() - keep;
                        self.overflow += from as u64;
                        self.pending.drain(..from);
                    }
                    return;
                }
            }
        }
    }

    /// Where the message ends in `data` (bytes of `data` it uses), looking across the held
    /// bytes for a delimiter split between deliveries.
    fn find_end(&self, data: &[u8], delimiter: &[u8]) -> Option<usize> {
        let carry = (delimiter.len() - 1).min(self.pending.len());
        let tail = &self.pending[self.pending.len() - carry..];
        for i in 0..carry {
            let n = carry - i;
            if delimiter.len() - n <= data.len()
                && tail[i..] == delimiter[..n]
                && data[..delimiter.len() - n] == delimiter[n..]
            {
                return Some(delimiter.len() - n);
            }
        }
        data.windows(delimiter.len())
            .position(|w| w == delimiter)
            .map(|p| p + delimiter.len())
    }

    /// Where a length-prefixed message ends in `data`.
    fn length_end(&self, data: &[u8]) -> Option<usize> {
        let width = if self.framing == Framing::Length2 {
            2
        } else {
            4
        };
        let have = self.pending.len() as u64 + self.overflow;
        let mut prefix = [0u8; 4];
        for (i, slot) in prefix.iter_mut().take(width).enumerate() {
            *slot = if i < self.pending.len() {
                self.pending[i]
            } else {
                *data.get(i - self.pending.len())?
            };
        }
        let body = if width == 2 {
            u64::from(u16::from_be_bytes([prefix[0], prefix[1]]))
        } else {
            u64::from(u32::from_be_bytes(prefix))
        };
        let total = width as u64 + body;
        let need = total.saturating_sub(have);
        (need <= data.len() as u64).then_some(need as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(framing: Framing, pieces: &[&[u8]], limit: usize) -> Vec<(Vec<u8>, u64)> {
        let mut f = Framer::new(framing);
        let mut out = Vec::new();
        for p in pieces {
            f.feed(p, limit, &mut |c| out.push((c.bytes.to_vec(), c.len)));
        }
        out
    }

    #[test]
    fn delimiters_split_across_deliveries_are_found() {
        let got = cut(Framing::Crlf, &[b"TIME\r", b"\nQUIT\r\nx"], 100);
        assert_eq!(got, [(b"TIME\r\n".to_vec(), 6), (b"QUIT\r\n".to_vec(), 6)]);
        let got = cut(Framing::BlankLine, &[b"{\"a\": 1}\r\n", b"\r", b"\n"], 100);
        assert_eq!(got, [(b"{\"a\": 1}\r\n\r\n".to_vec(), 12)]);
        let got = cut(Framing::Lf, &[b"a\nb\n"], 100);
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn length_prefixes_frame_messages() {
        let got = cut(Framing::Length2, &[b"\x00\x03ab", b"c\x00\x01z"], 100);
        assert_eq!(
            got,
            [(b"\x00\x03abc".to_vec(), 5), (b"\x00\x01z".to_vec(), 3)]
        );
        let got = cut(Framing::Length4, &[b"\x00\x00", b"\x00\x02hi"], 100);
        assert_eq!(got, [(b"\x00\x00\x00\x02hi".to_vec(), 6)]);
    }

    #[test]
    fn a_message_past_the_limit_is_cut_once_and_framing_resumes() {
        let long = vec![b'x'; 50];
        let got = cut(Framing::Crlf, &[&long, &long, b"\r\nNEXT\r\n"], 10);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, vec![b'x'; 10]);
        assert!(got[0].1 >= 50);
        assert_eq!(got[1], (b"NEXT\r\n".to_vec(), 6));
        let mut f = Framer::new(Framing::Crlf);
        f.feed(&vec![b'y'; 1 << 20], 1000, &mut |_| {});
        assert!(f.held() <= 4096, "{}", f.held());
    }

    #[test]
    fn rules_parse_ports_ranges_and_directions() {
        let r = FrameRule::parse("6665-6677=crlf,blank-line").unwrap();
        assert_eq!(r.ports, Some((6665, 6677)));
        assert_eq!((r.request, r.response), (Framing::Crlf, Framing::BlankLine));
        assert!(r.applies(6666) && !r.applies(6678));
        assert!(FrameRule::parse("any=lf").unwrap().applies(1));
        assert!(FrameRule::parse("6666=crlff")
            .unwrap_err()
            .contains("unknown framing"));
        assert!(FrameRule::parse("70000=crlf")
            .unwrap_err()
            .contains("not a port"));
        assert!(FrameRule::parse("crlf")
            .unwrap_err()
            .contains("PORTS=FRAMING"));
        for text in ["6665-6677=crlf,blank-line", "any=lf", "45000=crlf"] {
            assert_eq!(FrameRule::parse(text).unwrap().to_string(), text);
        }
    }
}
