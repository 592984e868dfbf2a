//! `labcap info [HOST...]`: this host's name and addresses, and each HOST looked up to A and
//! AAAA with timing, like the lab's `get_my_info` and `get_remote_info`, with reasons on failure.

use std::io::Write;
use std::net::IpAddr;

use super::Outcome;
use crate::hostinfo::resolver::{self, LookupError, ResolvConf};
use crate::hostinfo::{hostname, interfaces};
use crate::lab::SUBNET;
use crate::report::escape::sanitize;

/// Arguments of `labcap info`.
#[derive(clap::Args, Debug)]
pub struct InfoArgs {
    /// Host names to look up (A and AAAA), e.g. www.its.ac.id.
    pub hosts: Vec<String>,
}

/// Prints the host's facts and the lookups; fails when a HOST got no address.
pub fn run(args: InfoArgs) -> anyhow::Result<Outcome> {
    let mut out = std::io::stdout().lock();
    let name = hostname()?;
    writeln!(out, "Host name: {}", sanitize(&name))?;
    writeln!(out, "Addresses:")?;
    for a in interfaces::list()? {
        let lab = crate::filter::in_net(a.addr, SUBNET.0.into(), SUBNET.1);
        write!(out, "  {:<10} {}/{}", a.name, a.addr, a.prefix)?;
        if lab {
            write!(out, "   (lab network {}/{})", SUBNET.0, SUBNET.1)?;
        }
        writeln!(out)?;
    }
    let conf = ResolvConf::system();
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let own = resolver::hosts_lookup(&hosts, &name);
    if !own.is_empty() {
        writeln!(
            out,
            "IP address of {}: {} (/etc/hosts)",
            sanitize(&name),
            join(&own)
        )?;
    }
    let servers: Vec<String> = conf.nameservers.iter().map(ToString::to_string).collect();
    writeln!(
        out,
        "Resolver: {}",
        if servers.is_empty() {
            "none (/etc/resolv.conf has no nameserver)".to_string()
        } else {
            servers.join(", ")
        }
    )?;
    let mut outcome = Outcome::Pass;
    for host in &args.hosts {
        writeln!(out)?;
        if !lookup(&mut out, &conf, &hosts, host)? {
            outcome = Outcome::Fail;
        }
    }
    Ok(outcome)
}

/// Looks `host` up and prints the result; true when it got an address.
fn lookup(
    out: &mut impl Write,
    conf: &ResolvConf,
    hosts: &str,
    host: &str,
) -> std::io::Result<bool> {
    let shown = sanitize(host);
    let from_file = resolver::hosts_lookup(hosts, host);
    if !from_file.is_empty() {
        writeln!(out, "{shown}: {} (/etc/hosts)", join(&from_file))?;
        return Ok(true);
    }
    writeln!(out, "{shown}:")?;
    let mut addresses = Vec::new();
    let mut failure = None;
    for (qtype, label) in [(1, "A"), (28, "AAAA")] {
        match resolver::query(conf, host, qtype) {
            Ok(r) => {
                let found = r.addresses();
                let what = match (r.rcode, found.is_empty()) {
                    (0, false) => join(&found),
                    (0, true) => format!("no {label} record (NOERROR)"),
                    (3, _) => "NXDOMAIN: the name does not exist".to_string(),
                    (_, _) => format!("{}: the server did not answer it", r.rcode_name()),
                };
                writeln!(
                    out,
                    "  {label:<5} {what}   {:.3} ms from {}",
                    r.elapsed.as_secs_f64() * 1e3,
                    r.server
                )?;
                if r.rcode != 0 && failure.is_none() {
                    failure = Some(match r.rcode {
                        3 => format!(
                            "NXDOMAIN from {}: {shown} does not exist; check its spelling",
                            r.server.ip()
                        ),
                        _ => format!("{} from {}", r.rcode_name(), r.server.ip()),
                    });
                }
                addresses.extend(found);
            }
            Err(e) => {
                writeln!(out, "  {label:<5} {e}")?;
                if failure.is_none() {
                    failure = Some(e.to_string());
                }
                if matches!(e, LookupError::NoNameserver | LookupError::BadName(_)) {
                    break;
                }
            }
        }
    }
    if addresses.is_empty() {
        let why = failure.unwrap_or_else(|| "no A or AAAA record".to_string());
        writeln!(out, "ERROR {shown}: {why}")?;
        return Ok(false);
    }
    writeln!(out, "  IP address: {}", join(&addresses))?;
    Ok(true)
}

fn join(addresses: &[IpAddr]) -> String {
    addresses
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
