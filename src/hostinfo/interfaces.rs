//! The machine's interface addresses (getifaddrs), and which of them is on the lab subnet.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One address of one interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceAddr {
    /// Interface name (`lo`, `eth1`, …).
    pub name: String,
    /// The address.
    pub addr: IpAddr,
    /// Prefix length of its netmask.
    pub prefix: u8,
}

impl InterfaceAddr {
    /// True when `other` is on this address's subnet.
    pub fn contains(&self, other: IpAddr) -> bool {
        crate::filter::in_net(other, self.addr, self.prefix)
    }
}

/// Every IPv4 and IPv6 address of every interface, in the kernel's order.
pub fn list() -> io::Result<Vec<InterfaceAddr>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we free below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut out = Vec::new();
    let mut cursor = head;
    while !cursor.is_null() {
        // SAFETY: `cursor` is a node of the list getifaddrs returned, not yet freed.
        let entry = unsafe { &*cursor };
        cursor = entry.ifa_next;
        // SAFETY: the name, address and netmask pointers are valid or null for the list's life,
        // and the sockaddr is read as the type its family says.
        let (addr, mask) = unsafe {
            match (sockaddr_ip(entry.ifa_addr), sockaddr_ip(entry.ifa_netmask)) {
                (Some(addr), mask) => (addr, mask),
                (None, _) => continue,
            }
        };
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let name = unsafe { std::ffi::CStr::from_ptr(entry.ifa_name) }
            .to_string_lossy()
            .into_owned();
        let prefix = mask.map_or(0, |m| match m {
            IpAddr::V4(m) => u32::from(m).count_ones() as u8,
            IpAddr::V6(m) => u128::from(m).count_ones() as u8,
        });
        out.push(InterfaceAddr { name, addr, prefix });
    }
    // SAFETY: `head` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    Ok(out)
}

/// Reads an IPv4 or IPv6 socket address.
///
/// # Safety
/// `sa` must be null or point to a sockaddr of the size its family implies.
unsafe fn sockaddr_ip(sa: *const libc::sockaddr) -> Option<IpAddr> {
    if sa.is_null() {
        return None;
    }
    match i32::from((*sa).sa_family) {
        libc::AF_INET => {
            let sin = &*(sa as *const libc::sockaddr_in);
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                sin.sin_addr.s_addr,
            ))))
        }
        libc::AF_INET6 => {
            let sin6 = &*(sa as *const libc::sockaddr_in6);
            Some(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_listed_with_its_prefix() {
        let all = list().unwrap();
        let lo = all
            .iter()
            .find(|a| a.addr == IpAddr::V4(Ipv4Addr::LOCALHOST))
            .expect("127.0.0.1 on some interface");
        assert_eq!(lo.prefix, 8);
        assert!(lo.contains("127.9.9.9".parse().unwrap()));
        assert!(!lo.contains("172.16.16.101".parse().unwrap()));
    }
}
