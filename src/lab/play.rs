//! `labcap lab run`: plays the assignment on the lab while every machine captures on `any`,
//! with labcap's own programs (info, server, client), and reports how each program ended.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use super::{Lab, Machine, MACHINES};
use crate::checks::Check;
use crate::echo::LAB_MESSAGE;

/// The text file of lab task 3: 97 bytes, echoed back as 32 + 32 + 32 + 1.
pub const TASK3_FILE: &str = "Baris pertama file teks untuk tugas tiga.\nBaris kedua, dikirim dengan sendall().\nSelesai.\n123456\n";

/// The lab's ports: task 2, task 3, task 4.
pub const PORTS: [u16; 3] = [10000, 32444, 32434];

/// The arguments of a quiet `labcap client` to `server`:`port`, then `extra`.
fn client_args<'a>(server: &'a str, port: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["client", "--quiet", "--server", server, "--port", port];
    args.extend_from_slice(extra);
    args
}

/// A program's result, for the report.
fn outcome(name: &str, ok: bool, detail: String) -> Check {
    Check {
        name: name.to_string(),
        passed: ok,
        detail,
    }
}

struct Run {
    lab: Lab,
    exe: PathBuf,
    work: PathBuf,
    background: Vec<Child>,
}

impl Run {
    fn command(&self, machine: &Machine, args: &[&str]) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.lab.netns(machine)])
            .arg(&self.exe)
            .args(args);
        cmd
    }

    /// Runs labcap on `machine` to the end: exit code and its output, stdout then stderr.
    fn labcap(&self, machine: &Machine, args: &[&str]) -> anyhow::Result<(i32, String)> {
        let out = self.command(machine, args).output()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        Ok((out.status.code().unwrap_or(-1), text))
    }

    /// Runs `labcap client` on `machine` against mesin1's `port`; the check holds when the
    /// echo came back unchanged.
    fn echo(
        &self,
        name: &str,
        machine: &Machine,
        port: &str,
        extra: &[&str],
    ) -> anyhow::Result<Check> {
        let server = MACHINES[0].addr.to_string();
        let (code, text) = self.labcap(machine, &client_args(&server, port, extra))?;
        Ok(outcome(
            name,
            code == 0,
            format!("{} → {server}:{port}: {}", machine.name, text.trim()),
        ))
    }

    /// Starts a capture on `any` of `machine`, writing `out/MACHINE.pcapng`; waits until armed.
    fn start_capture(&mut self, machine: &Machine, out: &Path) -> anyhow::Result<()> {
        let file = out.join(format!("{}.pcapng", machine.name));
        let mut child = self
            .command(
                machine,
                &[
                    "tcp",
                    "--iface",
                    "any",
                    "-Y",
                    "tcp || udp.port==53",
                    "--summary",
                    "-w",
                ],
            )
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut stderr = BufReader::new(child.stderr.take().context("capture stderr")?);
        let mut line = String::new();
        loop {
            line.clear();
            if stderr.read_line(&mut line)? == 0 {
                bail!("the capture on {} did not start", machine.name);
            }
            if line.contains("capturing on") {
                break;
            }
        }
        self.background.push(child);
        Ok(())
    }

    /// Starts the lab's one-at-a-time server on mesin1 at `port`; waits until it listens.
    fn start_server(&mut self, port: u16) -> anyhow::Result<()> {
        let log = std::fs::File::create(self.work.join(format!("server-{port}.log")))?;
        let port_text = port.to_string();
        let child = self
            .command(
                &MACHINES[0],
                &["server", "--sequential", "--port", &port_text],
            )
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?;
        self.background.push(child);
        let needle = format!(":{port} ");
        let started = Instant::now();
        loop {
            let out = Command::new("ip")
                .args(["netns", "exec", &self.lab.netns(&MACHINES[0]), "ss", "-ltn"])
                .output()?;
            if String::from_utf8_lossy(&out.stdout).contains(&needle) {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(5) {
                bail!("the server on mesin1 port {port} did not start");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops every background program with SIGINT (captures write their files out) and waits.
    fn stop_all(&mut self) {
        for child in &self.background {
            // SAFETY: kill(2) of our own child.
            unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        }
        for mut child in self.background.drain(..) {
            let _ = child.wait();
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.stop_all();
        let _ = std::fs::remove_dir_all(&self.work);
    }
}

/// Plays tasks 1–4, writing `out/mesin1.pcapng` … `mesin3.pcapng`. Returns how each program
/// ended; `progress` gets a line per step.
pub fn play(lab: &Lab, out: &Path, progress: &mut dyn FnMut(&str)) -> anyhow::Result<Vec<Check>> {
    if !lab.is_up() {
        bail!("the lab is not up: run `{}` first", lab.command("up"));
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let work = std::env::temp_dir().join(format!("labcap-lab-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let mut run = Run {
        lab: lab.clone(),
        exe: std::env::current_exe()?,
        work,
        background: Vec::new(),
    };
    let [_, mesin2, mesin3] = &MACHINES;
    for m in &MACHINES {
        run.start_capture(m, out)?;
    }
    progress("captures armed on any in mesin1, mesin2, mesin3");
    let mut results = Vec::new();

    // Task 1: lookups on mesin2 (the typo fails).
    let (code, text) = run.labcap(
        mesin2,
        &["info", "www.espnfc.com", "www.its.ac.id", "www.espnfc.cosm"],
    )?;
    let nx = text.contains("ERROR www.espnfc.cosm: NXDOMAIN");
    results.push(outcome(
        "task 1 lookups",
        code == 1 && nx && text.contains("IP address: 192.0.2.10"),
        "mesin2: www.espnfc.com and www.its.ac.id resolve, www.espnfc.cosm is NXDOMAIN".into(),
    ));
    progress("task 1: mesin2 looked up www.espnfc.com, www.its.ac.id, www.espnfc.cosm");

    for port in PORTS {
        run.start_server(port)?;
    }
    progress("mesin1: servers on 10000, 32444, 32434 (one connection at a time, like server.py)");

    // Task 2: localhost on mesin2 is refused, mesin1's lab address echoes.
    let (code, text) = run.labcap(mesin2, &client_args("localhost", "10000", &[]))?;
    results.push(outcome(
        "task 2 refused",
        code == 2 && text.contains("connection refused"),
        format!(
            "mesin2 → localhost:10000: {}",
            text.lines().next().unwrap_or("").trim()
        ),
    ));
    results.push(run.echo("task 2 echo", mesin2, "10000", &[])?);
    progress("task 2: refused on localhost, echoed by 172.16.16.101");

    // Task 3: the 97-byte file on 32444.
    let file = run.work.join("file97.txt");
    std::fs::write(&file, TASK3_FILE)?;
    let file = file.display().to_string();
    results.push(run.echo("task 3 file", mesin2, "32444", &["--file", &file])?);
    progress("task 3: the 97-byte file echoed on 32444");

    // Task 4: mesin2 sends the file slowly while mesin3 sends the message.
    let (slow, quick) = std::thread::scope(|scope| {
        let slow = scope.spawn(|| {
            run.echo(
                "task 4 mesin2",
                mesin2,
                "32434",
                &["--file", &file, "--pause", "150"],
            )
        });
        std::thread::sleep(Duration::from_millis(100));
        let quick = run.echo(
            "task 4 mesin3",
            mesin3,
            "32434",
            &["--message", LAB_MESSAGE],
        );
        (slow.join().expect("client thread"), quick)
    });
    results.push(slow?);
    results.push(quick?);
    progress("task 4: mesin2 and mesin3 at once on 32434");

    // The last ACKs, then everything stops and the captures are written.
    std::thread::sleep(Duration::from_millis(300));
    run.stop_all();
    progress(&format!("captures written to {}", out.display()));
    Ok(results)
}
