//! The embedded echo programs: interoperation with the lab's Python programs, the checks the
//! client makes, its refusal message, and a load test of a thousand concurrent clients; the
//! server under abuse: clients that never read, out of descriptors, out of threads, and slow
//! clients holding every slot, each bounded in time so a hang fails instead of waiting.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::netns::{lab_script as lab, skip_live, Netns};
use labcap::echo::server::{bind, serve, ServerConfig};
use labcap::echo::{raise_fd_limit, Log};

const BIN: &str = env!("CARGO_BIN_EXE_labcap");

#[test]
fn labcap_and_the_lab_python_programs_interoperate() {
    if skip_live() {
        return;
    }
    let mut ns = Netns::new();
    // The lab's Python client against labcap's server.
    ns.spawn(&[BIN, "server", "--port", "10000"]);
    ns.wait_listening(10000);
    let (code, _, err) = ns.output("python3", &[&lab("client.py"), "127.0.0.1", "10000"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("INFO:root:b'INI ADALAH DATA '")
            && err.contains("INFO:root:b'DEFGHIJKLMNOPQ'"),
        "{err}"
    );

    // labcap's client against the lab's Python server (recv(32), one client at a time).
    ns.spawn(&["python3", &lab("server.py"), "32444", "0.0.0.0"]);
    ns.wait_listening(32444);
    let file = std::env::temp_dir().join(format!("labcap-echo-{}.txt", std::process::id()));
    let text: String = (0..97).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    std::fs::write(&file, &text).unwrap();
    let (code, out, err) = ns.output(
        BIN,
        &[
            "client",
            "--server",
            "127.0.0.1",
            "--port",
            "32444",
            "--file",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("echo OK: 97 bytes sent from 127.0.0.1:"),
        "{out}"
    );
    assert!(
        err.contains("INFO:root:connecting to ('127.0.0.1', 32444)")
            && err.contains("INFO:root:closing"),
        "{err}"
    );

    // labcap's client against labcap's server, the same file: logged in the lab's words.
    let (code, out, err) = ns.output(
        BIN,
        &[
            "client",
            "--port",
            "10000",
            "--file",
            file.to_str().unwrap(),
            "--quiet",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.is_empty(), "quiet: {err}");
    std::fs::remove_file(&file).unwrap();
}

#[test]
fn the_client_checks_the_echo_and_explains_a_refusal() {
    if skip_live() {
        return;
    }
    let mut ns = Netns::new();
    // Not an echo server: it answers in upper case.
    let upper = "import socket\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('127.0.0.1', 10000)); s.listen(1)\nc,_=s.accept()\nwhile True:\n    d=c.recv(32)\n    if not d: break\n    c.sendall(d.upper())\n";
    ns.spawn(&["python3", "-c", upper]);
    ns.wait_listening(10000);
    let (code, out, _) = ns.output(BIN, &["client", "--message", "Hello lab", "--quiet"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("echo FAILED from 127.0.0.1:10000: byte 1 differs"),
        "{out}"
    );

    // Task 2: nothing listens on this machine's localhost.
    let (code, _, err) = ns.output(BIN, &["client", "--port", "10001"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("connection refused by 127.0.0.1:10001 (localhost)"),
        "{err}"
    );
    assert!(err.contains("--server 172.16.16.101 --port 10001"), "{err}");
}

/// A thousand clients connected at once, each with its own payload, every byte echoed.
#[test]
fn a_thousand_concurrent_clients_are_all_echoed() {
    const CLIENTS: usize = 1000;
    raise_fd_limit();
    let listener = bind("127.0.0.1:0".parse().unwrap(), 4096).unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let config = ServerConfig {
        log: Log::Quiet,
        ..ServerConfig::default()
    };
    let server = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || serve(listener, &config, &stop).unwrap())
    };
    let started = Instant::now();
    let connected = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let connected = Arc::clone(&connected);
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || -> Result<(), String> {
                    let mut s = TcpStream::connect(addr).map_err(|e| format!("client {i}: {e}"))?;
                    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
                    // Every client holds its connection open until all are connected.
                    connected.wait();
                    let payload = format!("client {i:04} says {}", "x".repeat(i % 97)).into_bytes();
                    s.write_all(&payload)
                        .map_err(|e| format!("client {i}: {e}"))?;
                    let mut echo = vec![0; payload.len()];
                    s.read_exact(&mut echo)
                        .map_err(|e| format!("client {i}: {e}"))?;
                    if echo != payload {
                        return Err(format!("client {i}: wrong echo"));
                    }
                    Ok(())
                })
                .unwrap()
        })
        .collect();
    let failures: Vec<String> = clients
        .into_iter()
        .filter_map(|c| c.join().unwrap().err())
        .collect();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let stats = server.join().unwrap();
    assert!(
        failures.is_empty(),
        "{} clients failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert_eq!(stats.connections, CLIENTS);
    assert_eq!(stats.turned_away, 0);
    // A bound, not a benchmark: a lost client would hang here until the read timeout.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

/// An idle client is let go after the idle timeout, and Ctrl-C stops the server cleanly.
#[test]
fn idle_clients_are_dropped_and_ctrl_c_stops_the_server() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut server = Command::new(BIN)
        .args([
            "server",
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
            "--idle-timeout",
            "1",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    log.read_line(&mut line).unwrap();
    // INFO:root:starting up on ('127.0.0.1', 43211)
    let port: u16 = line
        .trim_end()
        .trim_end_matches(')')
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("{line}"));
    let mut idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    // The server closes the idle connection: the read sees the end of the stream.
    assert_eq!(idle.read(&mut [0u8; 16]).unwrap(), 0);
    assert!(started.elapsed() >= Duration::from_millis(900));
    // SAFETY: kill(2) of the server this test started.
    unsafe { libc::kill(server.id() as i32, libc::SIGINT) };
    let status = server.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut log, &mut rest).unwrap();
    assert!(status.success(), "{rest}");
    assert!(rest.contains("idle for 1 s, closing"), "{rest}");
    assert!(rest.contains("INFO:root:server stopped"), "{rest}");
    assert!(rest.contains("labcap: served 1 connection"), "{rest}");
}

/// Limits the server process is started under.
#[derive(Clone, Copy)]
enum Confine {
    None,
    /// At most this many file descriptors (soft and hard limit).
    Nofile(u64),
    /// Runs as `uid` (a user with no other processes), allowed this many threads in all.
    Threads {
        uid: u32,
        nproc: u64,
    },
}

/// `labcap server ARGS…` on 127.0.0.1 and an ephemeral port, its stderr lines arriving on a
/// channel.
struct Server {
    child: std::process::Child,
    port: u16,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Server {
    fn start(args: &[&str], confine: Confine) -> Server {
        use std::io::{BufRead, BufReader};
        use std::os::unix::process::CommandExt;
        use std::process::{Command, Stdio};
        let mut command = Command::new(BIN);
        command
            .args(["server", "--bind", "127.0.0.1", "--port", "0"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if !matches!(confine, Confine::None) {
            // SAFETY: setrlimit(2), setgroups(2), setgid(2) and setuid(2) are async-signal-safe;
            // nothing else runs between fork and exec.
            unsafe {
                command.pre_exec(move || {
                    let check = |rc: libc::c_int| {
                        if rc == 0 {
                            Ok(())
                        } else {
                            Err(std::io::Error::last_os_error())
                        }
                    };
                    match confine {
                        Confine::None => {}
                        Confine::Nofile(n) => {
                            let limit = libc::rlimit {
                                rlim_cur: n,
                                rlim_max: n,
                            };
                            check(libc::setrlimit(libc::RLIMIT_NOFILE, &limit))?;
                        }
                        Confine::Threads { uid, nproc } => {
                            let limit = libc::rlimit {
                                rlim_cur: nproc,
                                rlim_max: nproc,
                            };
                            check(libc::setrlimit(libc::RLIMIT_NPROC, &limit))?;
                            check(libc::setgroups(0, std::ptr::null()))?;
                            check(libc::setgid(uid))?;
                            check(libc::setuid(uid))?;
                        }
                    }
                    Ok(())
                });
            }
        }
        let mut child = command.spawn().unwrap();
        let mut log = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        log.read_line(&mut line).unwrap();
        // INFO:root:starting up on ('127.0.0.1', 43211)
        let port: u16 = line
            .trim_end()
            .trim_end_matches(')')
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap_or_else(|_| panic!("{line}"));
        let (send, lines) = std::sync::mpsc::channel();
        // Drains the log whatever its volume, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in log.lines() {
                if send.send(line.unwrap_or_default()).is_err() {
                    break;
                }
            }
        });
        Server { child, port, lines }
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Waits up to `within` for a log line containing `needle`; returns it.
    fn wait_for(&self, needle: &str, within: Duration) -> Option<String> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return Some(line),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    /// Every log line that arrived so far.
    fn drain(&self) -> Vec<String> {
        self.lines.try_iter().collect()
    }

    /// Sends SIGINT and waits up to `within` for the server to exit; kills it if it does not.
    fn interrupt(&mut self, within: Duration) -> (Option<std::process::ExitStatus>, Vec<String>) {
        // SAFETY: kill(2) of the server this test started.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The log pipe closes once the server is gone.
        let rest = self.lines.iter().collect();
        (status, rest)
    }
}

/// The last lines of a log, each cut to 160 characters, for a failure message.
fn tail(log: &[String]) -> String {
    let from = log.len().saturating_sub(8);
    log[from..]
        .iter()
        .map(|l| l.chars().take(160).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Drop for Server {
    /// A failed test does not leave its server running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Connects and sends until the send buffers on both sides and the server's echo are full:
/// the server is then blocked sending to a client that never reads (or, with a short write
/// timeout, has already dropped it).
fn stuck_client(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let block = vec![b'x'; 64 * 1024];
    let started = Instant::now();
    loop {
        match stream.write(&block) {
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return stream;
            }
            // Dropped by the server already.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
                ) =>
            {
                return stream;
            }
            Err(e) => panic!("the stuck client's send failed: {e}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the buffers never filled"
        );
    }
}

/// A client that sends and never reads blocks the server's send; Ctrl-C (and SIGTERM) must
/// still stop the server promptly, well before the write timeout would free it.
#[test]
fn ctrl_c_stops_the_server_while_a_client_does_not_read() {
    for signal in ["SIGINT", "SIGTERM"] {
        let mut server = Server::start(&["--chunk", "65536"], Confine::None);
        let stuck = stuck_client(server.addr());
        let started = Instant::now();
        let (status, log) = if signal == "SIGINT" {
            server.interrupt(Duration::from_secs(5))
        } else {
            // SAFETY: kill(2) of the server this test started; `interrupt` then sends SIGINT too,
            // which a stopping server ignores.
            unsafe { libc::kill(server.child.id() as i32, libc::SIGTERM) };
            server.interrupt(Duration::from_secs(5))
        };
        drop(stuck);
        let log = tail(&log);
        let status = status.unwrap_or_else(|| {
            panic!("{signal}: the server did not stop within 5 s while a client was stuck\n{log}")
        });
        assert!(status.success(), "{signal}: {status}\n{log}");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(log.contains("labcap: served 1 connection"), "{log}");
    }
}

/// A client that sends and never reads is dropped after `--write-timeout` with one log line,
/// and the server goes on serving others.
#[test]
fn a_client_that_does_not_read_is_dropped_after_the_write_timeout() {
    let mut server = Server::start(&["--chunk", "65536", "--write-timeout", "1"], Confine::None);
    let stuck = stuck_client(server.addr());
    let port = stuck.local_addr().unwrap().port();
    let dropped = server.wait_for("does not read its echo", Duration::from_secs(10));
    let dropped = dropped.expect("the client that does not read was not dropped within 10 s");
    assert_eq!(
        dropped,
        format!(
            "ERROR:root:('127.0.0.1', {port}) does not read its echo: nothing could be sent for 1 s, closing"
        )
    );
    // Others are still served.
    let mut other = TcpStream::connect(server.addr()).unwrap();
    other
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    other.write_all(b"still there?").unwrap();
    let mut echo = [0u8; 12];
    other.read_exact(&mut echo).unwrap();
    assert_eq!(&echo, b"still there?");
    drop(other);
    drop(stuck);
    let (status, log) = server.interrupt(Duration::from_secs(5));
    assert!(status.is_some_and(|s| s.success()), "{}", tail(&log));
    // One line for the dropped client: no "no more data" or error after it.
    let about_it = log
        .iter()
        .filter(|l| l.contains(&format!(", {port})")))
        .count();
    assert_eq!(about_it, 0, "{}", tail(&log));
    assert!(
        log.iter().any(|l| l == "labcap: served 2 connections"),
        "{}",
        tail(&log)
    );
}

/// Out of file descriptors, accept fails until some are freed: the server must wait (not spin
/// writing a log line per attempt), say so once for the burst, and serve the waiting clients
/// once descriptors are free again.
#[test]
fn out_of_file_descriptors_the_server_backs_off_and_recovers() {
    const CLIENTS: usize = 40;
    // 16 descriptors: stdin, stdout, stderr, the listener and 12 clients.
    let mut server = Server::start(&[], Confine::Nofile(16));
    let mut clients: Vec<(usize, TcpStream)> = (0..CLIENTS)
        .map(|i| {
            // The kernel completes the handshake; the connection waits in the listen backlog.
            let mut s = TcpStream::connect(server.addr()).unwrap();
            s.write_all(format!("client {i:02}").as_bytes()).unwrap();
            (i, s)
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let log = server.drain();
    let accept_lines: Vec<&String> = log.iter().filter(|l| l.contains("accept")).collect();
    assert!(
        !accept_lines.is_empty() && accept_lines.len() <= 2,
        "{} lines about accept in 1.5 s: {}",
        accept_lines.len(),
        tail(&log)
    );
    assert!(
        accept_lines[0].contains("Too many open files"),
        "{}",
        accept_lines[0]
    );
    // Those served so far have their echo; close them to free descriptors.
    let mut served = 0;
    clients.retain_mut(|(_, s)| {
        s.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 16];
        let echoed = s.read(&mut buf).is_ok();
        s.set_nonblocking(false).unwrap();
        served += usize::from(echoed);
        !echoed
    });
    assert!((1..CLIENTS).contains(&served), "{served} served at first");
    // The rest are served in turn as descriptors free up.
    for (i, mut s) in clients {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut echo = [0u8; 9];
        s.read_exact(&mut echo)
            .unwrap_or_else(|e| panic!("client {i}: no echo once descriptors were free: {e}"));
        assert_eq!(echo, *format!("client {i:02}").as_bytes());
    }
    let (status, rest) = server.interrupt(Duration::from_secs(5));
    assert!(status.is_some_and(|s| s.success()), "{}", tail(&rest));
    let mut log = log;
    log.extend(rest);
    let accept_lines = log.iter().filter(|l| l.contains("accept")).count();
    // One burst: its first line and its summary (a reminder would come only after a minute).
    assert!(
        accept_lines <= 3,
        "{accept_lines} lines about accept: {}",
        tail(&log)
    );
    assert!(
        log.iter()
            .any(|l| l == &format!("labcap: served {CLIENTS} connections")),
        "{}",
        tail(&log)
    );
}

/// Sends `message` on a new connection and returns the echo, or `None` when the server closed
/// the connection without one.
fn echo_once(addr: SocketAddr, message: &[u8]) -> Option<Vec<u8>> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // A refused connection may be closed before or after the message goes out.
    let _ = s.write_all(message);
    let mut echo = vec![0u8; message.len()];
    match s.read_exact(&mut echo) {
        Ok(()) => Some(echo),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
            panic!("neither echoed nor closed within 5 s")
        }
        Err(_) => None,
    }
}

/// When no thread can be started for a client (here: the server's user may run three threads
/// in all), that connection is closed and logged once; the server goes on, and serves again
/// once threads can start.
#[test]
fn a_client_without_a_thread_is_refused_and_the_server_goes_on() {
    // SAFETY: geteuid(2) has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to run the server as a user with a thread limit");
        return;
    }
    // A uid with no other processes, so that the limit counts only the server's threads.
    let mut server = Server::start(
        &[],
        Confine::Threads {
            uid: 54_321,
            nproc: 3,
        },
    );
    // Clients that keep their connection (and their server thread) until refusals begin.
    let mut held = Vec::new();
    let mut refused = 0;
    for i in 0..10 {
        let mut s = TcpStream::connect(server.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = s.write_all(format!("held {i}").as_bytes());
        let mut echo = [0u8; 6];
        match s.read_exact(&mut echo) {
            Ok(()) => held.push(s),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                panic!(
                    "client {i}: neither echoed nor closed within 5 s\n{}",
                    tail(&server.drain())
                )
            }
            Err(_) => {
                refused += 1;
                if refused == 3 {
                    break;
                }
            }
        }
    }
    assert!(
        !held.is_empty() && refused == 3,
        "{} served, {refused} refused: {}",
        held.len(),
        tail(&server.drain())
    );
    // Threads free up: clients are served again.
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        echo_once(server.addr(), b"served again").as_deref(),
        Some(&b"served again"[..]),
        "{}",
        tail(&server.drain())
    );
    let (status, log) = server.interrupt(Duration::from_secs(5));
    assert!(status.is_some_and(|s| s.success()), "{}", tail(&log));
    // One line when the refusals began, one summing them up.
    let refusals: Vec<&String> = log
        .iter()
        .filter(|l| l.starts_with("ERROR:root:") && l.contains("thread"))
        .collect();
    assert_eq!(refusals.len(), 2, "{}", tail(&log));
    assert!(
        refusals[0].starts_with("ERROR:root:cannot start a thread to serve ('127.0.0.1', "),
        "{}",
        refusals[0]
    );
    assert!(
        refusals[1].contains("refused 3 connections"),
        "{}",
        refusals[1]
    );
    assert!(
        log.iter().any(|l| l.starts_with("labcap: served ")
            && l.ends_with(", refused 3 (no thread to serve them)")),
        "{}",
        tail(&log)
    );
}

/// A TCP connection to `to` from the local address `from` (any of 127.0.0.0/8 on loopback).
fn connect_from(from: std::net::Ipv4Addr, to: SocketAddr) -> std::io::Result<TcpStream> {
    use std::os::unix::io::FromRawFd;
    let SocketAddr::V4(to) = to else {
        unreachable!("IPv4 only")
    };
    let sockaddr = |ip: std::net::Ipv4Addr, port: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(ip).to_be(),
        },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: a new socket, owned by the TcpStream (or closed on error); valid sockaddr_in
    // structs for bind(2) and connect(2).
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let stream = TcpStream::from_raw_fd(fd);
        let local = sockaddr(from, 0);
        if libc::bind(fd, (&local as *const libc::sockaddr_in).cast(), len) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let remote = sockaddr(*to.ip(), to.port());
        if libc::connect(fd, (&remote as *const libc::sockaddr_in).cast(), len) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(stream)
    }
}

/// A slow client from `from`: one byte a second (each echoed), for as long as it is let stay;
/// with `reconnect` it comes back as soon as the server drops it, like an attacker would.
/// `ready` counts its first connection once echoed. Returns how many connections it made.
fn trickler(
    addr: SocketAddr,
    from: std::net::Ipv4Addr,
    reconnect: bool,
    ready: Arc<std::sync::atomic::AtomicUsize>,
    done: Arc<AtomicBool>,
) -> std::thread::JoinHandle<usize> {
    use std::sync::atomic::Ordering;
    std::thread::spawn(move || {
        let mut connections = 0;
        let mut first = true;
        while !done.load(Ordering::SeqCst) {
            let Ok(mut s) = connect_from(from, addr) else {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            };
            connections += 1;
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut byte = [0u8; 1];
            if s.write_all(b".").is_ok() && s.read_exact(&mut byte).is_ok() {
                if first {
                    first = false;
                    ready.fetch_add(1, Ordering::SeqCst);
                }
                // Wait for the next byte's turn in a read, to see at once when dropped.
                s.set_read_timeout(Some(Duration::from_millis(200)))
                    .unwrap();
                let mut ticks = 0;
                loop {
                    match s.read(&mut byte) {
                        Ok(0) => break,
                        Ok(_) => {}
                        Err(e)
                            if matches!(
                                e.kind(),
                                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                            ) =>
                        {
                            if done.load(Ordering::SeqCst) {
                                return connections;
                            }
                            ticks += 1;
                            if ticks % 5 == 0 && s.write_all(b".").is_err() {
                                break;
                            }
                        }
                        Err(_) => break,
                    }
                }
            }
            if !reconnect {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        connections
    })
}

/// The lab's legitimate clients: the 46-byte message, a 97-byte file at once and in 32-byte
/// pieces 150 ms apart; each must get its whole echo within 5 s.
fn lab_clients_are_echoed(addr: SocketAddr) {
    use labcap::echo::client::{exchange, ClientConfig};
    let file: Vec<u8> = (0..97).map(|i| b'a' + (i % 26) as u8).collect();
    let cases: [(&str, Vec<u8>, Option<Duration>); 3] = [
        (
            "the lab message",
            labcap::echo::LAB_MESSAGE.as_bytes().to_vec(),
            None,
        ),
        ("a 97-byte file", file.clone(), None),
        (
            "a 97-byte file, 150 ms pauses",
            file,
            Some(Duration::from_millis(150)),
        ),
    ];
    for (what, payload, pause) in cases {
        let config = ClientConfig {
            server: "127.0.0.1".to_string(),
            port: addr.port(),
            payload,
            recv_chunk: 16,
            timeout: Duration::from_secs(5),
            pause,
            log: Log::Quiet,
        };
        let echo = exchange(&config).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(echo.matches(), "{what}: {echo:?}");
    }
}

/// An in-process server with `max_clients` slots; returns its address, stop flag and thread.
fn small_server(
    max_clients: usize,
) -> (
    SocketAddr,
    Arc<AtomicBool>,
    std::thread::JoinHandle<labcap::echo::server::ServeStats>,
) {
    let listener = bind("127.0.0.1:0".parse().unwrap(), 128).unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let config = ServerConfig {
        max_clients,
        log: Log::Quiet,
        ..ServerConfig::default()
    };
    let server = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || serve(listener, &config, &stop).unwrap())
    };
    (addr, stop, server)
}

/// Every slot held by slow clients from one address, which come back as soon as they are
/// dropped: the lab's clients, from another address, are still echoed.
#[test]
fn slow_clients_holding_every_slot_do_not_lock_out_the_lab_clients() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const SLOTS: usize = 8;
    let (addr, stop, server) = small_server(SLOTS);
    let ready = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let attacker = std::net::Ipv4Addr::new(127, 0, 0, 2);
    let tricklers: Vec<_> = (0..SLOTS)
        .map(|_| trickler(addr, attacker, true, Arc::clone(&ready), Arc::clone(&done)))
        .collect();
    let started = Instant::now();
    while ready.load(Ordering::SeqCst) < SLOTS {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "tricklers not all in"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    lab_clients_are_echoed(addr);
    done.store(true, Ordering::SeqCst);
    let reconnections: usize = tricklers.into_iter().map(|t| t.join().unwrap()).sum();
    stop.store(true, Ordering::SeqCst);
    let stats = server.join().unwrap();
    assert!(stats.evicted >= 1, "{stats:?}");
    assert_eq!(stats.turned_away, 0, "{stats:?}");
    assert!(
        reconnections > SLOTS,
        "the tricklers came back {reconnections} times"
    );
}

/// Slow clients from the same address as the lab's clients (a shared machine, NAT): the
/// most idle of them makes room.
#[test]
fn slow_clients_from_the_same_address_make_room_for_the_lab_clients() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const SLOTS: usize = 8;
    let (addr, stop, server) = small_server(SLOTS);
    let ready = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let local = std::net::Ipv4Addr::LOCALHOST;
    let tricklers: Vec<_> = (0..SLOTS)
        .map(|_| trickler(addr, local, false, Arc::clone(&ready), Arc::clone(&done)))
        .collect();
    let started = Instant::now();
    while ready.load(Ordering::SeqCst) < SLOTS {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "tricklers not all in"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // Let the tricklers idle a little (each sends a byte a second).
    std::thread::sleep(Duration::from_millis(300));
    lab_clients_are_echoed(addr);
    done.store(true, Ordering::SeqCst);
    for t in tricklers {
        t.join().unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    let stats = server.join().unwrap();
    assert!(stats.evicted >= 1, "{stats:?}");
    assert_eq!(stats.connections, SLOTS + 3, "{stats:?}");
}

/// A client that keeps sending (so the idle timeout never fires) is let go after
/// `--max-client-time`, in both modes: with `--sequential` it would otherwise hold the server.
#[test]
fn a_busy_client_is_let_go_after_max_client_time() {
    for mode in [&[][..], &["--sequential"][..]] {
        let mut args = vec!["--max-client-time", "1"];
        args.extend_from_slice(mode);
        let mut server = Server::start(&args, Confine::None);
        let mut s = TcpStream::connect(server.addr()).unwrap();
        let port = s.local_addr().unwrap().port();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let started = Instant::now();
        let mut byte = [0u8; 1];
        loop {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{mode:?}: still connected after 10 s"
            );
            if s.write_all(b".").is_err() || !matches!(s.read(&mut byte), Ok(1)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "{mode:?}: closed after {:?}",
            started.elapsed()
        );
        let line = server.wait_for("the longest a client may stay", Duration::from_secs(5));
        assert_eq!(
            line.as_deref(),
            Some(
                format!(
                    "ERROR:root:('127.0.0.1', {port}) connected for 1 s, the longest a client may stay, closing"
                )
                .as_str()
            ),
            "{mode:?}"
        );
        // The server goes on.
        assert_eq!(
            echo_once(server.addr(), b"next").as_deref(),
            Some(&b"next"[..]),
            "{mode:?}"
        );
        let (status, log) = server.interrupt(Duration::from_secs(5));
        assert!(status.is_some_and(|s| s.success()), "{}", tail(&log));
    }
}
