//! The in-process back end: does a packet match a filter? Wireshark's semantics: a test on
//! an absent field is false; `==`, `<`, … hold when any value holds (`ip.addr` is source and
//! destination); `!=` holds when no value is equal (Wireshark 4's `!=`, same as `!(a == b)`).

use std::cmp::Ordering;
use std::net::IpAddr;

use super::fields::{Field, Values};
use super::lexer::CompareOp;
use super::parser::{Expr, Value};
use super::Streams;
use crate::wire::{DnsPorts, Layer, LayerRole, Packet};

/// True when `packet` matches `expr`; `streams` are its stream numbers, when known.
/// A field's occurrences in the frame's other layers (a tunnel's outer headers, the packet an
/// ICMP error quotes, a malformed transport header) count as Wireshark counts them: a test
/// holds when it holds for some occurrence, `!=` when no occurrence is equal.
pub fn matches(expr: &Expr, packet: &Packet<'_>, dns: &DnsPorts, streams: Streams) -> bool {
    let own = |field: &Field| match field {
        Field::TcpStream => streams
            .tcp
            .map_or(Values::None, |s| Values::Number(s.into())),
        Field::UdpStream => streams
            .udp
            .map_or(Values::None, |s| Values::Number(s.into())),
        _ => field.values(packet, dns),
    };
    // Every occurrence's values: the packet's own, then its other layers'.
    let all = |field: &Field| {
        let mut all = vec![own(field)];
        if *field == Field::UdpStream {
            let layers = streams.layer_udp.iter().flatten();
            all.extend(layers.map(|s| Values::Number(u64::from(*s))));
            return all;
        }
        for layer in &packet.other_layers {
            // tcp.stream numbers the packet's own connection only; a malformed UDP header
            // is no DNS message.
            let dns_less = layer.role == LayerRole::Broken && field.is_dns();
            if *field != Field::TcpStream && !dns_less {
                all.push(field.values(&layer_view(packet, layer), dns));
            }
        }
        all
    };
    match expr {
        Expr::Has(field) if packet.other_layers.is_empty() => own(field) != Values::None,
        Expr::Has(field) => all(field).iter().any(|v| *v != Values::None),
        Expr::Compare(field, op, value) if packet.other_layers.is_empty() => {
            compare(own(field), *op, value)
        }
        Expr::Compare(field, op, value) => {
            let present: Vec<Values> = all(field)
                .into_iter()
                .filter(|v| *v != Values::None)
                .collect();
            if *op == CompareOp::Ne {
                !present.is_empty() && present.into_iter().all(|v| compare(v, *op, value))
            } else {
                present.into_iter().any(|v| compare(v, *op, value))
            }
        }
        Expr::And(terms) => terms.iter().all(|e| matches(e, packet, dns, streams)),
        Expr::Or(terms) => terms.iter().any(|e| matches(e, packet, dns, streams)),
        Expr::Not(a) => !matches(a, packet, dns, streams),
    }
}

/// One of `packet`'s other layers seen as a packet of its own (its IP and transport headers,
/// the frame's facts), for reading fields from.
fn layer_view<'a>(packet: &Packet<'a>, layer: &Layer<'a>) -> Packet<'a> {
    Packet {
        ts: packet.ts,
        frame_len: packet.frame_len,
        cap_len: packet.cap_len,
        interface: packet.interface,
        eth: packet.eth,
        packet_type: packet.packet_type,
        ether_type: layer
            .ip
            .map(|ip| if ip.src.is_ipv4() { 0x0800 } else { 0x86dd }),
        ip: layer.ip,
        transport: layer.transport.clone(),
        status: packet.status.clone(),
        ip_fragment: None,
        other_layers: Vec::new(),
    }
}

/// True when `expr` tests a field `which` says yes to.
pub fn uses(expr: &Expr, which: &dyn Fn(Field) -> bool) -> bool {
    match expr {
        Expr::Has(field) | Expr::Compare(field, ..) => which(*field),
        Expr::And(terms) | Expr::Or(terms) => terms.iter().any(|e| uses(e, which)),
        Expr::Not(a) => uses(a, which),
    }
}

fn compare(values: Values, op: CompareOp, value: &Value) -> bool {
    let one = |ordering: Option<Ordering>| ordering.is_some_and(|o| holds(op, o));
    match (&values, value) {
        (Values::None | Values::Present, _) => false,
        (_, Value::Net(net, prefix)) if op == CompareOp::Eq || op == CompareOp::Ne => {
            let inside = |a: IpAddr| in_net(a, *net, *prefix);
            let any_equal = match values {
                Values::Addr(a) => inside(a),
                Values::Addrs(a, b) => inside(a) || inside(b),
                _ => false,
            };
            if op == CompareOp::Eq {
                any_equal
            } else {
                !any_equal
            }
        }
        (Values::Number(a), Value::Number(v)) => number(op, *a, *v),
        (Values::Numbers(a, b), Value::Number(v)) => {
            if op == CompareOp::Ne {
                a != v && b != v
            } else {
                number(op, *a, *v) || number(op, *b, *v)
            }
        }
        (Values::Many(all), Value::Number(v)) => {
            if op == CompareOp::Ne {
                all.iter().all(|a| a != v)
            } else {
                all.iter().any(|a| number(op, *a, *v))
            }
        }
        (Values::Text(a), Value::Text(v)) => holds(op, a.as_str().cmp(v.as_str())),
        (Values::Addr(a), Value::Net(v, _)) => one(a.partial_cmp(v)),
        (Values::Addrs(a, b), Value::Net(v, _)) => one(a.partial_cmp(v)) || one(b.partial_cmp(v)),
        _ => false,
    }
}

/// True when the value `a` compares with `v` as `op` asks.
pub(super) fn number(op: CompareOp, a: u64, v: u64) -> bool {
    holds(op, a.cmp(&v))
}

fn holds(op: CompareOp, ordering: Ordering) -> bool {
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
    }
}

/// True when `addr` lies in `net/prefix` (same family only).
pub fn in_net(addr: IpAddr, net: IpAddr, prefix: u8) -> bool {
    addr.is_ipv4() == net.is_ipv4() && network(addr, prefix) == network(net, prefix)
}

/// `addr` with the bits past the first `prefix` cleared: the network `addr/prefix` names, as
/// Wireshark reads `127.0.0.5/8` (127.0.0.0/8).
pub(super) fn network(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(prefix.min(32)))
                .unwrap_or(0);
            IpAddr::V4((u32::from(a) & mask).into())
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(prefix.min(128)))
                .unwrap_or(0);
            IpAddr::V6((u128::from(a) & mask).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_clears_the_host_bits() {
        let net = |a: &str, p| network(a.parse().unwrap(), p).to_string();
        assert_eq!(net("127.0.0.5", 8), "127.0.0.0");
        assert_eq!(net("172.16.16.101", 24), "172.16.16.0");
        assert_eq!(net("172.16.16.101", 32), "172.16.16.101");
        assert_eq!(net("255.255.255.255", 0), "0.0.0.0");
        assert_eq!(net("255.255.255.255", 1), "128.0.0.0");
        assert_eq!(net("fe80::1", 10), "fe80::");
        assert_eq!(net("fe80::1", 128), "fe80::1");
        assert_eq!(net("fe80::1", 0), "::");
        assert!(in_net(
            "127.0.0.1".parse().unwrap(),
            "127.0.0.5".parse().unwrap(),
            8
        ));
        assert!(!in_net(
            "128.0.0.1".parse().unwrap(),
            "127.0.0.5".parse().unwrap(),
            8
        ));
        assert!(!in_net(
            "::".parse().unwrap(),
            "0.0.0.0".parse().unwrap(),
            0
        ));
    }
}
