//! DNS against tshark on real captures: every DNS packet's Info column, and every transaction's
//! id, names, types, response code, answers and latency.

mod common;

use common::{all_fixtures, fixture, replay, tshark_occurrences};
use labcap::wire::dns::{rcode_name, type_name};

#[test]
fn every_dns_packet_reads_as_tshark_reads_it() {
    for path in all_fixtures() {
        let (lines, _) = replay(&path, None);
        let rows = tshark_occurrences(
            &path,
            None,
            &["frame.number", "_ws.col.Protocol", "_ws.col.Info"],
            "f",
        );
        assert_eq!(lines.len(), rows.len(), "{}", path.display());
        for (line, row) in lines.iter().zip(&rows) {
            let name = format!("{} frame {}", path.display(), row[0]);
            assert_eq!(line.protocol == "DNS", row[1] == "DNS", "{name}: protocol");
            if row[1] == "DNS" {
                assert_eq!(line.info, row[2], "{name}: info");
            }
        }
    }
}

#[test]
fn transactions_agree_with_tshark() {
    let path = fixture("dns.pcapng");
    let (_, analysis) = replay(&path, None);
    let transactions = &analysis.dns.transactions;
    let rows = tshark_occurrences(
        &path,
        Some("dns.flags.response==1"),
        &[
            "dns.id",
            "dns.qry.name",
            "dns.qry.type",
            "dns.flags.rcode",
            "dns.time",
            "dns.a",
            "dns.aaaa",
            "dns.cname",
            "tcp.stream",
        ],
        "a",
    );
    assert!(
        rows.len() >= 8,
        "the fixture has too few responses: {}",
        rows.len()
    );
    for row in &rows {
        let id = u16::from_str_radix(row[0].trim_start_matches("0x"), 16).unwrap();
        let t = transactions
            .iter()
            .find(|t| t.id == id && t.answered())
            .unwrap_or_else(|| panic!("no answered transaction 0x{id:04x}"));
        assert_eq!(t.qname, row[1], "0x{id:04x}");
        assert_eq!(t.qtype.to_string(), row[2], "0x{id:04x}");
        assert_eq!(
            t.rcode.map(|r| r.to_string()).as_deref(),
            Some(row[3].as_str())
        );
        let latency = format!("{:.9}", t.latency().unwrap().as_secs_f64());
        assert_eq!(latency, row[4], "0x{id:04x} latency");
        let answers = |rtype: u16| -> String {
            t.answers
                .iter()
                .filter(|a| a.rtype == rtype)
                .map(|a| a.data.clone())
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(answers(1), row[5], "0x{id:04x} A");
        assert_eq!(answers(28), row[6], "0x{id:04x} AAAA");
        assert_eq!(answers(5), row[7], "0x{id:04x} CNAME");
        assert_eq!(
            t.transport.as_str(),
            if row[8].is_empty() { "udp" } else { "tcp" }
        );
    }
    // Queries with no response of the same id to the same port are exactly labcap's
    // unanswered transactions.
    let ends = |filter: &str, port: &str| -> Vec<(String, String)> {
        tshark_occurrences(&path, Some(filter), &["dns.id", port], "f")
            .into_iter()
            .map(|r| (r[0].clone(), r[1].clone()))
            .collect()
    };
    let answered = ends("udp && dns.flags.response==1", "udp.dstport");
    let unanswered: Vec<_> = ends("udp && dns.flags.response==0", "udp.srcport")
        .into_iter()
        .filter(|q| !answered.contains(q))
        .collect();
    let ours: Vec<_> = transactions.iter().filter(|t| t.unanswered()).collect();
    assert!(!ours.is_empty(), "the fixture has an unanswered query");
    assert_eq!(ours.len(), unanswered.len());
    for (t, (id, port)) in ours.iter().zip(&unanswered) {
        assert_eq!(&format!("0x{:04x}", t.id), id);
        assert_eq!(&t.client.port.to_string(), port);
    }
    // The lab's observations are all in the fixture.
    let find = |name: &str, qtype: &str| {
        transactions
            .iter()
            .find(|t| t.qname == name && type_name(t.qtype) == qtype)
            .unwrap_or_else(|| panic!("{name} {qtype}"))
    };
    assert_eq!(
        rcode_name(find("www.espnfc.cosm", "A").rcode.unwrap()),
        "NXDOMAIN"
    );
    assert_eq!(find("www.its.ac.id", "AAAA").answers[0].data, "2001:db8::5");
    assert_eq!(
        rcode_name(find("other.example", "A").rcode.unwrap()),
        "REFUSED"
    );
    assert_eq!(
        rcode_name(find("www.espnfc.com", "HTTPS").rcode.unwrap()),
        "REFUSED"
    );
    assert!(transactions.iter().any(|t| t.transport.as_str() == "tcp"));
}
