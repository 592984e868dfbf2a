//! An address and port: one side of a TCP connection or a DNS transaction.

use std::fmt;
use std::net::IpAddr;

/// An address and port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    /// IPv4 or IPv6 address.
    pub ip: IpAddr,
    /// Port.
    pub port: u16,
}

impl fmt::Display for Endpoint {
    /// `IP:PORT`, IPv6 as `[IP]:PORT`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ip {
            IpAddr::V4(ip) => write!(f, "{ip}:{}", self.port),
            IpAddr::V6(ip) => write!(f, "[{ip}]:{}", self.port),
        }
    }
}
