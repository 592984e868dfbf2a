//! `labcap info` inside a network namespace whose resolver is dnsmasq at 127.0.0.11, as in
//! Docker: lookups that succeed, NXDOMAIN, an unreachable resolver and a timeout.

mod common;

use common::netns::{skip_live, Netns};

fn info(ns: &Netns, hosts: &[&str]) -> (i32, String) {
    let args: Vec<&str> = std::iter::once("info")
        .chain(hosts.iter().copied())
        .collect();
    let (code, out, err) = ns.output(env!("CARGO_BIN_EXE_labcap"), &args);
    (code, out + &err)
}

#[test]
fn lookups_name_their_outcome() {
    if skip_live() {
        return;
    }
    let mut ns = Netns::new();
    ns.resolv_conf("nameserver 127.0.0.11\noptions timeout:1 attempts:1\n");
    let dns = ns.lab_dns();
    ns.run(&[
        "ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p",
    ]);
    ns.run(&["ip", "addr", "add", "172.16.16.101/24", "dev", "eth1"]);

    let (code, out) = info(&ns, &["www.espnfc.com", "www.its.ac.id"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("172.16.16.101/24   (lab network"), "{out}");
    assert!(out.contains("Resolver: 127.0.0.11"), "{out}");
    assert!(out.contains("A     192.0.2.10"), "{out}");
    assert!(out.contains("AAAA  2001:db8::5"), "{out}");
    assert!(
        out.contains("IP address: 203.0.113.5, 2001:db8::5"),
        "{out}"
    );

    let (code, out) = info(&ns, &["www.espnfc.cosm"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("ERROR www.espnfc.cosm: NXDOMAIN from 127.0.0.11"),
        "{out}"
    );

    // The resolver stopped: the query times out.
    ns.run(&["kill", "-STOP", &dns.to_string()]);
    let (code, out) = info(&ns, &["www.espnfc.com"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("ERROR www.espnfc.com: timeout: no answer from 127.0.0.11:53"),
        "{out}"
    );
    ns.run(&["kill", "-CONT", &dns.to_string()]);

    // Nobody listens at the configured address: the kernel says so at once.
    ns.resolv_conf("nameserver 127.0.0.12\n");
    let (code, out) = info(&ns, &["www.espnfc.com"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("no resolver reachable (127.0.0.12:53: Connection refused"),
        "{out}"
    );

    ns.resolv_conf("# empty\n");
    let (code, out) = info(&ns, &["www.espnfc.com"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no resolver configured"), "{out}");
}
