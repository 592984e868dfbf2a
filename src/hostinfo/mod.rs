//! Host information, as the lab's `get_my_info` and `get_remote_info` print it: the host name,
//! its addresses per interface, and lookups of other hosts. I/O code beside the pipeline.

pub mod interfaces;
pub mod resolver;

/// This machine's host name.
pub fn hostname() -> std::io::Result<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is writable for its length; gethostname NUL-terminates within it
    // (the last byte stays 0 if the name was cut).
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Ok(String::from_utf8_lossy(&buf[..len]).into_owned())
}
