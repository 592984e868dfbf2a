//! The lab's echo programs, embedded: a server that sends back what it receives in `--chunk`
//! pieces, and a client that sends a message or a file and checks the echo byte for byte.
//! I/O programs beside the pipeline; they log in the lab's Python style (`INFO:root:…`).

pub mod client;
pub mod server;
mod slots;

use std::net::SocketAddr;

/// The message the lab's `client.py` sends (46 bytes).
pub const LAB_MESSAGE: &str = "INI ADALAH DATA YANG DIKIRIM ABCDEFGHIJKLMNOPQ";

/// Where log lines go: stderr in the lab's format, or nowhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Log {
    /// `INFO:root:MSG` lines on stderr, as Python's logging prints them.
    Lab,
    /// Nothing.
    Quiet,
}

impl Log {
    /// Logs an INFO line.
    pub fn info(self, message: &str) {
        if self == Log::Lab {
            eprintln!("INFO:root:{message}");
        }
    }

    /// Logs an ERROR line (always shown).
    pub fn error(self, message: &str) {
        eprintln!("ERROR:root:{message}");
    }
}

/// An address as Python prints a socket address tuple: `('172.16.16.102', 37534)`.
pub fn python_addr(addr: SocketAddr) -> String {
    format!("('{}', {})", addr.ip(), addr.port())
}

/// Raises the open-file limit to its hard maximum: a thousand clients need two thousand
/// descriptors, and the usual soft limit is 1024.
pub fn raise_fd_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain calls with a valid rlimit struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
