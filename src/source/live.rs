//! Live capture through libpcap: immediate mode, a large kernel buffer, full snapshot length,
//! non-blocking reads woken by `poll(2)` (a blocking read with a timeout never returns on an
//! idle line with libpcap 1.10), nanosecond timestamps.

use std::fmt;
use std::ops::ControlFlow;
use std::os::unix::io::AsRawFd;
use std::time::Duration;

use pcap::{Active, BpfProgram, Capture, Linktype, Precision};

use super::{Frame, LinkType};

/// How to open a live capture.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// Interface name (`any`, `lo`, `eth1`, …).
    pub iface: String,
    /// On `any`, Linux cooked v2 instead of v1.
    pub sll2: bool,
    /// A libpcap filter expression.
    pub bpf: Option<String>,
    /// Bytes kept per packet (loopback segments reach 65 KiB).
    pub snaplen: i32,
    /// Kernel buffer size in bytes.
    pub buffer_bytes: i32,
}

impl LiveOptions {
    /// Defaults for `iface`: full snapshot length, a 64 MiB buffer, no filter.
    pub fn new(iface: &str) -> LiveOptions {
        LiveOptions {
            iface: iface.to_string(),
            sll2: false,
            bpf: None,
            snaplen: 262_144,
            buffer_bytes: 64 << 20,
        }
    }
}

/// Kernel statistics at the end of a capture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Packets the filter passed.
    pub received: u32,
    /// Dropped because the buffer was full.
    pub dropped: u32,
    /// Dropped by the interface or driver.
    pub if_dropped: u32,
}

/// Why a live capture could not start or go on, in words a person can act on.
#[derive(Debug)]
pub struct LiveError(pub String);

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LiveError {}

/// An open live capture.
pub struct LiveSource {
    capture: Capture<Active>,
    iface: String,
    link: LinkType,
    /// Applied in user space when the kernel cannot apply it (SLL v2, see [`LiveSource::open`]).
    user_filter: Option<BpfProgram>,
}

impl LiveSource {
    /// Opens and arms a capture.
    ///
    /// libpcap 1.10.3 drops every Linux cooked v2 packet when a kernel filter is set, so with
    /// `sll2` the filter runs in user space on each packet instead.
    pub fn open(options: &LiveOptions) -> Result<LiveSource, LiveError> {
        let inactive = Capture::from_device(options.iface.as_str())
            .map_err(|e| open_error(&options.iface, &e.to_string()))?
            .promisc(false)
            .immediate_mode(true)
            .snaplen(options.snaplen)
            .buffer_size(options.buffer_bytes)
            .precision(Precision::Nano);
        let mut capture = inactive
            .open()
            .map_err(|e| open_error(&options.iface, &e.to_string()))?;
        if options.sll2 {
            capture
                .set_datalink(Linktype(LinkType::LINUX_SLL2.0 as i32))
                .map_err(|e| {
                    LiveError(format!(
                        "{}: cannot capture as Linux cooked v2 ({e}); it exists on `any` only",
                        options.iface
                    ))
                })?;
        }
        let mut user_filter = None;
        if let Some(bpf) = &options.bpf {
            let bad =
                |e: pcap::Error| LiveError(format!("libpcap rejected the filter {bpf:?}: {e}"));
            // Unoptimized: libpcap 1.10's optimizer drops packets some filters keep (the BPF
            // property test found `(len >= N and …) or … or (ip)` passing 146 of 194 IPv4
            // frames; `tcpdump -O` passes all), refuses filters it proves empty ("expression
            // rejects all packets") and takes cubic time on long ones. The programs labcap
            // writes are short: the kernel runs them unoptimized at no cost that shows.
            if options.sll2 {
                user_filter = Some(capture.compile(bpf, false).map_err(bad)?);
            } else {
                capture.filter(bpf, false).map_err(bad)?;
            }
        }
        let capture = capture.setnonblock().map_err(|e| {
            LiveError(format!(
                "{}: cannot read without blocking: {e}",
                options.iface
            ))
        })?;
        let link = match capture.get_datalink().0 as u32 {
            // Linux's DLT_RAW is 12; files call it LINKTYPE_RAW (101).
            12 => LinkType::RAW,
            other => LinkType(other),
        };
        Ok(LiveSource {
            capture,
            iface: options.iface.clone(),
            link,
            user_filter,
        })
    }

    /// The link type of the frames.
    pub fn link(&self) -> LinkType {
        self.link
    }

    /// The interface name.
    pub fn iface(&self) -> &str {
        &self.iface
    }

    /// Waits up to `wait` for packets and hands each one there is to `on_frame`, until it
    /// says to break. Returns how many were handed over.
    pub fn poll(
        &mut self,
        wait: Duration,
        on_frame: &mut dyn FnMut(Frame<'_>) -> ControlFlow<()>,
    ) -> Result<usize, LiveError> {
        let mut fd = libc::pollfd {
            fd: self.capture.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = wait.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd for the call's duration.
        let ready = unsafe { libc::poll(&mut fd, 1, ms) };
        if ready < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                return Ok(0);
            }
            return Err(LiveError(format!("{}: poll: {e}", self.iface)));
        }
        let mut count = 0;
        // Bounded so that a flood cannot starve the caller's stop checks.
        while count < 4096 {
            let packet = match self.capture.next_packet() {
                Ok(p) => p,
                Err(pcap::Error::TimeoutExpired) => break,
                Err(e) => return Err(LiveError(format!("{}: capture failed: {e}", self.iface))),
            };
            if let Some(filter) = &self.user_filter {
                if !filter.filter(packet.data) {
                    continue;
                }
            }
            let ts = Duration::new(
                packet.header.ts.tv_sec.max(0) as u64,
                (packet.header.ts.tv_usec.clamp(0, 999_999_999)) as u32,
            );
            count += 1;
            let flow = on_frame(Frame {
                ts,
                link: self.link,
                data: packet.data,
                orig_len: packet.header.len,
                interface: Some(&self.iface),
            });
            if flow.is_break() {
                break;
            }
        }
        Ok(count)
    }

    /// The kernel's counts so far.
    pub fn stats(&mut self) -> Option<CaptureStats> {
        self.capture.stats().ok().map(|s| CaptureStats {
            received: s.received,
            dropped: s.dropped,
            if_dropped: s.if_dropped,
        })
    }
}

/// A capture interface as libpcap lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// The name to capture on (`--iface`).
    pub name: String,
    /// libpcap's description, where it has one.
    pub description: Option<String>,
    /// Addresses with their prefix length, where the netmask is known.
    pub addresses: Vec<(std::net::IpAddr, Option<u32>)>,
    /// The loopback interface.
    pub loopback: bool,
    /// Administratively up.
    pub up: bool,
}

/// The interfaces libpcap can capture on, in its order (the order of `tshark -D`).
pub fn interfaces() -> Result<Vec<InterfaceInfo>, LiveError> {
    let devices = pcap::Device::list()
        .map_err(|e| LiveError(format!("libpcap cannot list the interfaces: {e}")))?;
    Ok(devices
        .into_iter()
        .map(|d| InterfaceInfo {
            addresses: d
                .addresses
                .iter()
                .map(|a| {
                    let prefix = a.netmask.map(|m| match m {
                        std::net::IpAddr::V4(m) => u32::from(m).count_ones(),
                        std::net::IpAddr::V6(m) => u128::from(m).count_ones(),
                    });
                    (a.addr, prefix)
                })
                .collect(),
            loopback: d.flags.is_loopback(),
            up: d.flags.is_up(),
            name: d.name,
            description: d.desc,
        })
        .collect())
}

/// The version of the libpcap this binary runs with (`libpcap version 1.10.3 (with
/// TPACKET_V3)`).
pub fn libpcap_version() -> String {
    extern "C" {
        // The pcap crate links libpcap but does not bind this one.
        fn pcap_lib_version() -> *const std::os::raw::c_char;
    }
    // SAFETY: libpcap returns a pointer to a static, NUL-terminated string.
    unsafe {
        let text = pcap_lib_version();
        if text.is_null() {
            return "libpcap (version unknown)".into();
        }
        std::ffi::CStr::from_ptr(text)
            .to_string_lossy()
            .into_owned()
    }
}

/// The running binary's real path, quoted for a shell (what `setcap` must be given: capabilities
/// belong to the file, not to a symlink or a name on the PATH); a guess if it is unknown.
fn this_binary() -> String {
    let Ok(path) = std::env::current_exe() else {
        return "\"$(command -v labcap)\"".into();
    };
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    let text = crate::report::escape::escape_text(&path.to_string_lossy()).into_owned();
    if text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+".contains(&b))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// Turns libpcap's open error into what to do about it.
fn open_error(iface: &str, message: &str) -> LiveError {
    let lower = message.to_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") {
        return LiveError(format!(
            "cannot capture on {iface}: {message}\n  capturing needs CAP_NET_RAW (and CAP_NET_ADMIN for the 64 MiB buffer). \
             Run as root (sudo labcap …), or grant the binary both once:\n  \
             sudo setcap cap_net_raw,cap_net_admin=eip {}",
            this_binary()
        ));
    }
    if lower.contains("no such device") || lower.contains("doesn't exist") {
        let names: Vec<String> = pcap::Device::list()
            .map(|list| list.into_iter().map(|d| d.name).collect())
            .unwrap_or_default();
        return LiveError(format!(
            "no interface named {iface:?}; the interfaces here are: {}",
            if names.is_empty() {
                "(none listed)".to_string()
            } else {
                names.join(", ")
            }
        ));
    }
    LiveError(format!("cannot capture on {iface}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setcap_hint_names_this_binary() {
        let e = open_error("any", "socket: Operation not permitted");
        let exe = std::fs::canonicalize(std::env::current_exe().unwrap()).unwrap();
        let line = e.0.lines().last().unwrap().trim();
        assert!(
            line.starts_with("sudo setcap cap_net_raw,cap_net_admin=eip "),
            "{e}"
        );
        assert!(line.contains(exe.to_str().unwrap()), "{e}");
        assert!(!e.0.contains("command -v"), "{e}");
    }
}
