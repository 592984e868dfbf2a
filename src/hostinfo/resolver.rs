//! Name lookups as the lab's `socket_info.py` makes them, but with reasons: `/etc/hosts` first,
//! then each nameserver of `/etc/resolv.conf` over UDP (as glibc does), timed, telling NXDOMAIN
//! from an unreachable resolver and from a timeout.

use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use crate::wire::dns::{rcode_name, Message, Record};

/// The resolver settings of `/etc/resolv.conf` that matter here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvConf {
    /// `nameserver` lines, in order.
    pub nameservers: Vec<IpAddr>,
    /// `options timeout:N` (glibc's default 5 s).
    pub timeout: Duration,
    /// `options attempts:N` (glibc's default 2).
    pub attempts: u32,
}

impl ResolvConf {
    /// Parses the text of a resolv.conf.
    pub fn parse(text: &str) -> ResolvConf {
        let mut conf = ResolvConf {
            nameservers: Vec::new(),
            timeout: Duration::from_secs(5),
            attempts: 2,
        };
        for line in text.lines() {
            let mut words = line.split_whitespace();
            match words.next() {
                Some("nameserver") => {
                    // An IPv6 address may carry a zone (`fe80::1%eth0`): not usable here.
                    if let Some(ip) = words.next().and_then(|w| w.parse().ok()) {
                        conf.nameservers.push(ip);
                    }
                }
                Some("options") => {
                    for option in words {
                        if let Some(n) = option
                            .strip_prefix("timeout:")
                            .and_then(|n| n.parse::<u32>().ok())
                        {
                            conf.timeout = Duration::from_secs(u64::from(n).clamp(1, 30));
                        }
                        if let Some(n) = option
                            .strip_prefix("attempts:")
                            .and_then(|n| n.parse::<u32>().ok())
                        {
                            conf.attempts = u32::clamp(n, 1, 5);
                        }
                    }
                }
                _ => {}
            }
        }
        conf
    }

    /// Reads `/etc/resolv.conf` (missing = no nameservers).
    pub fn system() -> ResolvConf {
        ResolvConf::parse(&std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default())
    }
}

/// The addresses `/etc/hosts` gives `name` (case-insensitive), in file order.
pub fn hosts_lookup(hosts: &str, name: &str) -> Vec<IpAddr> {
    hosts
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let ip: IpAddr = words.next()?.parse().ok()?;
            words.any(|w| w.eq_ignore_ascii_case(name)).then_some(ip)
        })
        .collect()
}

/// What a nameserver said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The server that answered.
    pub server: SocketAddr,
    /// The response code.
    pub rcode: u16,
    /// The answer records.
    pub answers: Vec<Record>,
    /// From sending the (last) query to the response.
    pub elapsed: Duration,
}

/// Why a lookup got no response.
#[derive(Debug)]
pub enum LookupError {
    /// `/etc/resolv.conf` names no nameserver.
    NoNameserver,
    /// The name cannot be put in a query.
    BadName(String),
    /// Every nameserver refused the datagram (ICMP port unreachable) or could not be reached.
    Unreachable(Vec<(SocketAddr, io::Error)>),
    /// No nameserver answered in time.
    Timeout {
        /// The servers asked.
        servers: Vec<SocketAddr>,
        /// How long labcap waited in all.
        waited: Duration,
    },
}

impl std::fmt::Display for LookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookupError::NoNameserver => write!(
                f,
                "no resolver configured: /etc/resolv.conf has no nameserver line"
            ),
            LookupError::BadName(why) => write!(f, "not a valid host name: {why}"),
            LookupError::Unreachable(errors) => {
                let each: Vec<String> = errors.iter().map(|(s, e)| format!("{s}: {e}")).collect();
                write!(
                    f,
                    "no resolver reachable ({}); is the DNS server running? (in Docker it is 127.0.0.11)",
                    each.join("; ")
                )
            }
            LookupError::Timeout { servers, waited } => {
                let each: Vec<String> = servers.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "timeout: no answer from {} in {:.1} s",
                    each.join(", "),
                    waited.as_secs_f64()
                )
            }
        }
    }
}

impl std::error::Error for LookupError {}

impl Response {
    /// `NOERROR`, `NXDOMAIN`, …
    pub fn rcode_name(&self) -> String {
        rcode_name(self.rcode).into_owned()
    }

    /// The addresses among the answers.
    pub fn addresses(&self) -> Vec<IpAddr> {
        self.answers
            .iter()
            .filter(|a| a.rtype == 1 || a.rtype == 28)
            .filter_map(|a| a.data.parse().ok())
            .collect()
    }
}

/// Asks the nameservers of `conf` for `name`'s records of `qtype`, each server in turn, for
/// `attempts` rounds; the first response (of any code) ends the lookup.
pub fn query(conf: &ResolvConf, name: &str, qtype: u16) -> Result<Response, LookupError> {
    if conf.nameservers.is_empty() {
        return Err(LookupError::NoNameserver);
    }
    let id = query_id(name, qtype);
    let bytes = build_query(id, name, qtype)?;
    let servers: Vec<SocketAddr> = conf
        .nameservers
        .iter()
        .map(|&ip| SocketAddr::new(ip, 53))
        .collect();
    let started = Instant::now();
    let mut unreachable = Vec::new();
    for _ in 0..conf.attempts {
        unreachable.clear();
        for &server in &servers {
            match ask(server, &bytes, id, conf.timeout) {
                Ok(Some(mut response)) => {
                    response.server = server;
                    return Ok(response);
                }
                Ok(None) => {}
                Err(e) => unreachable.push((server, e)),
            }
        }
        if unreachable.len() == servers.len() {
            return Err(LookupError::Unreachable(unreachable));
        }
    }
    Err(LookupError::Timeout {
        servers,
        waited: started.elapsed(),
    })
}

/// One query to one server: `Ok(None)` on timeout, `Err` when the server cannot be reached.
fn ask(
    server: SocketAddr,
    query: &[u8],
    id: u16,
    timeout: Duration,
) -> io::Result<Option<Response>> {
    let bind: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse().expect("address")
    } else {
        "[::]:0".parse().expect("address")
    };
    let socket = UdpSocket::bind(bind)?;
    socket.connect(server)?;
    let sent = Instant::now();
    socket.send(query)?;
    let mut buf = [0u8; 4096];
    loop {
        let left = timeout.saturating_sub(sent.elapsed());
        if left.is_zero() {
            return Ok(None);
        }
        socket.set_read_timeout(Some(left))?;
        match socket.recv(&mut buf) {
            Ok(n) => {
                let elapsed = sent.elapsed();
                match Message::parse(&buf[..n]) {
                    Some(m) if m.response && m.id == id => {
                        return Ok(Some(Response {
                            server,
                            rcode: m.rcode,
                            answers: m.answers,
                            elapsed,
                        }))
                    }
                    _ => continue, // not ours: keep waiting
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(e),
        }
    }
}

fn build_query(id: u16, name: &str, qtype: u16) -> Result<Vec<u8>, LookupError> {
    use simple_dns::{Name, Packet, PacketFlag, Question, CLASS, QCLASS, QTYPE};
    let bare = name.strip_suffix('.').unwrap_or(name);
    if bare.is_empty() || bare.len() > 253 {
        return Err(LookupError::BadName(format!("{} characters", bare.len())));
    }
    if let Some(label) = bare.split('.').find(|l| l.is_empty() || l.len() > 63) {
        return Err(LookupError::BadName(format!(
            "a label must have 1 to 63 characters, not {}",
            label.len()
        )));
    }
    let qname = Name::new(bare).map_err(|e| LookupError::BadName(e.to_string()))?;
    let qtype = QTYPE::try_from(qtype).map_err(|e| LookupError::BadName(e.to_string()))?;
    let mut packet = Packet::new_query(id);
    packet.set_flags(PacketFlag::RECURSION_DESIRED);
    packet
        .questions
        .push(Question::new(qname, qtype, QCLASS::CLASS(CLASS::IN), false));
    packet
        .build_bytes_vec()
        .map_err(|e| LookupError::BadName(e.to_string()))
}

/// An id that differs per lookup (no RNG crate needed for this: it only has to not repeat).
fn query_id(name: &str, qtype: u16) -> u16 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one((name, qtype, Instant::now())) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf_as_docker_writes_it() {
        let conf = ResolvConf::parse(
            "# Generated by Docker Engine.\nnameserver 127.0.0.11\nsearch lab\noptions ndots:0 timeout:2 attempts:3\nnameserver fe80::1%eth0\n",
        );
        assert_eq!(
            conf.nameservers,
            vec!["127.0.0.11".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(conf.timeout, Duration::from_secs(2));
        assert_eq!(conf.attempts, 3);
        assert_eq!(ResolvConf::parse("").attempts, 2);
    }

    #[test]
    fn hosts_file_lookup() {
        let hosts =
            "127.0.0.1 localhost\n172.16.16.101 mesin1 # the server\n::1 localhost ip6-localhost\n";
        assert_eq!(
            hosts_lookup(hosts, "MESIN1"),
            vec!["172.16.16.101".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(hosts_lookup(hosts, "localhost").len(), 2);
        assert!(hosts_lookup(hosts, "server").is_empty());
    }

    #[test]
    fn queries_are_well_formed() {
        let bytes = build_query(0x1234, "www.espnfc.com", 28).unwrap();
        let m = Message::parse(&bytes).unwrap();
        assert_eq!((m.id, m.response), (0x1234, false));
        assert_eq!(m.questions[0].name, "www.espnfc.com");
        assert_eq!(m.questions[0].qtype, 28);
        assert!(matches!(
            build_query(1, "a..b", 1),
            Err(LookupError::BadName(_))
        ));
    }
}
