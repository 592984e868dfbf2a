//! The text tables on terminals of 80 and 120 columns: no line wider than the terminal, and
//! no address, name or number broken across lines. Piped (no width), every column is shown
//! whole, as before.

mod common;

use std::collections::HashSet;
use std::net::IpAddr;

use common::fixture;
use labcap::analysis::messages::framing::FrameRule;
use labcap::analysis::Endpoint;
use labcap::pipeline::{analyse_file, Analysis, PipelineOptions};
use labcap::report::text::{self, Style};

/// A fixture analysed as `replay --summary` does (with these framing rules).
fn analyse(name: &str, frames: &[&str]) -> Analysis {
    let mut options = PipelineOptions::default();
    options.messages.rules = frames
        .iter()
        .map(|f| FrameRule::parse(f).unwrap())
        .collect();
    let (mut analyses, read) = analyse_file(&fixture(name), &[options]);
    read.unwrap();
    analyses.pop().unwrap()
}

/// Every table of an analysis that has rows, by name.
fn tables(a: &Analysis, style: Style) -> Vec<(&'static str, String)> {
    let origin = a.stats.first_ts.unwrap_or_default();
    let mut out = Vec::new();
    if !a.connections.is_empty() {
        out.push((
            "connections",
            text::connections_table(&a.connections, origin, style).to_string(),
        ));
    }
    if !a.dns.transactions.is_empty() {
        out.push((
            "dns",
            text::dns_table(&a.dns.transactions, origin, style).to_string(),
        ));
    }
    if !a.http.transactions.is_empty() {
        out.push((
            "http",
            text::http_table(&a.http.transactions, origin, style).to_string(),
        ));
    }
    if !a.tls.sessions.is_empty() {
        out.push(("tls", text::tls_table(&a.tls.sessions, style).to_string()));
    }
    if !a.udp.conversations.is_empty() {
        out.push((
            "udp",
            text::udp_table(&a.udp.conversations, origin, style).to_string(),
        ));
    }
    if !a.messages.exchanges.is_empty() {
        out.push((
            "exchanges",
            text::exchanges_table(&a.messages.exchanges, origin, style).to_string(),
        ));
    }
    out
}

/// The words of a rendered table: its text without the box drawing, split at spaces.
fn words(table: &str) -> Vec<String> {
    table
        .lines()
        .flat_map(|line| {
            line.split([
                '│', '┆', '─', '┌', '┐', '└', '┘', '┬', '┴', '╞', '╡', '╪', '═', ' ',
            ])
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
        })
        .collect()
}

fn on_terminal(width: usize) -> Style {
    Style {
        color: false,
        width: Some(width),
    }
}

/// Renders `a` at 80 and 120 columns and holds every table to the terminal: no line wider,
/// every word one of the full-width table's (or a merged `46/46`, or a merged header's),
/// so none was broken, and each of `whole` on one line.
fn fits(name: &str, a: &Analysis, whole: &[&str]) {
    let full = tables(a, Style::default());
    for width in [80, 120] {
        let narrow = tables(a, on_terminal(width));
        assert_eq!(narrow.len(), full.len());
        for ((table, wide), (_, fitted)) in full.iter().zip(&narrow) {
            let context = format!("{name}, {table} table at {width} columns:\n{fitted}");
            for line in fitted.lines() {
                assert!(line.chars().count() <= width, "{context}");
            }
            let known: HashSet<String> = words(wide).into_iter().collect();
            for word in words(fitted) {
                let merged = word.split('/').count() == 2
                    && word.split('/').all(|n| n.parse::<u64>().is_ok());
                let header = ["c→s/s→c", "A→B/B→A"].contains(&word.as_str());
                assert!(
                    known.contains(&word) || merged || header,
                    "{word:?} is not a whole word of the table: {context}"
                );
            }
        }
        let all: String = narrow.iter().map(|(_, t)| t.as_str()).collect();
        for w in whole {
            assert!(
                all.lines().any(|l| l.contains(w)),
                "{name}: {w} not whole on one line at {width} columns:\n{all}"
            );
        }
    }
}

#[test]
fn lab_tables_fit_80_and_120_columns_without_breaking_an_address() {
    let a = analyse("mesin2.pcapng", &[]);
    fits(
        "mesin2",
        &a,
        &[
            "172.16.16.102:34542",
            "172.16.16.101:32434",
            "127.0.0.11:53",
            "www.espnfc.cosm",
            "AAAA 2001:db8::5",
            "97/97",
        ],
    );
    // At 80 columns the connections keep the addresses, the state, the bytes and the echo.
    let origin = a.stats.first_ts.unwrap_or_default();
    let t = text::connections_table(&a.connections, origin, on_terminal(80)).to_string();
    for header in ["Stream", "Client", "Server", "State", "Echo"] {
        assert!(t.contains(header), "{t}");
    }
    assert!(!t.contains("History") && !t.contains("Start"), "{t}");
    // The DNS table keeps the name, type, response code, answers and the server asked.
    let t = text::dns_table(&a.dns.transactions, origin, on_terminal(80)).to_string();
    for header in ["Server", "Query", "Type", "Rcode", "Answers"] {
        assert!(t.contains(header), "{t}");
    }
    // Piped: every column, at full width, as before.
    let t = text::connections_table(&a.connections, origin, Style::default()).to_string();
    assert!(t.contains("│ Stream ┆ Client              ┆ Server              ┆ State ┆ History  ┆ Handshake ┆ Close   ┆ Packets ┆ Bytes c→s ┆ Bytes s→c ┆ Retrans ┆ Echo ┆ Start    ┆ Duration │"), "{t}");
    assert!(t.contains("│ 4      ┆ 172.16.16.102:34542 ┆ 172.16.16.101:32434 ┆ SF    ┆ ShADadFf ┆ yes       ┆ fin     ┆      19 ┆        97 ┆        97 ┆       0 ┆ yes  ┆ 0.033107 ┆ 0.451555 │"), "{t}");
}

#[test]
fn long_dns_names_retries_and_cnames_stay_whole() {
    let mut a = analyse("dns.pcapng", &[]);
    let long = "ec2-54-254-100-12.ap-southeast-1.compute.amazonaws.com";
    let t = &mut a.dns.transactions[1];
    t.qname = long.to_string();
    t.retries = 2;
    let mut cname = t.answers[0].clone();
    cname.rtype = 5;
    cname.data = "very-long-canonical-name.cdn.example-provider.co.id".to_string();
    t.answers.insert(0, cname);
    fits(
        "dns",
        &a,
        &[
            long,
            "127.0.0.11:53",
            "127.0.0.12:53",
            "unanswered.example",
            "alias.its.ac.id",
            "NOERROR",
            "unanswered",
        ],
    );
}

#[test]
fn course_tables_fit_80_and_120_columns() {
    let a = analyse("course/http/mesin1.pcapng", &[]);
    fits(
        "http",
        &a,
        &["/donalbebek.txt", "https://youtu.be/katoxpnTf04", "404"],
    );
    let a = analyse("course/tls/mesin1.pcapng", &[]);
    fits(
        "tls",
        &a,
        &[
            "172.16.16.101:8443",
            "IP:172.16.16.101,",
            "TLS 1.3",
            "localhost",
        ],
    );
    let a = analyse("course/udp/mesin1.pcapng", &[]);
    fits(
        "udp",
        &a,
        &["172.16.16.102:36513", "255.255.255.255:5005", "65/0"],
    );
    let a = analyse(
        "course/fileserver/mesin1.pcapng",
        &["6665-6677=crlf,blank-line"],
    );
    fits("file server", &a, &["GET donalbebek.txt\\r\\n", "ms"]);
    let a = analyse("course/time/mesin1.pcapng", &["45000=crlf"]);
    fits("time", &a, &["172.16.16.103:35772", "JAM 15:37:54\\r\\n"]);
    let a = analyse("lossy.pcap", &[]);
    fits("lossy", &a, &["172.16.16.102:40756", "30000/30000"]);
}

#[test]
fn too_narrow_for_the_addresses_a_row_becomes_a_record() {
    let mut a = analyse("lo-echo.pcap", &[]);
    let v6: IpAddr = "2001:db8:1234:5678:9abc:def0:1234:5678".parse().unwrap();
    for c in &mut a.connections {
        c.client = Endpoint {
            ip: v6,
            port: 34542,
        };
        c.server = Endpoint {
            ip: v6,
            port: 10000,
        };
    }
    let origin = a.stats.first_ts.unwrap_or_default();
    let t = text::connections_table(&a.connections, origin, on_terminal(80)).to_string();
    assert!(t.lines().all(|l| l.chars().count() <= 80), "{t}");
    assert!(
        t.contains("\nClient         [2001:db8:1234:5678:9abc:def0:1234:5678]:34542\n"),
        "{t}"
    );
    assert!(t.contains("\nBytes c→s/s→c  46/46\n"), "{t}");
    assert_eq!(t.matches("Stream ").count(), a.connections.len(), "{t}");
}
