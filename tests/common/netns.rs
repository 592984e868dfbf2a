//! Network namespaces the tests create for live traffic (root needed; CI runs as root). Nothing
//! leaves them. Each is deleted, with its processes, when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// True when live tests are to be skipped (`LABCAP_SKIP_LIVE=1`); otherwise a test that cannot
/// create its namespace fails loudly.
pub fn skip_live() -> bool {
    std::env::var("LABCAP_SKIP_LIVE").is_ok_and(|v| v == "1")
}

/// A network namespace with loopback up.
pub struct Netns {
    /// Its name, for `ip netns exec`.
    pub name: String,
    children: Vec<Child>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Netns {
    /// Creates `lct<pid>_<n>` with `lo` up.
    pub fn new() -> Netns {
        let name = format!(
            "lct{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        run("ip", &["netns", "add", &name]);
        let ns = Netns {
            name,
            children: Vec::new(),
        };
        ns.run(&["ip", "link", "set", "lo", "up"]);
        ns
    }

    /// A command run inside the namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.name, program]);
        cmd
    }

    /// Runs a command inside the namespace and asserts it succeeded.
    pub fn run(&self, args: &[&str]) {
        let status = self.command(args[0]).args(&args[1..]).status().unwrap();
        assert!(status.success(), "in {}: {args:?} failed", self.name);
    }

    /// Starts a background process inside the namespace; it is killed on drop.
    pub fn spawn(&mut self, args: &[&str]) -> u32 {
        let child = self
            .command(args[0])
            .args(&args[1..])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        self.children.push(child);
        pid
    }

    /// Writes the namespace's own `/etc/resolv.conf` (what `ip netns exec` mounts over /etc).
    pub fn resolv_conf(&self, text: &str) {
        let dir = PathBuf::from("/etc/netns").join(&self.name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("resolv.conf"), text).unwrap();
    }

    /// Starts dnsmasq at 127.0.0.11 (Docker's resolver address) answering the lab's names:
    /// www.espnfc.com A, www.its.ac.id A and AAAA, NXDOMAIN for anything under `cosm`.
    /// Returns its pid.
    pub fn lab_dns(&mut self) -> u32 {
        self.run(&["ip", "addr", "add", "127.0.0.11/8", "dev", "lo"]);
        let pid = self.spawn(&[
            "dnsmasq",
            "--no-daemon",
            "--no-resolv",
            "--no-hosts",
            "--listen-address=127.0.0.11",
            "--bind-interfaces",
            "--host-record=www.espnfc.com,192.0.2.10",
            "--host-record=www.its.ac.id,203.0.113.5,2001:db8::5",
            "--local=/espnfc.com/its.ac.id/",
            "--address=/cosm/",
            "--pid-file=",
            "--user=root",
        ]);
        self.wait_for(|ns| {
            let out = ns.command("ss").args(["-lun"]).output().unwrap();
            String::from_utf8_lossy(&out.stdout).contains("127.0.0.11:53 ")
        });
        pid
    }

    /// Runs `program args…` inside the namespace, killed after 30 s: exit code (-1 if killed by
    /// a signal), stdout, stderr.
    pub fn output(&self, program: &str, args: &[&str]) -> (i32, String, String) {
        let out = self
            .command("timeout")
            .arg("30")
            .arg(program)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into(),
            String::from_utf8_lossy(&out.stderr).into(),
        )
    }

    /// Waits until a TCP server listens on `port` in the namespace.
    pub fn wait_listening(&self, port: u16) {
        let needle = format!(":{port} ");
        self.wait_for(|ns| {
            let out = ns.command("ss").arg("-ltn").output().unwrap();
            String::from_utf8_lossy(&out.stdout).contains(&needle)
        });
    }

    /// Starts the lab's Python echo server (`scripts/lab/server.py`) on `port` and waits for it.
    pub fn python_server(&mut self, port: u16) {
        self.spawn(&[
            "python3",
            &lab_script("server.py"),
            &port.to_string(),
            "0.0.0.0",
        ]);
        self.wait_listening(port);
    }

    /// Waits up to 5 s for `ready`.
    pub fn wait_for(&self, ready: impl Fn(&Netns) -> bool) {
        let start = Instant::now();
        while !ready(self) {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "timed out in {}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = Command::new("kill")
                .args(["-CONT", &child.id().to_string()])
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        let _ = std::fs::remove_dir_all(PathBuf::from("/etc/netns").join(&self.name));
    }
}

/// The path of one of the lab's Python programs in `scripts/lab`.
pub fn lab_script(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts/lab")
        .join(name)
        .display()
        .to_string()
}

fn run(program: &str, args: &[&str]) {
    let status = Command::new(program).args(args).status().unwrap_or_else(|e| {
        panic!("{program} {args:?}: {e} (live tests need root and iproute2; LABCAP_SKIP_LIVE=1 skips them)")
    });
    assert!(
        status.success(),
        "{program} {args:?} failed (live tests need root; LABCAP_SKIP_LIVE=1 skips them)"
    );
}
