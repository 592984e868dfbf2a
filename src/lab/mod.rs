//! The lab rebuilt on one Linux machine: `mesin1` (server, 172.16.16.101), `mesin2` and `mesin3`
//! (clients, .102 and .103) as network namespaces joined by a bridge in a namespace of its own,
//! each with a DNS server at 127.0.0.11 as Docker provides. `play` runs the assignment while
//! each machine captures on `any`; the built-in spec `tugas1` grades the captures.
//! Nothing is routed out of the namespaces.

pub mod play;
pub mod topology;

use std::net::Ipv4Addr;

/// One of the lab's machines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Machine {
    /// Its name in the lab (`mesin1`).
    pub name: &'static str,
    /// Its address on the lab network.
    pub addr: Ipv4Addr,
}

/// The three machines, server first.
pub const MACHINES: [Machine; 3] = [
    Machine {
        name: "mesin1",
        addr: Ipv4Addr::new(172, 16, 16, 101),
    },
    Machine {
        name: "mesin2",
        addr: Ipv4Addr::new(172, 16, 16, 102),
    },
    Machine {
        name: "mesin3",
        addr: Ipv4Addr::new(172, 16, 16, 103),
    },
];

/// The lab network: its address marks the interface the lab runs on, whatever its name.
pub const SUBNET: (Ipv4Addr, u8) = (Ipv4Addr::new(172, 16, 16, 0), 24);

/// A lab instance: its namespaces are named `{prefix}mesin1` … and `{prefix}labnet`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lab {
    /// Prefix of every namespace name (empty by default).
    pub prefix: String,
}

impl Lab {
    /// The lab with namespace prefix `prefix`.
    pub fn new(prefix: &str) -> Lab {
        Lab {
            prefix: prefix.to_string(),
        }
    }

    /// The labcap command line that does `action` to this lab (`labcap lab --prefix t1- up`),
    /// for messages to suggest.
    pub fn command(&self, action: &str) -> String {
        if self.prefix.is_empty() {
            return format!("labcap lab {action}");
        }
        let plain = self
            .prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        let prefix = if plain {
            self.prefix.clone()
        } else {
            format!("'{}'", self.prefix.replace('\'', "'\\''"))
        };
        crate::report::escape::escape_text(&format!("labcap lab --prefix {prefix} {action}"))
            .into_owned()
    }

    /// The namespace of `machine`.
    pub fn netns(&self, machine: &Machine) -> String {
        format!("{}{}", self.prefix, machine.name)
    }

    /// The namespace holding the bridge.
    pub fn bridge_netns(&self) -> String {
        format!("{}labnet", self.prefix)
    }
}
