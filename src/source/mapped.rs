//! A capture file mapped into memory: records are parsed straight from the page cache, with no
//! copy through read(2) into a buffer. The pages behind the reader are dropped as it goes, so
//! the process's memory stays flat whatever the file's size.

use std::fs::File;
use std::os::fd::AsRawFd;

/// Bytes consumed between two releases of the pages behind the reader.
const RELEASE_EVERY: usize = 4 << 20;

/// A read-only private mapping of a whole file.
pub struct Mapped {
    ptr: *mut libc::c_void,
    len: usize,
    /// Bytes from the start whose pages were given back.
    released: usize,
}

// SAFETY: the mapping is read-only and owned by this value alone; moving it to another thread
// moves the only handle.
unsafe impl Send for Mapped {}

impl Mapped {
    /// Maps `file` (a regular, non-empty file), or `None` when the system will not.
    pub fn new(file: &File) -> Option<Mapped> {
        let meta = file.metadata().ok()?;
        let len = usize::try_from(meta.len()).ok()?;
        if !meta.is_file() || len == 0 {
            return None;
        }
        // SAFETY: a fresh read-only private mapping of a file we hold open; nothing else
        // aliases it. A file truncated by another process while mapped would fault (SIGBUS):
        // captures are not rewritten while labcap reads them.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        // SAFETY: advice on the range just mapped; failure only loses the hint.
        unsafe { libc::madvise(ptr, len, libc::MADV_SEQUENTIAL) };
        let map = Mapped {
            ptr,
            len,
            released: 0,
        };
        map.populate(0);
        Some(map)
    }

    /// The whole file.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` maps `len` readable bytes for as long as `self` lives.
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) }
    }

    /// The reader has consumed the first `consumed` bytes: now and then, gives their pages back
    /// (they are read again from the file should anyone look, which the reader never does).
    pub fn consumed(&mut self, consumed: usize) {
        if consumed < self.released + RELEASE_EVERY {
            return;
        }
        let page = 4096;
        let upto = consumed / page * page;
        // SAFETY: a page-aligned range inside the mapping, before anything still borrowed
        // (records are borrowed only until consumed).
        unsafe {
            libc::madvise(
                self.ptr.cast::<u8>().add(self.released).cast(),
                upto - self.released,
                libc::MADV_DONTNEED,
            )
        };
        self.released = upto;
        self.populate(upto);
    }

    /// Maps in one call the pages of the window starting at `from` (up to the end), rather
    /// than page fault by page fault as the reader reaches them.
    fn populate(&self, from: usize) {
        if from >= self.len {
            return;
        }
        let len = RELEASE_EVERY.min(self.len - from);
        // SAFETY: advice on a range inside the mapping; failure only loses the hint.
        unsafe {
            libc::madvise(
                self.ptr.cast::<u8>().add(from).cast(),
                len,
                libc::MADV_POPULATE_READ,
            )
        };
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // SAFETY: unmapping what `new` mapped, once.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}
