//! A file read in large chunks into one buffer that records are parsed from in place: the
//! bytes of a record are borrowed from the buffer, never copied.

use std::fs::File;
use std::io::{self, Read};

/// How many bytes are read at a time; also the largest record accepted.
pub const CHUNK: usize = 8 << 20;

/// The unread part of a file, buffered.
pub struct Chunks {
    file: File,
    buf: Vec<u8>,
    /// Start of the unconsumed bytes in `buf`.
    start: usize,
    /// End of the valid bytes in `buf`.
    end: usize,
    /// File offset of `buf[start]`.
    offset: u64,
    eof: bool,
}

impl Chunks {
    /// Reads `file` from its current position, which is file offset `offset`.
    pub fn new(file: File, offset: u64) -> Chunks {
        Chunks {
            file,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            offset,
            eof: false,
        }
    }

    /// File offset of the next unconsumed byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next `len` bytes, reading more of the file as needed; fewer only at the end of the
    /// file. `len` must not exceed [`CHUNK`].
    pub fn peek(&mut self, len: usize) -> io::Result<&[u8]> {
        debug_assert!(len <= CHUNK);
        if self.end - self.start < len && !self.eof {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            while self.end < len {
                match self.file.read(&mut self.buf[self.end..]) {
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
