//! A byte stream (a file, a pipe, a decompressor) read in large chunks into one buffer that
//! records are parsed from in place: the bytes of a record are borrowed from the buffer, never
//! copied.

use std::io::{self, Read};

/// How many bytes are read at a time; also the largest record accepted.
pub const CHUNK: usize = 8 << 20;

/// The unread part of a stream, buffered.
pub struct Chunks {
    /// One dynamic call per read of up to a chunk: nothing per record.
    input: Box<dyn Read + Send>,
    buf: Vec<u8>,
    /// Start of the unconsumed bytes in `buf`.
    start: usize,
    /// End of the valid bytes in `buf`.
    end: usize,
    /// Stream offset of `buf[start]`.
    offset: u64,
    eof: bool,
}

impl Chunks {
    /// Reads `input`, whose first bytes, `head`, were read already (to recognise the format).
    pub fn new(input: Box<dyn Read + Send>, head: &[u8]) -> Chunks {
        let mut buf = vec![0; CHUNK];
        buf[..head.len()].copy_from_slice(head);
        Chunks {
            input,
            buf,
            start: 0,
            end: head.len(),
            offset: 0,
            eof: false,
        }
    }

    /// Stream offset of the next unconsumed byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next `len` bytes, reading more of the stream as needed; fewer only at its end. `len` must not exceed [`CHUNK`].
    pub fn peek(&mut self, len: usize) -> io::Result<&[u8]> {
        debug_assert!(len <= CHUNK);
        if self.end - self.start < len && !self.eof {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            while self.end < len {
                match self.input.read(&mut self.buf[self.end..]) {
                    Ok(0) => {
                        self.eof = true;
                        break;
                    }
                    Ok(n) => self.end += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let available = (self.end - self.start).min(len);
        Ok(&self.buf[self.start..self.start + available])
    }

    /// Marks `len` peeked bytes as consumed.
    pub fn consume(&mut self, len: usize) {
        self.start += len;
        self.offset += len as u64;
    }
}
