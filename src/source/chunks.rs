//! A byte stream (a file, a pipe, a decompressor) read in large chunks into one buffer that
//! records are parsed from in place: the bytes of a record are borrowed from the buffer, never
//! copied.

use std::io::{self, Read};

use super::mapped::Mapped;

/// How many bytes are read at a time; also the largest record accepted.
pub const CHUNK: usize = 8 << 20;

/// The unread part of a stream, buffered, or of a file mapped into memory.
pub struct Chunks {
    backing: Backing,
    /// Stream offset of the next unconsumed byte.
    offset: u64,
}

enum Backing {
    /// A stream read into a buffer.
    Read {
        /// One dynamic call per read of up to a chunk: nothing per record.
        input: Box<dyn Read + Send>,
        buf: Vec<u8>,
        /// Start of the unconsumed bytes in `buf`.
        start: usize,
        /// End of the valid bytes in `buf`.
        end: usize,
        eof: bool,
    },
    /// A mapped file, read in place.
    Mapped(Mapped),
}

impl Chunks {
    /// Reads `input`, whose first bytes, `head`, were read already (to recognise the format).
    pub fn new(input: Box<dyn Read + Send>, head: &[u8]) -> Chunks {
        let mut buf = vec![0; CHUNK];
        buf[..head.len()].copy_from_slice(head);
        Chunks {
            backing: Backing::Read {
                input,
                buf,
                start: 0,
                end: head.len(),
                eof: false,
            },
            offset: 0,
        }
    }

    /// Reads a mapped file from its start.
    pub fn mapped(map: Mapped) -> Chunks {
        Chunks {
            backing: Backing::Mapped(map),
            offset: 0,
        }
    }

    /// Stream offset of the next unconsumed byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next `len` bytes, reading more of the stream as needed; fewer only at its end. `len` must not exceed [`CHUNK`].
    pub fn peek(&mut self, len: usize) -> io::Result<&[u8]> {
        debug_assert!(len <= CHUNK);
        match &mut self.backing {
            Backing::Mapped(map) => {
                let bytes = map.bytes();
                let at = (self.offset as usize).min(bytes.len());
                Ok(&bytes[at..(at + len).min(bytes.len())])
            }
            Backing::Read {
                input,
                buf,
                start,
                end,
                eof,
            } => {
                if *end - *start < len && !*eof {
                    buf.copy_within(*start..*end, 0);
                    *end -= *start;
                    *start = 0;
                    while *end < len {
                        match input.read(&mut buf[*end..]) {
                            Ok(0) => {
                                *eof = true;
                                break;
                            }
                            Ok(n) => *end += n,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
                let available = (*end - *start).min(len);
                Ok(&buf[*start..*start + available])
            }
        }
    }

    /// Marks `len` peeked bytes as consumed.
    pub fn consume(&mut self, len: usize) {
        self.offset += len as u64;
        match &mut self.backing {
            Backing::Read { start, .. } => *start += len,
            Backing::Mapped(map) => map.consumed(self.offset as usize),
        }
    }
}
