//! DNS analysis: queries paired with their responses into transactions, over UDP and TCP.
//!
//! A query opens a transaction keyed by transport, client, server and id. The same query sent
//! again before an answer (same key, same question) is a retry of that transaction; a query
//! with a new id or from a new port is a transaction of its own. A response completes the
//! transaction of its key; one with no query in the capture is kept as a transaction without
//! a query time.

mod table;
mod tcp_framing;
mod totals;

use std::time::Duration;

use super::observer::{finish_all, Observers};
use super::{Endpoint, Linger};
use crate::analysis::memory::{self, Budget, Candidate, MemCap, ALLOCATION};
use crate::checks::observe::Observation;
use crate::wire::dns::{Message, Record};
use crate::wire::{DnsPorts, Packet, Transport};
use table::{Handle, Table};
pub(crate) use tcp_framing::TcpFraming;
pub use totals::{normalise, DnsTotals, Unanswered};

/// Limits and inputs of the analysis.
#[derive(Clone, Debug)]
pub struct DnsConfig {
    /// Ports that carry DNS (53, and whatever `--dns-port` adds).
    pub ports: DnsPorts,
    /// Transactions kept in detail; later ones are only counted in the totals.
    pub max_transactions: usize,
    /// How long (capture time) a transaction waits for a response, a retry or a duplicate
    /// after its last message before it is closed for good.
    pub linger: Duration,
    /// Bytes the open transactions may hold (their share of the memory cap); past it the
    /// quietest are closed early.
    pub state_budget: usize,
    /// Bytes DNS-over-TCP framing may hold.
    pub tcp_budget: usize,
}

impl Default for DnsConfig {
    fn default() -> DnsConfig {
        DnsConfig {
            ports: DnsPorts::default(),
            max_transactions: 10_000,
            linger: Duration::from_secs(10),
            state_budget: MemCap::default().dns(),
            tcp_budget: MemCap::default().dns_tcp(),
        }
    }
}

/// UDP or TCP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DnsTransport {
    /// DNS over UDP.
    Udp,
    /// DNS over TCP (length-prefixed messages).
    Tcp,
}

impl DnsTransport {
    /// `udp` or `tcp`.
    pub fn as_str(self) -> &'static str {
        match self {
            DnsTransport::Udp => "udp",
            DnsTransport::Tcp => "tcp",
        }
    }
}

/// One query and its response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// The DNS id.
    pub id: u16,
    /// UDP or TCP.
    pub transport: DnsTransport,
    /// The querier.
    pub client: Endpoint,
    /// The server asked.
    pub server: Endpoint,
    /// When the (first) query was seen; `None` when only the response was captured.
    pub query_ts: Option<Duration>,
    /// When the response was seen; `None` when unanswered.
    pub response_ts: Option<Duration>,
    /// The name asked for (empty if the message had no question).
    pub qname: String,
    /// The query type code.
    pub qtype: u16,
    /// The response code, once answered.
    pub rcode: Option<u16>,
    /// The answer section of the response.
    pub answers: Vec<Record>,
    /// Times the same query was sent again before the response.
    pub retries: u32,
    /// Responses beyond the first.
    pub duplicate_responses: u32,
    /// A message could not be decoded in full.
    pub malformed: bool,
    /// Some packet of this transaction matched the filter.
    pub matched: bool,
    /// Time of its last message.
    pub last_seen: Duration,
}

impl Transaction {
    /// True when a response was captured.
    pub fn answered(&self) -> bool {
        self.response_ts.is_some()
    }

    /// True when a query was captured but no response.
    pub fn unanswered(&self) -> bool {
        self.query_ts.is_some() && self.response_ts.is_none()
    }

    /// What this transaction holds while open, for the memory cap (its table entry and its
    /// place in the linger queue included).
    fn mem_bytes(&self) -> usize {
        let strings = |s: &String| s.capacity() + ALLOCATION;
        Table::PLACE
            + 2 * std::mem::size_of::<(Duration, Handle)>()
            + strings(&self.qname)
            + self
                .answers
                .iter()
                .map(|r| std::mem::size_of::<Record>() + strings(&r.name) + strings(&r.data))
                .sum::<usize>()
    }

    /// Time from the first query to the response.
    pub fn latency(&self) -> Option<Duration> {
        self.response_ts?.checked_sub(self.query_ts?)
    }

    /// When it started: its query, or its response when the query was not captured.
    pub fn first_seen(&self) -> Duration {
        self.query_ts.or(self.response_ts).unwrap_or_default()
    }
}

/// DNS counts over the whole capture (also beyond the transactions kept in detail).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DnsCounts {
    /// Queries seen (retries included).
    pub queries: u64,
    /// Responses seen.
    pub responses: u64,
    /// Messages that could not be decoded in full.
    pub malformed: u64,
}

/// Transactions, totals and counts.
#[derive(Clone, Debug, Default)]
pub struct DnsAnalysis {
    /// The first transactions any matched packet belongs to, in detail, in time order.
    pub transactions: Vec<Transaction>,
    /// Totals over every such transaction.
    pub totals: DnsTotals,
    /// Message counts.
    pub counts: DnsCounts,
    /// What the observers saw, by the index of the check that asked.
    pub observed: Vec<(usize, Observation)>,
}

type Key = (DnsTransport, Endpoint, Endpoint, u16);

/// How many DNS messages pass between two looks for transactions to close for good.
const SWEEP_EVERY: u32 = 256;

/// Pairs DNS queries and responses, in memory bounded by the transactions in flight.
#[derive(Debug, Default)]
pub struct DnsAnalyzer {
    config: DnsConfig,
    open: Table,
    /// Transactions to look at once the linger time has passed: (last message, key).
    waiting: Linger<Handle>,
    /// Like `waiting`, the older entries found unanswered when the memory cap was reached, so
    /// that closing answered transactions early does not look at them again each time.
    unanswered: Linger<Handle>,
    kept: Vec<Transaction>,
    totals: DnsTotals,
    counts: DnsCounts,
    framing: TcpFraming,
    /// The message each UDP datagram is read into.
    scratch: Message,
    /// What the open transactions hold, against `DnsConfig::state_budget`.
    state: Budget,
    observers: Observers,
}

impl DnsAnalyzer {
    /// An analyzer with the given ports and limits.
    pub fn new(config: DnsConfig) -> DnsAnalyzer {
        DnsAnalyzer {
            framing: TcpFraming::new(config.tcp_budget),
            state: Budget::new(config.state_budget),
            config,
            ..Default::default()
        }
    }

    /// The ports it reads DNS on.
    pub fn ports(&self) -> &DnsPorts {
        &self.config.ports
    }

    /// An analyzer that tells `observers` of every reported transaction as it closes.
    pub fn with_observers(config: DnsConfig, observers: Observers) -> DnsAnalyzer {
        DnsAnalyzer {
            observers,
            ..DnsAnalyzer::new(config)
        }
    }

    /// Feeds one packet; `matched` says whether the filter selected it. Returns the DNS
    /// messages it carried (for a TCP segment, those it completed).
    pub fn on_packet(&mut self, packet: &Packet<'_>, matched: bool) -> Vec<Message> {
        let mut messages = Vec::new();
        self.feed(packet, matched, Some(&mut messages));
        messages
    }

    /// Feeds one packet, and gives the DNS messages it carried to `messages` when asked for.
    pub(crate) fn feed(
        &mut self,
        packet: &Packet<'_>,
        matched: bool,
        mut messages: Option<&mut Vec<Message>>,
    ) {
        let (Some(ip), Some((src_port, dst_port))) =
            (packet.ip, self.config.ports.ports_of(packet))
        else {
            return;
        };
        let src = Endpoint {
            ip: ip.src,
            port: src_port,
        };
        let dst = Endpoint {
            ip: ip.dst,
            port: dst_port,
        };
        // A response's records are read only when something will look at them: the packet
        // list, a check, or a transaction still to be kept in detail (once the detail is
        // full it stays full). Whether the message is malformed is found out either way.
        let records = messages.is_some()
            || !self.observers.is_empty()
            || self.kept.len() < self.config.max_transactions;
        let ts = packet.ts;
        let keep = messages.is_some();
        match &packet.transport {
            Transport::Udp(udp) => {
                // Read into the same message each time: its buffers are reused.
                let mut message = std::mem::take(&mut self.scratch);
                if message.read(udp.payload, records) {
                    self.on_message(DnsTransport::Udp, src, dst, ts, &mut message, matched, keep);
                    if let Some(messages) = messages.as_deref_mut() {
                        messages.push(message.clone());
                    }
                }
                self.scratch = message;
            }
            Transport::Tcp(tcp) => {
                let mut found = Vec::new();
                self.framing.on_segment(src, dst, tcp, ts, &mut |bytes| {
                    found.extend(Message::parse_with(bytes, records))
                });
                for mut message in found {
                    self.on_message(DnsTransport::Tcp, src, dst, ts, &mut message, matched, keep);
                    if let Some(messages) = messages.as_deref_mut() {
                        messages.push(message);
                    }
                }
            }
            Transport::None => {}
        }
    }

    /// Pairs one message. Unless the message is to be `kept`, its answers are moved into the
    /// transaction (leaving them empty).
    #[allow(clippy::too_many_arguments)]
    fn on_message(
        &mut self,
        transport: DnsTransport,
        src: Endpoint,
        dst: Endpoint,
        ts: Duration,
        message: &mut Message,
        matched: bool,
        kept: bool,
    ) {
        let take = |from: &mut Vec<Record>| match kept {
            true => from.clone(),
            false => std::mem::take(from),
        };
        if message.malformed {
            self.counts.malformed += 1;
        }
        let (client, server) = if message.response {
            self.counts.responses += 1;
            (dst, src)
        } else {
            self.counts.queries += 1;
            (src, dst)
        };
        let key = (transport, client, server, message.id);
        let question = message.question();
        let qname = question.map_or("", |q| q.name.as_str());
        let qtype = question.map_or(0, |q| q.qtype);
        self.sweep(ts);
        if let Some(t) = self.open.get_mut(&key) {
            let same_question = t.qname == qname && t.qtype == qtype;
            let fits = if message.response {
                same_question || qname.is_empty()
            } else {
                same_question && !t.answered()
            };
            if fits {
                let before = t.mem_bytes();
                t.matched |= matched;
                t.malformed |= message.malformed;
                t.last_seen = ts;
                if !message.response {
                    t.retries += 1;
                } else if t.answered() {
                    t.duplicate_responses += 1;
                } else {
                    t.response_ts = Some(ts);
                    t.rcode = Some(message.rcode);
                    t.answers = take(&mut message.answers);
                }
                self.state.resize(before, t.mem_bytes());
                return;
            }
            // The id is used again for another question: the old transaction is over.
            let old = self.open.remove(&key).expect("present");
            self.state.resize(old.mem_bytes(), 0);
            self.close_for_good(old);
        }
        let qname = message
            .questions
            .first()
            .map_or_else(String::new, |q| q.name.clone());
        let (query_ts, response_ts, rcode, answers) = if message.response {
            (
                None,
                Some(ts),
                Some(message.rcode),
                take(&mut message.answers),
            )
        } else {
            (Some(ts), None, None, Vec::new())
        };
        let t = Transaction {
            id: message.id,
            transport,
            client,
            server,
            query_ts,
            response_ts,
            qname,
            qtype,
            rcode,
            answers,
            retries: 0,
            duplicate_responses: 0,
            malformed: message.malformed,
            matched,
            last_seen: ts,
        };
        self.state.resize(0, t.mem_bytes());
        let handle = self.open.insert(key, t);
        self.waiting.push(ts, handle);
        if self.state.over() {
            self.evict();
        }
    }

    /// Closes the quietest transactions early, until the open ones are back under their
    /// budget; their places in the linger queue go with them.
    fn evict(&mut self) {
        // First the answered transactions, oldest first from the linger queue (no walk over
        // the table): closing them early costs only the pairing of a late duplicate.
        while self.state.excess() > 0 {
            let Some((since, handle)) = self.waiting.pop_front() else {
                break;
            };
            match self.open.remove_handle_if(handle, Transaction::answered) {
                Some(t) => {
                    self.state.resize(t.mem_bytes(), 0);
                    self.close_for_good(t);
                }
                None if self.open.by_handle(handle).is_some() => {
                    self.unanswered.push(since, handle)
                }
                None => {}
            }
        }
        if self.state.excess() == 0 {
            return;
        }
        let entries = self
            .open
            .iter()
            .map(|(k, t)| Candidate {
                done: t.answered(),
                last: t.last_seen,
                order: 0,
                bytes: t.mem_bytes(),
                key: *k,
            })
            .collect();
        for key in memory::oldest(entries, self.state.excess()) {
            let t = self.open.remove(&key).expect("present");
            self.state.resize(t.mem_bytes(), 0);
            // An answered query only waited for a duplicate: closing it early is no loss.
            if t.matched && !t.answered() {
                self.totals.evicted += 1;
            }
            self.close_for_good(t);
        }
        let open = &self.open;
        self.waiting
            .retain(|&handle| open.by_handle(handle).is_some());
        self.unanswered
            .retain(|&handle| open.by_handle(handle).is_some());
    }

    /// Closes for good the transactions quiet for the linger time.
    fn sweep(&mut self, now: Duration) {
        let open = &self.open;
        let last_seen = |&handle: &Handle| open.by_handle(handle).map(|t| t.last_seen);
        let linger = self.config.linger;
        let mut due = self.unanswered.due(now, linger, SWEEP_EVERY, last_seen);
        due.extend(self.waiting.due(now, linger, SWEEP_EVERY, last_seen));
        for handle in due {
            let t = self
                .open
                .remove_handle_if(handle, |_| true)
                .expect("present");
            self.state.resize(t.mem_bytes(), 0);
            self.close_for_good(t);
        }
    }

    /// Folds a transaction into the totals; keeps it in detail while there is room.
    fn close_for_good(&mut self, t: Transaction) {
        if !t.matched {
            return;
        }
        self.totals.add(&t);
        for (_, o) in &mut self.observers {
            o.transaction_closed(&t);
        }
        if self.kept.len() < self.config.max_transactions {
            self.kept.push(t);
        }
    }

    /// Ends the analysis.
    pub fn finish(mut self) -> DnsAnalysis {
        let mut open = self.open.drain();
        open.sort_by_key(Transaction::first_seen);
        for t in open {
            self.close_for_good(t);
        }
        self.kept.sort_by_key(Transaction::first_seen);
        self.totals.framing_evicted = self.framing.evicted();
        let mut observed = Vec::new();
        finish_all(std::mem::take(&mut self.observers), &mut observed);
        DnsAnalysis {
            transactions: self.kept,
            totals: self.totals,
            counts: self.counts,
            observed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Udp;
    use std::net::Ipv4Addr;

    const CLIENT: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
    const SERVER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 11);

    fn dns(id: u16, flags: u16, name: &str, answer: Option<[u8; 4]>) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend(id.to_be_bytes());
        m.extend(flags.to_be_bytes());
        m.extend([0, 1, 0, u8::from(answer.is_some()), 0, 0, 0, 0]);
        m.extend(crate::wire::dns::encode_name(name));
        m.extend([0, 1, 0, 1]);
        if let Some(a) = answer {
            m.extend([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
            m.extend(a);
        }
        m
    }

    fn udp<'a>(
        ms: u64,
        src: (Ipv4Addr, u16),
        dst: (Ipv4Addr, u16),
        payload: &'a [u8],
    ) -> Packet<'a> {
        let udp = Udp {
            src_port: src.1,
            dst_port: dst.1,
            len: payload.len() as u32,
            payload,
        };
        Packet::ipv4_for_test(ms, src.0, dst.0, Transport::Udp(udp))
    }

    fn run(packets: &[(u64, bool, Vec<u8>)]) -> DnsAnalysis {
        let mut a = DnsAnalyzer::new(DnsConfig::default());
        for (ms, from_client, bytes) in packets {
            let (src, dst) = if *from_client {
                ((CLIENT, 40000), (SERVER, 53))
            } else {
                ((SERVER, 53), (CLIENT, 40000))
            };
            a.on_packet(&udp(*ms, src, dst, bytes), true);
        }
        a.finish()
    }

    #[test]
    fn query_and_response_pair_with_latency() {
        let r = run(&[
            (0, true, dns(7, 0x0100, "www.espnfc.com", None)),
            (
                3,
                false,
                dns(7, 0x8180, "www.espnfc.com", Some([192, 0, 2, 10])),
            ),
        ]);
        let t = &r.transactions[..];
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].rcode, Some(0));
        assert_eq!(t[0].latency(), Some(Duration::from_millis(3)));
        assert_eq!(t[0].answers[0].summary(), "A 192.0.2.10");
        assert_eq!(normalise(&t[0].qname), normalise("WWW.espnfc.com."));
        assert_eq!((r.counts.queries, r.counts.responses), (1, 1));
    }

    #[test]
    fn retries_count_on_one_transaction_and_new_ids_are_new_transactions() {
        let r = run(&[
            (0, true, dns(1, 0x0100, "unanswered.example", None)),
            (1000, true, dns(1, 0x0100, "unanswered.example", None)),
            (2000, true, dns(2, 0x0100, "unanswered.example", None)),
        ]);
        assert_eq!(r.transactions.len(), 2);
        assert_eq!(r.transactions[0].retries, 1);
        assert!(r.transactions.iter().all(Transaction::unanswered));
    }

    #[test]
    fn a_reused_id_after_the_answer_is_a_new_transaction() {
        let r = run(&[
            (0, true, dns(5, 0x0100, "a.example", None)),
            (1, false, dns(5, 0x8183, "a.example", None)),
            (2, false, dns(5, 0x8183, "a.example", None)),
            (5, true, dns(5, 0x0100, "a.example", None)),
        ]);
        assert_eq!(r.transactions.len(), 2);
        assert_eq!(r.transactions[0].rcode, Some(3));
        assert_eq!(r.transactions[0].duplicate_responses, 1);
        assert!(r.transactions[1].unanswered());
    }

    #[test]
    fn a_response_without_its_query_is_kept() {
        let r = run(&[(0, false, dns(9, 0x8180, "x.example", Some([1, 2, 3, 4])))]);
        assert_eq!(r.transactions[0].query_ts, None);
        assert!(!r.transactions[0].unanswered());
        assert_eq!(r.transactions[0].latency(), None);
    }

    #[test]
    fn beyond_the_limit_transactions_are_counted_not_kept() {
        let mut a = DnsAnalyzer::new(DnsConfig {
            max_transactions: 1,
            ..DnsConfig::default()
        });
        for id in 0..3 {
            let bytes = dns(id, 0x0100, "a.example", None);
            a.on_packet(&udp(0, (CLIENT, 40000), (SERVER, 53), &bytes), true);
        }
        let r = a.finish();
        assert_eq!(r.transactions.len(), 1);
        assert_eq!((r.totals.transactions, r.totals.unanswered.count), (3, 3));
        assert_eq!(r.totals.unanswered.first.len(), 3);
    }

    #[test]
    fn finished_transactions_leave_memory_after_the_linger_time() {
        let mut a = DnsAnalyzer::new(DnsConfig::default());
        for i in 0..20_000u64 {
            let id = i as u16;
            let q = dns(id, 0x0100, "www.espnfc.com", None);
            let r = dns(id, 0x8180, "www.espnfc.com", Some([192, 0, 2, 10]));
            // One lookup every 10 ms: 200 s of capture.
            a.on_packet(&udp(i * 10, (CLIENT, 40000), (SERVER, 53), &q), true);
            a.on_packet(&udp(i * 10 + 1, (SERVER, 53), (CLIENT, 40000), &r), true);
            assert!(a.open.len() < 1_200, "{} open at {i}", a.open.len());
        }
        let r = a.finish();
        assert_eq!(r.totals.transactions, 20_000);
        assert_eq!(r.totals.answered, 20_000);
        assert_eq!(r.transactions.len(), 10_000);
    }

    #[test]
    fn a_flood_of_unanswered_queries_stays_within_the_budget_and_is_counted() {
        let budget = 128 * 1024;
        let mut a = DnsAnalyzer::new(DnsConfig {
            state_budget: budget,
            ..DnsConfig::default()
        });
        let n = 20_000u64;
        for i in 0..n {
            let q = dns(i as u16, 0x0100, &format!("host{i}.example.org"), None);
            a.on_packet(
                &udp(i, (CLIENT, 1024 + (i / 60_000) as u16), (SERVER, 53), &q),
                true,
            );
            assert!(a.state.used() <= budget);
        }
        let counted: usize = a.open.iter().map(|(_, t)| t.mem_bytes()).sum();
        assert_eq!(a.state.used(), counted);
        assert!(a.waiting.len() + a.unanswered.len() <= 2 * a.open.len() + 1);
        let open = a.open.len() as u64;
        let r = a.finish();
        assert_eq!(r.totals.transactions, n);
        assert_eq!(r.totals.unanswered.count, n);
        assert_eq!(r.totals.evicted, n - open);
        assert!(r.totals.evicted > n / 2);
    }

    #[test]
    fn a_response_to_an_evicted_query_stands_alone() {
        let mut a = DnsAnalyzer::new(DnsConfig {
            state_budget: 1,
            ..DnsConfig::default()
        });
        a.on_packet(
            &udp(
                0,
                (CLIENT, 40000),
                (SERVER, 53),
                &dns(7, 0x0100, "a.lab", None),
            ),
            true,
        );
        let answer = dns(7, 0x8180, "a.lab", Some([192, 0, 2, 1]));
        a.on_packet(&udp(1, (SERVER, 53), (CLIENT, 40000), &answer), true);
        let r = a.finish();
        // The query was evicted unanswered; the lone response, complete, was only closed early.
        assert_eq!(r.totals.evicted, 1);
        assert_eq!(r.transactions.len(), 2);
        assert!(r.transactions[0].unanswered() && r.transactions[1].query_ts.is_none());
    }
}
