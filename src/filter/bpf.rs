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
use super::parser::{Expr, Relation, Slice, Test, Value};
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
        Expr::Test(t) => match &t.relation {
            Relation::In(ranges) => ranges.len(),
            _ => 1,
        },
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
            if field.kind() == Kind::Mac || pipeline_numbered(*field) =>
        {
            Bpf {
                expr: None,
                exact: false,
            }
        }
        // HTTP and TLS are read from the payload, the analysis fields found by the TCP
        // analysis: the kernel can only keep TCP.
        Expr::Has(field) | Expr::Compare(field, ..) if field.is_stream() || field.is_analysed() => {
            superset("tcp")
        }
        Expr::Has(field) => has(*field),
        Expr::Compare(field, op, value) => compare(*field, *op, value),
        Expr::Test(t) => test(t, dns),
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
        Expr::Or(terms) => any(terms.iter().map(translate).collect()),
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

/// Any of the terms.
fn any(terms: Vec<Bpf>) -> Bpf {
    let exact = terms.iter().all(|t| t.exact);
    // A term without an expression lets every packet through: so does the chain.
    let tests: Option<Vec<String>> = terms.into_iter().map(|t| t.expr).collect();
    Bpf {
        expr: tests.and_then(|tests| join(tests, "or")),
        exact,
    }
}

/// True for the fields the pipeline knows, not the packet (and `frame.cap_len`, which BPF
/// cannot read): the kernel keeps everything.
fn pipeline_numbered(field: Field) -> bool {
    matches!(
        field,
        Field::TcpStream
            | Field::UdpStream
            | Field::FrameNumber
            | Field::FrameTimeRelative
            | Field::FrameCapLen
    )
}

/// The packets that have `field`, as a superset.
fn loose(field: Field, dns: &DnsPorts) -> Bpf {
    Bpf {
        exact: false,
        ..translate_tree(&Expr::Has(field), dns)
    }
}

/// A slice, a mask, `contains`, `matches` or `in`: exact where BPF reads the same bytes or
/// numbers (a frame's bytes, IP header fields, ports), a superset of the packets that have the
/// field elsewhere.
fn test(t: &Test, dns: &DnsPorts) -> Bpf {
    let field = t.field;
    if field.is_dns() || field.is_stream() || field.kind() == Kind::Mac || pipeline_numbered(field)
    {
        return loose(field, dns);
    }
    if let Some(slice) = t.slice {
        return sliced(field, slice, &t.relation).unwrap_or_else(|| loose(field, dns));
    }
    if let Some(mask) = t.mask {
        return masked(field, mask, &t.relation).unwrap_or_else(|| loose(field, dns));
    }
    match &t.relation {
        Relation::In(ranges) => any(ranges
            .iter()
            .map(|(low, high)| element(field, low, high, dns))
            .collect()),
        _ => loose(field, dns),
    }
}

/// One element of a set, as a plain test: `== v`, a port range, or `>= low and <= high` for a
/// field of one value (for one of two values, `ip.addr`, the two tests may hold of different
/// ones: the field's packets, a superset, instead).
fn element(field: Field, low: &Value, high: &Value, dns: &DnsPorts) -> Bpf {
    if low == high {
        return translate_tree(&Expr::Compare(field, CompareOp::Eq, low.clone()), dns);
    }
    let two_valued = matches!(
        field,
        Field::IpAddr | Field::Ipv6Addr | Field::EthAddr | Field::TlsHandshakeType
    );
    match (field, low, high) {
        (Field::TcpPort | Field::UdpPort, Value::Number(low), Value::Number(high)) => {
            port_range(field, *low, *high)
        }
        _ if two_valued => loose(field, dns),
        _ => translate_tree(
            &Expr::And(vec![
                Expr::Compare(field, CompareOp::Ge, low.clone()),
                Expr::Compare(field, CompareOp::Le, high.clone()),
            ]),
            dns,
        ),
    }
}

/// BPF arithmetic for a number field's value (two for ports), the protocol test of the
/// packets that have it, and whether BPF reads it behind IPv4 only.
fn arithmetic(field: Field) -> Option<(Vec<&'static str>, &'static str, bool)> {
    Some(match field {
        Field::FrameLen => (vec!["len"], "", false),
        Field::IpProto => (vec!["ip[9]"], "ip", false),
        Field::IpTtl => (vec!["ip[8]"], "ip", false),
        Field::IpId => (vec!["ip[4:2]"], "ip", false),
        Field::IpFlags => (vec!["(ip[6] >> 5)"], "ip", false),
        Field::IpFragOffset => (vec!["(ip[6:2] & 0x1fff)"], "ip", false),
        Field::Ipv6Nxt => (vec!["ip6[6]"], "ip6", false),
        Field::Ipv6Hlim => (vec!["ip6[7]"], "ip6", false),
        Field::TcpFlags => (vec!["(tcp[12:2] & 0x1ff)"], "tcp", true),
        Field::TcpWindow => (vec!["tcp[14:2]"], "tcp", true),
        Field::TcpSeqRaw => (vec!["tcp[4:4]"], "tcp", true),
        Field::TcpAckRaw => (vec!["tcp[8:4]"], "tcp", true),
        Field::TcpSrcPort => (vec!["tcp[0:2]"], "tcp", true),
        Field::TcpDstPort => (vec!["tcp[2:2]"], "tcp", true),
        Field::TcpPort => (vec!["tcp[0:2]", "tcp[2:2]"], "tcp", true),
        Field::UdpSrcPort => (vec!["udp[0:2]"], "udp", true),
        Field::UdpDstPort => (vec!["udp[2:2]"], "udp", true),
        Field::UdpPort => (vec!["udp[0:2]", "udp[2:2]"], "udp", true),
        Field::UdpLength => (vec!["udp[4:2]"], "udp", true),
        _ => return None,
    })
}

/// `field & mask` alone (some bit set) or compared with a number.
fn masked(field: Field, mask: u64, relation: &Relation) -> Option<Bpf> {
    let (values, proto, ipv4_only) = arithmetic(field)?;
    let (test, all) = match relation {
        Relation::Has => ("!= 0".to_string(), false),
        Relation::Compare(op, Value::Number(n)) => {
            (format!("{} {n}", op.symbol()), *op == CompareOp::Ne)
        }
        _ => return None,
    };
    let terms: Vec<String> = values
        .iter()
        .map(|v| format!("({v} & {mask:#x}) {test}"))
        .collect();
    let joined = join(terms, if all { "and" } else { "or" })?;
    Some(if ipv4_only {
        ipv4_or_ipv6(&format!("({joined})"), proto)
    } else if proto.is_empty() {
        exact(joined)
    } else {
        exact(format!("{proto} and ({joined})"))
    })
}

/// A slice of the frame compared with bytes BPF can load at once (1, 2 or 4 at a fixed
/// offset), after checking the frame is long enough: a load past the end would end the whole
/// BPF program with "reject", whatever the rest of the filter says. Slices of a protocol's
/// bytes start where its header does, which BPF finds only for some (and reads past their end
/// into padding): for them, the protocol's packets. `None`: only the field's packets can be
/// kept.
fn sliced(field: Field, slice: Slice, relation: &Relation) -> Option<Bpf> {
    let Relation::Compare(op, Value::Bytes(bytes)) = relation else {
        return None;
    };
    let start = u64::try_from(slice.start).ok()?;
    if field != Field::Frame
        || slice.len != Some(bytes.len() as u64)
        || ![1, 2, 4].contains(&bytes.len())
    {
        return None;
    }
    let n = bytes.iter().fold(0u64, |n, b| n << 8 | u64::from(*b));
    let end = start + bytes.len() as u64;
    // BPF offsets are 32-bit.
    if end > u64::from(u32::MAX) {
        return None;
    }
    Some(exact(format!(
        "len >= {end} and link[{start}:{}] {} {n:#x}",
        bytes.len(),
        op.symbol()
    )))
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
        Field::Frame
        | Field::FrameLen
        | Field::FrameCapLen
        | Field::FrameNumber
        | Field::FrameTimeRelative => None,
        Field::Ip
        | Field::IpAddr
        | Field::IpSrc
        | Field::IpDst
        | Field::IpProto
        | Field::IpTtl
        | Field::IpId
        | Field::IpFlags
        | Field::IpFlag(_)
        | Field::IpFragOffset => Some("ip"),
        Field::Ipv6
        | Field::Ipv6Addr
        | Field::Ipv6Src
        | Field::Ipv6Dst
        | Field::Ipv6Nxt
        | Field::Ipv6Hlim => Some("ip6"),
        Field::Tcp
        | Field::TcpPort
        | Field::TcpSrcPort
        | Field::TcpDstPort
        | Field::TcpLen
        | Field::TcpFlags
        | Field::TcpFlag(_)
        | Field::TcpWindow
        | Field::TcpSeqRaw
        | Field::TcpAckRaw
        | Field::TcpPayload => Some("tcp"),
        Field::Udp
        | Field::UdpPort
        | Field::UdpSrcPort
        | Field::UdpDstPort
        | Field::UdpLength
        | Field::UdpPayload => Some("udp"),
        Field::Icmp | Field::IcmpType | Field::IcmpCode => Some("icmp"),
        Field::Icmpv6 | Field::Icmpv6Type | Field::Icmpv6Code => Some("icmp6"),
        // Translated by `translate` (no kernel test).
        Field::EthAddr | Field::EthSrc | Field::EthDst => None,
        Field::TcpStream
        | Field::UdpStream
        | Field::TcpAnalysis(_)
        | Field::TcpDupAckNum
        | Field::TcpDupAckFrame
        | Field::TcpWindowSize
        | Field::TcpSeq
        | Field::TcpAck => None,
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
        | Field::DnsQryName
        | Field::DnsRespName
        | Field::DnsA
        | Field::DnsAaaa
        | Field::DnsCname => None,
    }
}

fn has(field: Field) -> Bpf {
    match (field, layer(field)) {
        // Present when not empty: the protocol's packets.
        (Field::TcpPayload | Field::UdpPayload, Some(test)) => superset(test),
        // The protocol's packets, fragments and cut messages among them: a superset.
        (Field::IcmpType | Field::IcmpCode | Field::Icmpv6Type | Field::Icmpv6Code, Some(test)) => {
            superset(test)
        }
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
        Field::IpId | Field::IpFlags | Field::IpFragOffset | Field::Ipv6Nxt | Field::Ipv6Hlim => {
            match arithmetic(field) {
                Some((values, proto, _)) => exact(format!("{proto} and {} {sym} {n}", values[0])),
                None => has(field),
            }
        }
        Field::IpFlag(mask) => match (matcher::number(op, 0, n), matcher::number(op, 1, n)) {
            (false, false) => exact(NOTHING),
            (true, true) => has(field),
            (false, true) => exact(format!("ip and (ip[6] & {mask:#x}) != 0")),
            (true, false) => exact(format!("ip and (ip[6] & {mask:#x}) == 0")),
        },
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
        Field::TcpSeqRaw => ipv4_or_ipv6(&format!("tcp[4:4] {sym} {n}"), "tcp"),
        Field::TcpAckRaw => ipv4_or_ipv6(&format!("tcp[8:4] {sym} {n}"), "tcp"),
        // Any other field: its packets, which the matcher refines (never claimed exact).
        _ => Bpf {
            exact: false,
            ..has(field)
        },
    }
}

fn ipv4_or_ipv6(ipv4_test: &str, proto: &str) -> Bpf {
    superset(format!(
        "(ip and {proto} and {ipv4_test}) or (ip6 and {proto})"
    ))
}

/// The protocol of a port field and its direction (`src `, `dst ` or none for either).
fn port_words(field: Field) -> (&'static str, &'static str) {
    let proto = layer(field).unwrap_or("tcp");
    let direction = match field {
        Field::TcpSrcPort | Field::UdpSrcPort => "src ",
        Field::TcpDstPort | Field::UdpDstPort => "dst ",
        _ => "",
    };
    (proto, direction)
}

/// A port from `lo` to `hi`: exact whichever family (libpcap reads ports of IPv6 too).
fn port_range(field: Field, lo: u64, hi: u64) -> Bpf {
    let (proto, direction) = port_words(field);
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
}

fn port(field: Field, op: CompareOp, n: u64) -> Bpf {
    let (proto, direction) = port_words(field);
    let range = |lo: u64, hi: u64| port_range(field, lo, hi);
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
    fn the_tcp_analysis_keeps_tcp_for_the_matcher_to_refine() {
        for text in [
            "tcp.analysis.flags",
            "tcp.analysis.retransmission",
            "tcp.analysis.duplicate_ack_num >= 3",
            "tcp.window_size == 0",
        ] {
            assert_eq!(
                bpf(text),
                Bpf {
                    expr: Some("tcp".into()),
                    exact: false
                },
                "{text}"
            );
        }
        // A superset cannot be negated: every packet passes.
        assert_eq!(bpf("!tcp.analysis.flags").expr, None);
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
