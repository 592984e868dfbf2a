//! Where frames come from: a capture file (or any stream of one) or a live interface.
//!
//! Every source yields [`Frame`]s; nothing downstream knows which kind of source it was.

mod chunks;
mod compressed;
mod file;
mod live;
mod mapped;
mod pcap;
mod pcapng;
mod writer;

pub use compressed::Compression;
pub use file::{FileSource, SourceError};
pub use live::{
    interfaces, libpcap_version, CaptureStats, InterfaceInfo, LiveError, LiveOptions, LiveSource,
};
pub use writer::PcapngWriter;

use std::time::Duration;

/// A libpcap link-layer header type (`LINKTYPE_*` / `DLT_*` value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in host byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II, possibly VLAN-tagged.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP (the BSD value of DLT_RAW).
    pub const RAW_BSD: LinkType = LinkType(12);
    /// Raw IP (LINKTYPE_RAW).
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1 (`any` interface).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// The name Wireshark and libpcap use for this link type.
    pub fn name(self) -> &'static str {
        match self {
            LinkType::NULL => "NULL",
            LinkType::ETHERNET => "EN10MB",
            LinkType::RAW_BSD | LinkType::RAW => "RAW",
            LinkType::LOOP => "LOOP",
            LinkType::LINUX_SLL => "LINUX_SLL",
            LinkType::IPV4 => "IPV4",
            LinkType::IPV6 => "IPV6",
            LinkType::LINUX_SLL2 => "LINUX_SLL2",
            _ => "unknown",
        }
    }
}

impl std::fmt::Display for LinkType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

/// One captured frame, borrowed from its source until the next one is read.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// Capture time since the Unix epoch, to the nanosecond where the source has it.
    pub ts: Duration,
    /// How to decode `data`.
    pub link: LinkType,
    /// The captured bytes (possibly cut short by the snapshot length).
    pub data: &'a [u8],
    /// The length of the frame on the wire.
    pub orig_len: u32,
    /// The capturing interface's name, where the source knows it.
    pub interface: Option<&'a str>,
}

impl Frame<'_> {
    /// True when the snapshot length cut the frame short.
    pub fn is_cut(&self) -> bool {
        (self.data.len() as u64) < u64::from(self.orig_len)
    }
}
