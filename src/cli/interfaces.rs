//! `labcap interfaces`: the interfaces a live capture can use, numbered as `tshark -D` does.

use std::io::Write;

use super::Outcome;
use crate::report::escape::escape_text;
use crate::source::{interfaces, InterfaceInfo};

/// Arguments of `labcap interfaces`.
#[derive(clap::Args, Debug)]
pub struct InterfacesArgs {}

/// Lists the interfaces.
pub fn run(_args: InterfacesArgs) -> anyhow::Result<Outcome> {
    let list = interfaces()?;
    let mut out = std::io::stdout().lock();
    if list.is_empty() {
        writeln!(
            out,
            "libpcap lists no interface (capturing may need root or CAP_NET_RAW)"
        )?;
    }
    for (i, interface) in list.iter().enumerate() {
        writeln!(out, "{}", line(i + 1, interface))?;
    }
    Ok(Outcome::Pass)
}

/// One interface: `3. lo (Loopback)  127.0.0.1/8 ::1/128`.
fn line(number: usize, i: &InterfaceInfo) -> String {
    let mut line = format!("{number}. {}", escape_text(&i.name));
    let mut notes = Vec::new();
    if let Some(d) = &i.description {
        notes.push(escape_text(d).into_owned());
    } else if i.loopback {
        notes.push("Loopback".to_string());
    }
    // Pseudo-devices (any, nflog, dbus…) have a description and no "up" flag.
    if !i.up && i.description.is_none() {
        notes.push("down".to_string());
    }
    if !notes.is_empty() {
        line.push_str(&format!(" ({})", notes.join(", ")));
    }
    if !i.addresses.is_empty() {
        line.push(' ');
        for (addr, prefix) in &i.addresses {
            line.push(' ');
            line.push_str(&addr.to_string());
            if let Some(p) = prefix {
                line.push_str(&format!("/{p}"));
            }
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_as_tshark_d_numbers_it_with_addresses() {
        let lo = InterfaceInfo {
            name: "lo".into(),
            description: None,
            addresses: vec![
                ("127.0.0.1".parse().unwrap(), Some(8)),
                ("::1".parse().unwrap(), Some(128)),
            ],
            loopback: true,
            up: true,
        };
        assert_eq!(line(3, &lo), "3. lo (Loopback)  127.0.0.1/8 ::1/128");
        let odd = InterfaceInfo {
            name: "e\u{1b}[2Jth9".into(),
            description: None,
            addresses: Vec::new(),
            loopback: false,
            up: false,
        };
        assert_eq!(line(1, &odd), "1. e\\x1b[2Jth9 (down)");
    }
}
