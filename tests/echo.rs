//! The embedded echo programs: interoperation with the lab's Python programs, the checks the
//! client makes, its refusal message, and a load test of a thousand concurrent clients.

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
