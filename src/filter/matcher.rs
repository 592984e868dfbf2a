//! The in-process back end: does a packet match a filter? Wireshark's semantics: a test on
//! an absent field is false; `==`, `<`, … hold when any value holds (`ip.addr` is source and
//! destination); `!=` holds when no value is equal (Wireshark 4's `!=`, same as `!(a == b)`).

use std::cmp::Ordering;
use std::net::IpAddr;

use super::fields::Values;
use super::lexer::CompareOp;
use super::parser::{Expr, Value};
use crate::wire::{DnsPorts, Packet};

/// True when `packet` matches `expr`.
pub fn matches(expr: &Expr, packet: &Packet<'_>, dns: &DnsPorts) -> bool {
    match expr {
        Expr::Has(field) => field.values(packet, dns) != Values::None,
        Expr::Compare(field, op, value) => compare(field.values(packet, dns), *op, value),
        Expr::And(terms) => terms.iter().all(|e| matches(e, packet, dns)),
        Expr::Or(terms) => terms.iter().any(|e| matches(e, packet, dns)),
        Expr::Not(a) => !matches(a, packet, dns),
    }
}

fn compare(values: Values, op: CompareOp, value: &Value) -> bool {
    let one = |ordering: Option<Ordering>| ordering.is_some_and(|o| holds(op, o));
    match (values, value) {
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
        (Values::Number(a), Value::Number(v)) => number(op, a, *v),
        (Values::Numbers(a, b), Value::Number(v)) => {
            if op == CompareOp::Ne {
                a != *v && b != *v
            } else {
                number(op, a, *v) || number(op, b, *v)
            }
        }
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
    match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}
