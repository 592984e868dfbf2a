//! Expectations on UDP datagrams (module 2: senders, broadcasts, one byte per datagram).

use super::observe::Observation;
use super::{missing_observer, plural, Expect};

/// Whether `e` holds over what its observer saw, and why.
pub(super) fn evaluate(e: &Expect, observed: Option<&Observation>) -> (bool, String) {
    let Some(Observation::Datagrams(seen)) = observed else {
        return missing_observer();
    };
    let senders = || {
        seen.from
            .iter()
            .map(|(a, n)| format!("{a}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match e {
        Expect::UdpBroadcast(port) => (
            seen.datagrams > 0,
            if seen.datagrams == 0 {
                format!("no broadcast datagram to port {port}")
            } else {
                format!(
                    "{} ({})",
                    plural(seen.datagrams as usize, "broadcast datagram"),
                    senders()
                )
            },
        ),
        Expect::UdpTo(spec) => {
            if seen.datagrams == 0 {
                return (false, format!("no datagram to port {}", spec.port));
            }
            let mut problems = Vec::new();
            let named: Vec<(std::net::IpAddr, u64)> = if spec.from.is_empty() {
                vec![]
            } else {
                spec.from
                    .iter()
                    .map(|a| (*a, seen.from.get(a).copied().unwrap_or(0)))
                    .collect()
            };
            let total = if spec.from.is_empty() {
                vec![(None, seen.datagrams)]
            } else {
                named.iter().map(|(a, n)| (Some(*a), *n)).collect()
            };
            for (who, n) in total {
                let who = who.map_or("all senders".to_string(), |a| a.to_string());
                match spec.count {
                    Some(c) if n != c => problems.push(format!("{who} sent {n}, not {c}")),
                    None if n < spec.at_least => {
                        problems.push(format!("{who} sent {n}, fewer than {}", spec.at_least))
                    }
                    _ => {}
                }
            }
            if seen.wrong_size.count > 0 {
                problems.push(format!(
                    "{} of another size ({})",
                    plural(seen.wrong_size.count as usize, "datagram"),
                    seen.wrong_size
                        .list(", ", |(a, len)| format!("{len} bytes from {a}"))
                ));
            }
            let detail = format!(
                "{} to port {} ({})",
                plural(seen.datagrams as usize, "datagram"),
                spec.port,
                senders()
            );
            if problems.is_empty() {
                (true, detail)
            } else {
                (false, format!("{}: {detail}", problems.join("; ")))
            }
        }
        _ => unreachable!("only UDP expectations are evaluated by checks::udp"),
    }
}
