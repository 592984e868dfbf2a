//! The kernel back end: a libpcap (BPF) expression for a filter.
//!
//! Where BPF can say exactly what the filter says, the translation is exact. Where it cannot
//! (TCP flags of IPv6 packets, "is there a DNS payload"), it is a superset: the kernel lets
//! through everything the filter could match, and labcap's matcher decides in-process.

use std::fmt;
use std::net::IpAddr;

use super::fields::{Field, Kind};
use super::lexer::CompareOp;
use super::matcher;
use super::parser::{Expr, Value};
use crate::wire::DnsPorts;

/// A BPF expression and whether it matches exactly what the filter matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bpf {
    /// The expression; `None` lets every packet through.
    pub expr: Option<String>,
    /// False when the expression is a superset of the filter.
    pub exact: bool,
}

impl fmt::Display for Bpf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expr.as_deref().unwrap_or(""))
    }
}

fn exact(expr: impl Into<String>) -> Bpf {
    Bpf {
        expr: Some(expr.into()),
        exact: true,
    }
}

fn superset(expr: impl Into<String>) -> Bpf {
    Bpf {
        expr: Some(expr.into()),
        exact: false,
    }
}

/// A BPF expression no packet matches.
const NOTHING: &str = "len < 0";

/// The most field tests a filter may have for the kernel to get its translation: libpcap's
/// optimizer takes about cubic time in the size of the expression (0.2 s for 256 port tests,
/// 10 s for 1,000, minutes beyond), so a longer filter lets every packet through (a superset)
/// and labcap filters in user space.
pub const MAX_TESTS: usize = 256;

/// Translates a filter into a BPF expression.
pub fn translate(expr: &Expr, dns: &DnsPorts) -> Bpf {
    if tests(expr) > MAX_TESTS {
        return Bpf {
            expr: None,
            exact: false,
        };
    }
    translate_tree(expr, dns)
}

/// How many field tests `expr` has.
fn tests(expr: &Expr) -> usize {
    match expr {
        Expr::Has(_) | Expr::Compare(..) => 1,
        Expr::And(terms) | Expr::Or(terms) => terms.iter().map(tests).sum(),
        Expr::Not(a) => tests(a),
    }
}

fn translate_tree(expr: &Expr, dns: &DnsPorts) -> Bpf {
    let translate = |e| translate_tree(e, dns);
    match expr {
        // The DNS fields read the message on a DNS port: the kernel can only test the port.
        Expr::Has(field) | Expr::Compare(field, ..) if field.is_dns() => superset(dns.bpf()),
        // Ethernet addresses exist on Ethernet links only (not on `any`'s cooked frames): the
        // kernel keeps everything and the matcher decides.
        Expr::Has(field) | Expr::Compare(field, ..)
            if field.kind() == Kind::Mac
                || matches!(field, Field::TcpStream | Field::UdpStream) =>
        {
            Bpf {
                expr: None,
                exact: false,
            }
        }
        // HTTP and TLS are read from the payload: the kernel can only keep TCP.
        Expr::Has(field) | Expr::Compare(field, ..) if field.is_stream() => superset("tcp"),
        Expr::Has(field) => has(*field),
        Expr::Compare(field, op, value) => compare(*field, *op, value),
        Expr::And(terms) => {
            let terms: Vec<Bpf> = terms.iter().map(translate).collect();
            let exact = terms.iter().all(|t| t.exact);
            // A term without an expression lets every packet through: it adds nothing.
            let tests: Vec<String> = terms.into_iter().filter_map(|t| t.expr).collect();
            Bpf {
                expr: join(tests, "and"),
                exact,
            }
        }
        Expr::Or(terms) => {
            let terms: Vec<Bpf> = terms.iter().map(translate).collect();
            let exact = terms.iter().all(|t| t.exact);
            // A term without an expression lets every packet through: so does the chain.
            let tests: Option<Vec<String>> = terms.into_iter().map(|t| t.expr).collect();
            Bpf {
                expr: tests.and_then(|tests| join(tests, "or")),
                exact,
            }
        }
        Expr::Not(a) => {
            let a = translate(a);
            match (a.exact, a.expr) {
                (true, Some(x)) => exact(format!("not ({x})")),
                (true, None) => exact(NOTHING),
                (false, _) => Bpf {
                    expr: None,
                    exact: false,
                },
            }
        }
    }
}

/// `(a) op (b) op …`, or the one test alone, or none.
fn join(tests: Vec<String>, op: &str) -> Option<String> {
    match tests.len() {
        0 => None,
        1 => tests.into_iter().next(),
        _ => Some(
            tests
                .iter()
                .map(|t| format!("({t})"))
                .collect::<Vec<_>>()
                .join(&format!(" {op} ")),
        ),
    }
}

/// The BPF test for "this packet carries the field's protocol".
fn layer(field: Field) -> Option<&'static str> {
    match field {
        Field::FrameLen => None,
        Field::Ip | Field::IpAddr | Field::IpSrc | Field::IpDst | Field::IpProto | Field::IpTtl => {
            Some("ip")
        }
        Field::Ipv6 | Field::Ipv6Addr | Field::Ipv6Src | Field::Ipv6Dst => Some("ip6"),
        Field::Tcp
        | Field::TcpPort
        | Field::TcpSrcPort
        | Field::TcpDstPort
        | Field::TcpLen
        | Field::TcpFlags
        | Field::TcpFlag(_)
        | Field::TcpWindow => Some("tcp"),
        Field::Udp | Field::UdpPort | Field::UdpSrcPort | Field::UdpDstPort | Field::UdpLength => {
            Some("udp")
        }
        Field::Icmp => Some("icmp"),
        Field::Icmpv6 => Some("icmp6"),
        // Translated by `translate` (no kernel test).
        Field::EthAddr | Field::EthSrc | Field::EthDst => None,
        Field::TcpStream | Field::UdpStream => None,
        // Read from the payload: `translate` keeps TCP.
        Field::Http
        | Field::HttpRequest
        | Field::HttpResponse
        | Field::HttpMethod
        | Field::HttpUri
        | Field::HttpHost
        | Field::HttpCode
        | Field::HttpContentType
        | Field::Tls
        | Field::TlsHandshakeType
        | Field::TlsSni => Some("tcp"),
        // Translated from the DNS ports by `translate`.
        Field::Dns
        | Field::DnsId
        | Field::DnsResponse
        | Field::DnsRcode
        | Field::DnsQryType
        | Field::DnsAnswers
        | Field::DnsQryName => None,
    }
}

fn has(field: Field) -> Bpf {
    match (field, layer(field)) {
        (_, Some(test)) => exact(test),
        (_, None) => Bpf {
            expr: None,
            exact: true,
        },
    }
}

fn compare(field: Field, op: CompareOp, value: &Value) -> Bpf {
    match (field.kind(), value) {
        (Kind::Ipv4 | Kind::Ipv6, Value::Net(addr, prefix)) => address(field, op, *addr, *prefix),
        (_, Value::Number(n)) => number(field, op, *n),
        _ => has(field),
    }
}

fn address(field: Field, op: CompareOp, addr: IpAddr, prefix: u8) -> Bpf {
    let (proto, full) = if field.kind() == Kind::Ipv4 {
        ("ip", 32)
    } else {
        ("ip6", 128)
    };
    let direction = match field {
        Field::IpSrc | Field::Ipv6Src => "src ",
        Field::IpDst | Field::Ipv6Dst => "dst ",
        _ => "",
    };
    let test = if prefix == full {
        format!("{proto} {direction}host {addr}")
    } else if prefix == 0 {
        // Every address of the family; libpcap refuses `not` of it ("rejects all packets").
        return match op {
            CompareOp::Eq => exact(proto),
            CompareOp::Ne => exact(NOTHING),
            _ => superset(proto),
        };
    } else {
        // libpcap refuses host bits in a network (127.0.0.5/8); Wireshark clears them.
        let net = matcher::network(addr, prefix);
        format!("{proto} {direction}net {net}/{prefix}")
    };
    match op {
        CompareOp::Eq => exact(test),
        CompareOp::Ne => exact(format!("{proto} and not {test}")),
        // Orderings of addresses: let the packets of that family through.
        _ => superset(proto),
    }
}

fn number(field: Field, op: CompareOp, n: u64) -> Bpf {
    let sym = op.symbol();
    match field {
        Field::FrameLen => exact(format!("len {sym} {n}")),
        Field::TcpPort
        | Field::TcpSrcPort
        | Field::TcpDstPort
        | Field::UdpPort
        | Field::UdpSrcPort
        | Field::UdpDstPort => port(field, op, n),
        Field::IpProto => exact(format!("ip and ip[9] {sym} {n}")),
        Field::IpTtl => exact(format!("ip and ip[8] {sym} {n}")),
        // Header fields BPF reads only behind IPv4: exact for IPv4, every IPv6 packet let through.
        Field::TcpFlag(bit) => {
            let (offset, mask) = if bit > 0xff {
                (12, bit >> 8)
            } else {
                (13, bit)
            };
            // The flag is 0 or 1: which of the two the comparison keeps decides the test.
            let test = match (matcher::number(op, 0, n), matcher::number(op, 1, n)) {
                (false, false) => return exact(NOTHING),
                (true, true) => return has(field),
                (false, true) => "!=",
                (true, false) => "==",
            };
            ipv4_or_ipv6(&format!("(tcp[{offset}] & {mask:#x}) {test} 0"), "tcp")
        }
        Field::TcpFlags => ipv4_or_ipv6(&format!("(tcp[12:2] & 0x1ff) {sym} {n}"), "tcp"),
        Field::TcpWindow => ipv4_or_ipv6(&format!("tcp[14:2] {sym} {n}"), "tcp"),
        Field::TcpLen => ipv4_or_ipv6(
            &format!("ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) {sym} {n}"),
            "tcp",
        ),
        Field::UdpLength => ipv4_or_ipv6(&format!("udp[4:2] {sym} {n}"), "udp"),
        _ => has(field),
    }
}

fn ipv4_or_ipv6(ipv4_test: &str, proto: &str) -> Bpf {
    superset(format!(
        "(ip and {proto} and {ipv4_test}) or (ip6 and {proto})"
    ))
}

fn port(field: Field, op: CompareOp, n: u64) -> Bpf {
    let proto = layer(field).unwrap_or("tcp");
    let direction = match field {
        Field::TcpSrcPort | Field::UdpSrcPort => "src ",
        Field::TcpDstPort | Field::UdpDstPort => "dst ",
        _ => "",
    };
    let range = |lo: u64, hi: u64| -> Bpf {
        if lo > hi || lo > 65535 {
            exact(NOTHING)
        } else if lo == hi {
            exact(format!("{proto} {direction}port {lo}"))
        } else {
            exact(format!(
                "{proto} {direction}portrange {lo}-{}",
                hi.min(65535)
            ))
        }
    };
    match op {
        CompareOp::Eq => range(n, n),
        CompareOp::Ne if n > 65535 => exact(proto),
        CompareOp::Ne => exact(format!("{proto} and not {proto} {direction}port {n}")),
        CompareOp::Lt if n == 0 => exact(NOTHING),
        CompareOp::Lt => range(0, n - 1),
        CompareOp::Le => range(0, n),
        CompareOp::Gt => range(n + 1, 65535),
        CompareOp::Ge => range(n, 65535),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::parser::parse;

    fn bpf(text: &str) -> Bpf {
        translate(&parse(text).unwrap(), &DnsPorts::default())
    }

    #[test]
    fn a_flag_translates_every_operator_with_its_value() {
        let set = "(ip and tcp and (tcp[13] & 0x4) != 0) or (ip6 and tcp)";
        let clear = "(ip and tcp and (tcp[13] & 0x4) == 0) or (ip6 and tcp)";
        let all = "tcp";
        for (op, if_0, if_1) in [
            ("==", clear, set),
            ("!=", set, clear),
            ("<", NOTHING, clear),
            ("<=", clear, all),
            (">", set, NOTHING),
            (">=", all, set),
        ] {
            for (value, want) in [("0", if_0), ("1", if_1)] {
                let text = format!("tcp.flags.rst {op} {value}");
                assert_eq!(bpf(&text).expr.as_deref(), Some(want), "{text}");
                assert_eq!(bpf(&text).exact, !want.contains("ip6"), "{text}");
            }
        }
        assert_eq!(
            bpf("tcp.flags.ae != 0").expr.as_deref(),
            Some("(ip and tcp and (tcp[12] & 0x1) != 0) or (ip6 and tcp)")
        );
    }

    #[test]
    fn a_subnet_is_translated_without_its_host_bits() {
        for (text, want) in [
            ("ip.addr == 127.0.0.5/8", "ip net 127.0.0.0/8"),
            ("ip.src == 172.16.16.101/24", "ip src net 172.16.16.0/24"),
            ("ip.dst != 10.1.2.3/15", "ip and not ip dst net 10.0.0.0/15"),
            ("ip.addr == 10.1.2.3/32", "ip host 10.1.2.3"),
            ("ip.addr == 10.1.2.3/0", "ip"),
            ("ip.addr != 10.1.2.3/0", NOTHING),
            ("ipv6.addr == fe80::1/10", "ip6 net fe80::/10"),
            ("ipv6.dst == 2001:db8::1:2/64", "ip6 dst net 2001:db8::/64"),
            ("ipv6.addr == ::1/128", "ip6 host ::1"),
            ("ipv6.src != ::1/0", NOTHING),
        ] {
            assert_eq!(bpf(text), exact(want), "{text}");
        }
    }

    #[test]
    fn a_filter_too_long_for_libpcap_lets_every_packet_through() {
        let chain = |n: usize| {
            (0..n)
                .map(|i| format!("tcp.port == {}", 1000 + i % 60_000))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        let at_limit = bpf(&chain(MAX_TESTS));
        assert!(at_limit.exact);
        assert!(at_limit
            .expr
            .unwrap()
            .starts_with("(tcp port 1000) or (tcp port 1001)"));
        for n in [MAX_TESTS + 1, 100_000] {
            assert_eq!(
                bpf(&chain(n)),
                Bpf {
                    expr: None,
                    exact: false
                }
            );
        }
        // Tests are counted wherever they are.
        let nested = format!("not ({}) and tcp", chain(MAX_TESTS));
        assert_eq!(bpf(&nested).expr, None);
    }
}
