//! Link decoding: typed views over frame bytes, one protocol a file, and [`decode`], which
//! turns a [`Frame`](crate::source::Frame) into a [`Packet`]. Pure code over bytes: no I/O.

mod decode;
pub mod defrag;
pub mod dns;
mod dns_ports;
mod dns_records;
pub mod icmp;
pub mod null;
mod packet;
pub mod sll;
pub mod sll2;
mod tcp;
pub mod tunnel;

pub(crate) use decode::decode_into;
#[doc(hidden)]
pub use decode::decode_paths;
pub use decode::{decode, decode_reassembled};
pub use dns_ports::DnsPorts;
pub use packet::{EthAddrs, Ip, IpFragment, Layer, LayerRole, Packet, Status, Tcp, Transport, Udp};
pub use tcp::{TcpFlags, TcpOptions};

/// Where a Linux cooked-capture packet was going (the SLL packet type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketType {
    /// Addressed to this host.
    Host,
    /// Broadcast by another host.
    Broadcast,
    /// Multicast by another host.
    Multicast,
    /// Addressed by another host to another host.
    OtherHost,
    /// Sent by this host.
    Outgoing,
    /// A type labcap does not name.
    Other(u16),
}

impl PacketType {
    /// Reads the SLL packet-type code.
    pub fn from_code(code: u16) -> PacketType {
        match code {
            0 => PacketType::Host,
            1 => PacketType::Broadcast,
            2 => PacketType::Multicast,
            3 => PacketType::OtherHost,
            4 => PacketType::Outgoing,
            other => PacketType::Other(other),
        }
    }
}
