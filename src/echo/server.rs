//! The echo server: receive up to `chunk` bytes, send them back, until the client closes.
//! Concurrent by default (a thread per client, bounded in number; when all are taken a new
//! client takes the place of the most idle one, see `slots`); `sequential` serves one
//! connection at a time like the lab's `server.py`, so the others wait in the listen backlog.
//! Every connection is bounded in time: idle, not reading its echo, and in all.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::ScopedJoinHandle;
use std::time::{Duration, Instant};

use super::slots::{Slot, Slots};
use super::{python_addr, Log};
use crate::report::escape::escape_bytes;

/// How often a blocked read, write or accept looks at the stop flag.
const TICK: Duration = Duration::from_millis(200);

/// The wait after a failed accept; it doubles with each failure in a row up to `MAX_BACKOFF`.
const MIN_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// While a burst of failures lasts, a reminder line this often.
const REMIND_EVERY: Duration = Duration::from_secs(60);

/// How the server behaves.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Bytes per `recv` (the lab's 32).
    pub chunk: usize,
    /// One connection at a time.
    pub sequential: bool,
    /// A client that sends nothing and takes no echo for this long is disconnected.
    pub idle_timeout: Duration,
    /// A client that takes none of its echo for this long (it sends but does not read) is
    /// disconnected.
    pub write_timeout: Duration,
    /// A client connected this long is disconnected, however active (`None`: no limit).
    pub max_client_time: Option<Duration>,
    /// Clients served at once; when all are taken, a new client takes the place of the most
    /// idle connection of the address holding the most.
    pub max_clients: usize,
    /// Log lines.
    pub log: Log,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            chunk: 32,
            sequential: false,
            idle_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(10),
            max_client_time: Some(Duration::from_secs(300)),
            max_clients: 4096,
            log: Log::Lab,
        }
    }
}

/// What a server run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServeStats {
    /// Connections accepted and served.
    pub connections: usize,
    /// Connections turned away at the client limit (only when `max_clients` is 0).
    pub turned_away: usize,
    /// Connections dropped to make room for a new client when every slot was taken.
    pub evicted: usize,
    /// Connections closed at once because no thread could be started to serve them.
    pub refused: usize,
}

/// Binds `addr` with a listen backlog deep enough for a burst of clients.
pub fn bind(addr: SocketAddr, backlog: i32) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(addr)?;
    // std listens with a backlog of 128; listening again on Linux only resizes the queue.
    // SAFETY: a valid listening socket descriptor.
    if unsafe { libc::listen(listener.as_raw_fd(), backlog) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(listener)
}

/// Serves on `listener` until `stop` is set; returns once every client is done.
pub fn serve(
    listener: TcpListener,
    config: &ServerConfig,
    stop: &AtomicBool,
) -> io::Result<ServeStats> {
    let log = config.log;
    log.info(&format!(
        "starting up on {}",
        python_addr(listener.local_addr()?)
    ));
    listener.set_nonblocking(true)?;
    let slots = Slots::default();
    let mut stats = ServeStats::default();
    std::thread::scope(|scope| -> io::Result<()> {
        let mut workers: Vec<ScopedJoinHandle<'_, ()>> = Vec::new();
        log.info("waiting for a connection");
        let mut accept_failures = Burst::default();
        let mut spawn_failures = Burst::default();
        let refused = |over: Ended, how: &str| {
            log.error(&format!(
                "refused {} in {:.1} s: cannot start a thread ({}){how}",
                crate::checks::plural(over.count as usize, "connection"),
                over.lasted.as_secs_f64(),
                over.error
            ));
        };
        let accept_failed = |over: Ended, how: &str| {
            log.error(&format!(
                "accept failed {} in {:.1} s ({}){how}",
                crate::checks::plural(over.count as usize, "time"),
                over.lasted.as_secs_f64(),
                over.error
            ));
        };
        while !stop.load(Ordering::SeqCst) {
            if let Some(over) = accept_failures.over(false) {
                accept_failed(over, "; accepting again");
            }
            if let Some(over) = spawn_failures.over(false) {
                refused(over, "; serving again");
            }
            let (stream, peer) = match listener.accept() {
                Ok(pair) => pair,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
                    wait_readable(&listener, TICK);
                    continue;
                }
                // The client reset before it was accepted: nothing to wait for.
                Err(e) if e.kind() == ErrorKind::ConnectionAborted => continue,
                // Out of descriptors (EMFILE, ENFILE) or memory: the pending connection stays
                // in the backlog, so retrying at once would spin. Wait, longer each time.
                Err(e) => {
                    match accept_failures.fail(&e) {
                        Some(Note::First) => log.error(&format!(
                            "accept failed: {e}; retrying every {} ms to {} s until it succeeds",
                            MIN_BACKOFF.as_millis(),
                            MAX_BACKOFF.as_secs()
                        )),
                        Some(Note::Still { count, since }) => log.error(&format!(
                            "accept still failing: {e} ({count} attempts in {} s)",
                            since.as_secs()
                        )),
                        None => {}
                    }
                    sleep_unless_stopped(accept_failures.backoff(), stop);
                    continue;
                }
            };
            accept_failures.succeed();
            if config.sequential {
                stats.connections += 1;
                let mut stream = stream;
                let slot = Slot::new(peer, stream.as_raw_fd());
                handle(&mut stream, config, stop, &slot);
                log.info("waiting for a connection");
                continue;
            }
            let seat = match slots.admit(stream, peer, config.max_clients) {
                Ok((seat, evicted)) => {
                    if let Some(evicted) = evicted {
                        stats.evicted += 1;
                        log.error(&format!(
                            "{} clients connected: dropping {} (idle for {:.1} s; {} holds {}) \
                             to make room for {}",
                            config.max_clients,
                            python_addr(evicted.peer),
                            evicted.idle.as_secs_f64(),
                            evicted.peer.ip(),
                            crate::checks::plural(evicted.from_its_address, "connection"),
                            python_addr(peer)
                        ));
                    }
                    seat
                }
                Err(_closed) => {
                    stats.turned_away += 1;
                    log.error(&format!(
                        "{} clients already connected, turning away {}",
                        config.max_clients,
                        python_addr(peer)
                    ));
                    continue;
                }
            };
            workers.retain(|w| !w.is_finished());
            let spawned = std::thread::Builder::new()
                .stack_size(128 * 1024)
                .spawn_scoped(scope, move || {
                    let mut seat = seat;
                    let slot = Arc::clone(&seat.slot);
                    handle(&mut seat.stream, config, stop, &slot);
                    // The seat leaves the slots, then closes the connection.
                });
            match spawned {
                Ok(worker) => {
                    stats.connections += 1;
                    workers.push(worker);
                    spawn_failures.succeed();
                }
                // Out of threads (RLIMIT_NPROC, memory for the stack): the closure, and the
                // seat in it, is dropped, so the client sees its connection closed and its slot
                // is free again. The server goes on.
                Err(e) => {
                    stats.refused += 1;
                    match spawn_failures.fail(&e) {
                        Some(Note::First) => log.error(&format!(
                            "cannot start a thread to serve {}: {e}; closing its connection \
                             (and those of others until threads can start again)",
                            python_addr(peer)
                        )),
                        Some(Note::Still { count, since }) => log.error(&format!(
                            "still cannot start threads: {e} ({count} connections refused in {} s)",
                            since.as_secs()
                        )),
                        None => {}
                    }
                }
            }
            log.info("waiting for a connection");
        }
        if let Some(over) = accept_failures.over(true) {
            accept_failed(over, " until the server stopped");
        }
        if let Some(over) = spawn_failures.over(true) {
            refused(over, " until the server stopped");
        }
        Ok(())
    })?;
    log.info("server stopped");
    Ok(stats)
}

/// Why a connection ended.
enum End {
    /// The client closed its side.
    Closed,
    /// No byte moved for the idle timeout.
    Idle,
    /// The client did not take any of its echo for the write timeout.
    NotReading,
    /// Connected for the longest a client may stay.
    TooLong,
    /// Dropped to make room for a new client (the accept loop logged it).
    Evicted,
    /// The server is stopping.
    Stopping,
    /// Any other socket error.
    Failed(io::Error),
}

/// Serves one client: echo until it closes, goes idle too long, stops reading its echo, stays
/// too long, is dropped to make room, or the server stops; logs why it ended in one line.
fn handle(stream: &mut TcpStream, config: &ServerConfig, stop: &AtomicBool, slot: &Slot) {
    let log = config.log;
    let who = python_addr(slot.peer);
    log.info(&format!("connection from {who}"));
    let end = echo(stream, config, stop, slot);
    // Dropped to make room: its shutdown shows as a close or an error here.
    let end = if slot.evicted() { End::Evicted } else { end };
    match end {
        End::Closed => log.info(&format!("no more data from {who}")),
        End::Idle => log.error(&format!(
            "{who} idle for {} s, closing",
            config.idle_timeout.as_secs()
        )),
        End::NotReading => log.error(&format!(
            "{who} does not read its echo: nothing could be sent for {} s, closing",
            config.write_timeout.as_secs()
        )),
        End::TooLong => log.error(&format!(
            "{who} connected for {} s, the longest a client may stay, closing",
            config.max_client_time.unwrap_or_default().as_secs()
        )),
        End::Evicted => {}
        End::Stopping => log.info(&format!("server stopping: closing {who}")),
        End::Failed(e) => log.error(&format!("{who}: {e}")),
    }
}

/// Whether the connection must end now, whatever it is doing: the server stops, it was dropped
/// to make room, or it stayed as long as a client may.
fn must_end(config: &ServerConfig, stop: &AtomicBool, slot: &Slot) -> Option<End> {
    if stop.load(Ordering::SeqCst) {
        Some(End::Stopping)
    } else if slot.evicted() {
        Some(End::Evicted)
    } else if config
        .max_client_time
        .is_some_and(|limit| slot.age() >= limit)
    {
        Some(End::TooLong)
    } else {
        None
    }
}

/// The echo loop: blocking reads and writes that wake every `TICK` to look at the stop flag
/// and the limits, so no client can hold a thread (or the server's shutdown) forever.
fn echo(stream: &mut TcpStream, config: &ServerConfig, stop: &AtomicBool, slot: &Slot) -> End {
    // No Nagle: each piece read goes out as its own segment, as the lab's captures show the
    // echo (32, 32, 32, 1 for 97 bytes); with Nagle a late ACK could merge the last two (33).
    if let Err(e) = stream
        .set_nonblocking(false)
        .and_then(|()| stream.set_nodelay(true))
        .and_then(|()| stream.set_read_timeout(Some(TICK)))
        .and_then(|()| stream.set_write_timeout(Some(TICK)))
    {
        return End::Failed(e);
    }
    let log = config.log;
    let mut buf = vec![0u8; config.chunk.max(1)];
    loop {
        if let Some(end) = must_end(config, stop, slot) {
            return end;
        }
        match stream.read(&mut buf) {
            Ok(0) => return End::Closed,
            Ok(n) => {
                slot.touch();
                log.info(&format!("received b'{}'", escape_bytes(&buf[..n])));
                log.info("sending back data");
                if let Err(end) = send_all(stream, &buf[..n], config, stop, slot) {
                    return end;
                }
            }
            Err(e) if is_timeout(&e) => {
                if slot.idle(Instant::now()) >= config.idle_timeout {
                    return End::Idle;
                }
            }
            Err(e) => return End::Failed(e),
        }
    }
}

/// `write_all` that gives up when the client takes nothing for the write timeout or the
/// connection must end (the socket's send timeout is one `TICK`).
fn send_all(
    stream: &mut TcpStream,
    mut data: &[u8],
    config: &ServerConfig,
    stop: &AtomicBool,
    slot: &Slot,
) -> Result<(), End> {
    let mut progress = Instant::now();
    while !data.is_empty() {
        if let Some(end) = must_end(config, stop, slot) {
            return Err(end);
        }
        match stream.write(data) {
            Ok(0) => return Err(End::Failed(ErrorKind::WriteZero.into())),
            Ok(n) => {
                data = &data[n..];
                progress = Instant::now();
                slot.touch();
            }
            Err(e) if is_timeout(&e) => {
                if progress.elapsed() >= config.write_timeout {
                    return Err(End::NotReading);
                }
            }
            Err(e) => return Err(End::Failed(e)),
        }
    }
    Ok(())
}

/// A socket timeout (`SO_RCVTIMEO`/`SO_SNDTIMEO` report `EAGAIN`) or a signal.
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
    )
}

/// A burst of failures of one kind (accept failing, threads not starting), so that it is
/// logged once when it starts, reminded of once a minute while it lasts and summed up when it
/// is over, instead of once per attempt. It is over after `SETTLE` without a failure, so a
/// failure now and then between successes (descriptors short under load) is one burst.
#[derive(Default)]
struct Burst {
    current: Option<Current>,
}

struct Current {
    count: u64,
    /// Failures since the last success, for the backoff.
    in_a_row: u32,
    started: Instant,
    last: Instant,
    noted: Instant,
    error: String,
}

/// What to log about a failure.
enum Note {
    /// The first of a burst.
    First,
    /// A reminder that the burst goes on.
    Still { count: u64, since: Duration },
}

/// A burst that is over.
struct Ended {
    count: u64,
    lasted: Duration,
    error: String,
}

/// A burst is over after this long without a failure.
const SETTLE: Duration = Duration::from_secs(5);

impl Burst {
    /// Counts a failure; says what to log about it, if anything.
    fn fail(&mut self, e: &io::Error) -> Option<Note> {
        let now = Instant::now();
        match &mut self.current {
            None => {
                self.current = Some(Current {
                    count: 1,
                    in_a_row: 1,
                    started: now,
                    last: now,
                    noted: now,
                    error: e.to_string(),
                });
                Some(Note::First)
            }
            Some(burst) => {
                burst.count += 1;
                burst.in_a_row = burst.in_a_row.saturating_add(1);
                burst.last = now;
                burst.error = e.to_string();
                if now.duration_since(burst.noted) < REMIND_EVERY {
                    return None;
                }
                burst.noted = now;
                Some(Note::Still {
                    count: burst.count,
                    since: now.duration_since(burst.started),
                })
            }
        }
    }

    /// An attempt succeeded: the backoff starts again from `MIN_BACKOFF`.
    fn succeed(&mut self) {
        if let Some(burst) = &mut self.current {
            burst.in_a_row = 0;
        }
    }

    /// How long to wait before the next attempt: `MIN_BACKOFF`, doubled per failure in a row,
    /// at most `MAX_BACKOFF`.
    fn backoff(&self) -> Duration {
        let in_a_row = self.current.as_ref().map_or(0, |b| b.in_a_row);
        let doublings = in_a_row.saturating_sub(1).min(16);
        (MIN_BACKOFF * 2u32.pow(doublings)).min(MAX_BACKOFF)
    }

    /// The burst, once `SETTLE` passed without a failure (or at once when `now` is true).
    fn over(&mut self, now: bool) -> Option<Ended> {
        let settled = self
            .current
            .as_ref()
            .is_some_and(|b| now || b.last.elapsed() >= SETTLE);
        if !settled {
            return None;
        }
        self.current.take().map(|b| Ended {
            count: b.count,
            lasted: b.last.duration_since(b.started),
            error: b.error,
        })
    }
}

/// Sleeps for `wait`, or less when the server is told to stop.
fn sleep_unless_stopped(wait: Duration, stop: &AtomicBool) {
    let until = Instant::now() + wait;
    while !stop.load(Ordering::SeqCst) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(TICK));
    }
}

fn wait_readable(listener: &TcpListener, wait: Duration) {
    let mut fd = libc::pollfd {
        fd: listener.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd for the call's duration.
    unsafe { libc::poll(&mut fd, 1, wait.as_millis() as i32) };
}
