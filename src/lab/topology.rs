//! `labcap lab up` and `down`: the namespaces, the bridge, the addresses and the DNS servers.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context};

use super::{Lab, MACHINES, SUBNET};

/// Names the lab's DNS servers answer (besides the machines themselves). The domains are
/// local: a type a name lacks (www.espnfc.com AAAA) gets NOERROR without answers, as from a real
/// resolver, not REFUSED.
pub const DNS_RECORDS: [&str; 4] = [
    "--host-record=www.espnfc.com,192.0.2.10",
    "--host-record=www.its.ac.id,203.0.113.5,2001:db8::5",
    "--local=/espnfc.com/its.ac.id/",
    "--local=//",
];

/// Runs `program args…`, failing with its stderr.
pub fn sh(program: &str, args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {program} (is it installed?)"))?;
    if !out.status.success() {
        bail!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

impl Lab {
    /// The lab's namespace names.
    fn all_netns(&self) -> Vec<String> {
        MACHINES
            .iter()
            .map(|m| self.netns(m))
            .chain(std::iter::once(self.bridge_netns()))
            .collect()
    }

    /// Those of the lab's namespaces that exist.
    fn existing(&self) -> Vec<String> {
        let list = Command::new("ip")
            .args(["netns", "list"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let names: Vec<&str> = list
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        self.all_netns()
            .into_iter()
            .filter(|n| names.contains(&n.as_str()))
            .collect()
    }

    /// True when every namespace of the lab exists.
    pub fn is_up(&self) -> bool {
        self.existing().len() == self.all_netns().len()
    }

    /// Where a machine's `/etc` overrides live (`ip netns exec` mounts them over /etc).
    fn etc_dir(&self, netns: &str) -> PathBuf {
        PathBuf::from("/etc/netns").join(netns)
    }

    /// Creates the lab. Fails if a namespace of that name exists already.
    pub fn up(&self) -> anyhow::Result<()> {
        if !self.existing().is_empty() {
            bail!(
                "the lab's namespaces exist already ({}): `{}` removes them",
                self.existing().join(", "),
                self.command("down")
            );
        }
        let result = self.build();
        if result.is_err() {
            let _ = self.down();
        }
        result
    }

    fn build(&self) -> anyhow::Result<()> {
        let bridge = self.bridge_netns();
        sh("ip", &["netns", "add", &bridge]).context(
            "creating network namespaces needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN): run with sudo",
        )?;
        sh(
            "ip",
            &["-n", &bridge, "link", "add", "br0", "type", "bridge"],
        )?;
        sh("ip", &["-n", &bridge, "link", "set", "br0", "up"])?;
        for (i, m) in MACHINES.iter().enumerate() {
            let ns = self.netns(m);
            sh("ip", &["netns", "add", &ns])?;
            let port = format!("veth{}", i + 1);
            sh(
                "ip",
                &[
                    "-n", &bridge, "link", "add", &port, "type", "veth", "peer", "name", "eth1",
                    "netns", &ns,
                ],
            )?;
            sh(
                "ip",
                &["-n", &bridge, "link", "set", &port, "master", "br0", "up"],
            )?;
            let cidr = format!("{}/{}", m.addr, SUBNET.1);
            sh("ip", &["-n", &ns, "addr", "add", &cidr, "dev", "eth1"])?;
            sh("ip", &["-n", &ns, "link", "set", "eth1", "up"])?;
            sh("ip", &["-n", &ns, "link", "set", "lo", "up"])?;
            sh(
                "ip",
                &["-n", &ns, "addr", "add", "127.0.0.11/8", "dev", "lo"],
            )?;
            // Segments as the programs wrote them, not merged by offloads, as on a real link.
            let _ = sh(
                "ip",
                &[
                    "netns", "exec", &ns, "ethtool", "-K", "eth1", "tso", "off", "gso", "off",
                    "gro", "off",
                ],
            );
            let etc = self.etc_dir(&ns);
            std::fs::create_dir_all(&etc).with_context(|| format!("creating {}", etc.display()))?;
            std::fs::write(
                etc.join("resolv.conf"),
                "nameserver 127.0.0.11\noptions timeout:1 attempts:2\n",
            )?;
            std::fs::write(
                etc.join("hosts"),
                format!(
                    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n{}\t{}\n",
                    m.addr, m.name
                ),
            )?;
            self.start_dns(&ns)?;
        }
        Ok(())
    }

    /// Starts dnsmasq at 127.0.0.11 in `ns`: the lab's names, the machines, NXDOMAIN under `cosm`.
    fn start_dns(&self, ns: &str) -> anyhow::Result<()> {
        let mut args: Vec<String> = vec![
            "netns",
            "exec",
            ns,
            "dnsmasq",
            "--no-resolv",
            "--no-hosts",
            "--listen-address=127.0.0.11",
            "--bind-interfaces",
            "--address=/cosm/",
            "--user=root",
            "--pid-file=",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        args.extend(DNS_RECORDS.iter().map(|r| r.to_string()));
        args.extend(
            MACHINES
                .iter()
                .map(|m| format!("--host-record={},{}", m.name, m.addr)),
        );
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        sh("ip", &args).context("starting dnsmasq (apt-get install dnsmasq-base)")
    }

    /// Removes the lab: stops every process in its namespaces, deletes them and their /etc files.
    /// Parts already gone are skipped.
    pub fn down(&self) -> anyhow::Result<()> {
        let all = self.existing();
        for ns in &all {
            if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    if let Ok(pid) = pid.parse::<i32>() {
                        // SAFETY: a plain kill(2) of a process inside the lab's namespace.
                        unsafe { libc::kill(pid, libc::SIGTERM) };
                    }
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        for ns in &all {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
            let _ = std::fs::remove_dir_all(self.etc_dir(ns));
        }
        let left = self.existing();
        if !left.is_empty() {
            bail!(
                "could not remove the namespaces {}; see `ip netns list`",
                left.join(", ")
            );
        }
        Ok(())
    }
}
