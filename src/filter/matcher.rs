//! The in-process back end: does a packet match a filter? Wireshark's semantics: a test on
//! an absent field is false; `==`, `<`, … hold when any value holds (`ip.addr` is source and
//! destination); `!=` holds when no value is equal (Wireshark 4's `!=`, same as `!(a == b)`).

use std::cmp::Ordering;
use std::net::IpAddr;

use super::fields::{Field, Values};
use super::lexer::CompareOp;
use super::parser::{Expr, Relation, Test, Value};
use super::{Context, Streams};
use crate::wire::{DnsPorts, Layer, LayerRole, Packet};

/// True when `packet` matches `expr`; `context` is what the pipeline knows of it. A field's
/// occurrences in the frame's other layers (a tunnel's outer headers, the packet an ICMP error
/// quotes, a malformed transport header) count as Wireshark counts them: a test holds when it
/// holds for some occurrence, `!=` when no occurrence is equal.
pub fn matches(expr: &Expr, packet: &Packet<'_>, dns: &DnsPorts, context: &Context) -> bool {
    let layered = !packet.other_layers.is_empty();
    match expr {
        Expr::Has(field) if !layered => values(*field, packet, dns, context) != Values::None,
        Expr::Has(field) => occurrences(*field, packet, dns, context)
            .iter()
            .any(|v| *v != Values::None),
        Expr::Compare(field, op, value) if !layered => {
            compare(&values(*field, packet, dns, context), *op, value)
        }
        Expr::Compare(field, op, value) => {
            let present: Vec<Values> = occurrences(*field, packet, dns, context)
                .into_iter()
                .filter(|v| *v != Values::None)
                .collect();
            if *op == CompareOp::Ne {
                !present.is_empty() && present.iter().all(|v| compare(v, *op, value))
            } else {
                present.iter().any(|v| compare(v, *op, value))
            }
        }
        Expr::Test(t) => {
            test(t, packet, dns, context)
                || layers_for(t.field, packet).any(|layer| {
                    // The pipeline's numbers belong to the packet's own headers.
                    let own_only = Context {
                        streams: Streams::default(),
                        ..*context
                    };
                    test(t, &layer_view(packet, layer), dns, &own_only)
                })
        }
        Expr::And(terms) => terms.iter().all(|e| matches(e, packet, dns, context)),
        Expr::Or(terms) => terms.iter().any(|e| matches(e, packet, dns, context)),
        Expr::Not(a) => !matches(a, packet, dns, context),
    }
}

/// Every occurrence of `field` in the frame: the packet's own, then its other layers'.
fn occurrences<'a>(
    field: Field,
    packet: &Packet<'a>,
    dns: &DnsPorts,
    context: &Context,
) -> Vec<Values<'a>> {
    let mut all = vec![values(field, packet, dns, context)];
    if field == Field::UdpStream {
        let layers = context.streams.layer_udp.iter().flatten();
        all.extend(layers.map(|s| Values::Number(u64::from(*s))));
        return all;
    }
    for layer in layers_for(field, packet) {
        all.push(field.values(&layer_view(packet, layer), dns));
    }
    all
}

/// The other layers `field` can occur in: not for what the pipeline numbers or analyses
/// (the packet's own connection), and a malformed UDP header is no DNS message.
fn layers_for<'p, 'a>(field: Field, packet: &'p Packet<'a>) -> impl Iterator<Item = &'p Layer<'a>> {
    packet.other_layers.iter().filter(move |layer| {
        !field.is_analysed() && (layer.role != LayerRole::Broken || !field.is_dns())
    })
}

/// The values of `field`, those the pipeline numbers taken from `context`.
fn values<'a>(field: Field, packet: &Packet<'a>, dns: &DnsPorts, context: &Context) -> Values<'a> {
    let number = |n: Option<u32>| n.map_or(Values::None, |n| Values::Number(n.into()));
    match field {
        Field::TcpStream => number(context.streams.tcp),
        Field::UdpStream => number(context.streams.udp),
        Field::FrameNumber => number(context.number),
        Field::FrameTimeRelative => context.time_relative.map_or(Values::None, Values::Time),
        Field::TcpAnalysis(bits) => match context.streams.tcp_event {
            Some(e) if e.findings.any(bits) => Values::Present,
            _ => Values::None,
        },
        Field::TcpDupAckNum | Field::TcpDupAckFrame => {
            match context.streams.tcp_event.and_then(|e| e.dup_ack) {
                Some(d) if field == Field::TcpDupAckNum => Values::Number(d.number.into()),
                Some(d) => Values::Number(d.of_frame),
                None => Values::None,
            }
        }
        Field::TcpWindowSize => context
            .streams
            .tcp_event
            .map_or(Values::None, |e| Values::Number(e.win.into())),
        Field::TcpSeq => context
            .streams
            .tcp_event
            .map_or(Values::None, |e| Values::Number(e.seq.into())),
        Field::TcpAck => context
            .streams
            .tcp_event
            .map_or(Values::None, |e| Values::Number(e.ack.into())),
        _ => field.values(packet, dns),
    }
}

/// One of `packet`'s other layers seen as a packet of its own (its IP and transport headers,
/// the frame's facts), for reading fields from.
fn layer_view<'a>(packet: &Packet<'a>, layer: &Layer<'a>) -> Packet<'a> {
    Packet {
        ether_type: layer
            .ip
            .map(|ip| if ip.src.is_ipv4() { 0x0800 } else { 0x86dd }),
        ip: layer.ip,
        transport: layer.transport.clone(),
        status: packet.status.clone(),
        ip_header: layer.ip_header,
        ..Packet::frame_facts(packet)
    }
}

/// True when `expr` tests a field `which` says yes to.
pub fn uses(expr: &Expr, which: &dyn Fn(Field) -> bool) -> bool {
    match expr {
        Expr::Has(field) | Expr::Compare(field, ..) => which(*field),
        Expr::Test(t) => which(t.field),
        Expr::And(terms) | Expr::Or(terms) => terms.iter().any(|e| uses(e, which)),
        Expr::Not(a) => uses(a, which),
    }
}

/// A test with a slice, a mask, `contains`, `matches` or `in`.
fn test(t: &Test, packet: &Packet<'_>, dns: &DnsPorts, context: &Context) -> bool {
    let searching = matches!(t.relation, Relation::Contains(_) | Relation::Matches(_));
    let mut found = if let Some(slice) = t.slice {
        t.field
            .bytes(packet, dns)
            .and_then(|b| slice.of(b))
            .map_or(Values::None, Values::Bytes)
    } else if searching && t.field.has_bytes() {
        // A payload field is absent when empty, a protocol's bytes are never empty.
        match values(t.field, packet, dns, context) {
            Values::None => Values::None,
            _ => t
                .field
                .bytes(packet, dns)
                .map_or(Values::None, Values::Bytes),
        }
    } else {
        values(t.field, packet, dns, context)
    };
    if let Some(mask) = t.mask {
        found = match found {
            Values::Number(n) => Values::Number(n & mask),
            Values::Numbers(a, b) => Values::Numbers(a & mask, b & mask),
            Values::Many(all) => Values::Many(all.into_iter().map(|n| n & mask).collect()),
            other => other,
        };
    }
    match &t.relation {
        Relation::Has if t.mask.is_some() => each(&found)
            .iter()
            .any(|v| matches!(v, Values::Number(n) if *n != 0)),
        Relation::Has => found != Values::None,
        Relation::Compare(op, value) => compare(&found, *op, value),
        Relation::Contains(needle) => texts(&found)
            .iter()
            .any(|b| needle.is_empty() || b.windows(needle.len()).any(|w| w == needle.as_slice())),
        Relation::Matches(pattern) => texts(&found).iter().any(|b| pattern.is_match(b)),
        Relation::In(ranges) => each(&found).iter().any(|one| {
            ranges.iter().any(|(low, high)| {
                if low == high {
                    compare(one, CompareOp::Eq, low)
                } else {
                    compare(one, CompareOp::Ge, low) && compare(one, CompareOp::Le, high)
                }
            })
        }),
    }
}

/// The values one by one (an address of `ip.addr`, a port of `tcp.port`, a name of many).
fn each<'a>(values: &Values<'a>) -> Vec<Values<'a>> {
    match values {
        Values::None => Vec::new(),
        Values::Numbers(a, b) => vec![Values::Number(*a), Values::Number(*b)],
        Values::Addrs(a, b) => vec![Values::Addr(*a), Values::Addr(*b)],
        Values::Many(all) => all.iter().map(|n| Values::Number(*n)).collect(),
        Values::Texts(all) => all.iter().map(|t| Values::Text(t.clone())).collect(),
        Values::AddrList(all) => all.iter().map(|a| Values::Addr(*a)).collect(),
        one => vec![one.clone()],
    }
}

/// The byte strings and texts among the values, as bytes, for `contains` and `matches`.
fn texts<'v>(values: &'v Values<'_>) -> Vec<&'v [u8]> {
    match values {
        Values::Bytes(b) => vec![b],
        Values::Text(t) => vec![t.as_bytes()],
        Values::Texts(all) => all.iter().map(|t| t.as_bytes()).collect(),
        _ => Vec::new(),
    }
}

fn compare(values: &Values<'_>, op: CompareOp, value: &Value) -> bool {
    let one = |ordering: Option<Ordering>| ordering.is_some_and(|o| holds(op, o));
    match (values, value) {
        (Values::None | Values::Present, _) => false,
        (_, Value::Net(net, prefix)) if op == CompareOp::Eq || op == CompareOp::Ne => {
            let inside = |a: &IpAddr| in_net(*a, *net, *prefix);
            let any_equal = match values {
                Values::Addr(a) => inside(a),
                Values::Addrs(a, b) => inside(a) || inside(b),
                Values::AddrList(all) => all.iter().any(inside),
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
        (Values::Texts(all), Value::Text(v)) => {
            if op == CompareOp::Ne {
                all.iter().all(|a| a != v)
            } else {
                all.iter().any(|a| holds(op, a.as_str().cmp(v.as_str())))
            }
        }
        // As Wireshark orders byte strings: the shorter first, then byte by byte.
        (Values::Bytes(a), Value::Bytes(v)) => {
            holds(op, (a.len(), *a).cmp(&(v.len(), v.as_slice())))
        }
        (Values::Time(a), Value::Time(v)) => holds(op, a.cmp(v)),
        (Values::Addr(a), Value::Net(v, _)) => one(a.partial_cmp(v)),
        (Values::Addrs(a, b), Value::Net(v, _)) => one(a.partial_cmp(v)) || one(b.partial_cmp(v)),
        (Values::AddrList(all), Value::Net(v, _)) => all.iter().any(|a| one(a.partial_cmp(v))),
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
