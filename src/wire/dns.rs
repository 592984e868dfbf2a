//! DNS messages (RFC 1035): the header read directly, questions and records through the
//! `simple-dns` crate (which knows modern types such as HTTPS and SVCB), flattened into plain
//! owned data with Wireshark's names for types and response codes.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use simple_dns::rdata::RData;

use super::dns_records;

/// Length of the fixed DNS header.
pub const HEADER_LEN: usize = 12;

/// The fixed header's fields the filters read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Transaction id.
    pub id: u16,
    /// QR bit.
    pub response: bool,
    /// Response code (4 bits).
    pub rcode: u8,
    /// Answer count.
    pub answers: u16,
}

impl Header {
    /// Reads the 12-byte header.
    pub fn parse(data: &[u8]) -> Option<Header> {
        let h = data.get(..HEADER_LEN)?;
        Some(Header {
            id: u16::from_be_bytes([h[0], h[1]]),
            response: h[2] & 0x80 != 0,
            rcode: h[3] & 0x0f,
            answers: u16::from_be_bytes([h[6], h[7]]),
        })
    }
}

/// The first question of a message, if it has one that can be read.
pub fn first_question(data: &[u8]) -> Option<Question> {
    let count = u16::from_be_bytes([*data.get(4)?, *data.get(5)?]);
    let mut questions = Vec::new();
    read_questions_into(data, count.min(1), &mut questions).ok()?;
    questions.pop()
}

/// One question: the name asked for and the record type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// The name, dot-separated, without the trailing dot (`<Root>` for the root).
    pub name: String,
    /// The query type code (1 = A, 28 = AAAA, …).
    pub qtype: u16,
}

/// One resource record of any section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The owner name.
    pub name: String,
    /// The record type code.
    pub rtype: u16,
    /// Time to live, seconds.
    pub ttl: u32,
    /// The data as Wireshark's Info column shows it (an address, a name, …); empty for types
    /// whose data Wireshark does not show there.
    pub data: String,
}

impl Record {
    /// `TYPE DATA` (or `TYPE` alone), as in Wireshark's Info column.
    pub fn summary(&self) -> String {
        if self.data.is_empty() {
            type_name(self.rtype).into_owned()
        } else {
            format!("{} {}", type_name(self.rtype), self.data)
        }
    }
}

/// A decoded DNS message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// Transaction id.
    pub id: u16,
    /// QR bit: a response.
    pub response: bool,
    /// The opcode (0 = standard query).
    pub opcode: u8,
    /// The header's response code (4 bits).
    pub rcode: u16,
    /// TC bit: the response was truncated.
    pub truncated: bool,
    /// Question section.
    pub questions: Vec<Question>,
    /// Answer section.
    pub answers: Vec<Record>,
    /// Authority and additional sections (the EDNS OPT record shows as type 41).
    pub others: Vec<Record>,
    /// Why the sections could not be read, when they could not (the header still was).
    pub error: Option<String>,
    /// The message is invalid (cut or bogus), not merely beyond what labcap decodes.
    pub malformed: bool,
}

impl Message {
    /// Decodes a DNS message. `None` when not even the 12-byte header is there.
    pub fn parse(data: &[u8]) -> Option<Message> {
        Message::parse_with(data, true)
    }

    /// Decodes a DNS message; its records only when `records` (otherwise `answers` and
    /// `others` stay empty, but `malformed` and `error` say the same as when they are read).
    pub fn parse_with(data: &[u8], records: bool) -> Option<Message> {
        let mut message = Message::default();
        message.read(data, records).then_some(message)
    }

    /// [`Message::parse_with`] into `self`, reusing its buffers (the question names'): a
    /// response then costs no allocation when its records are not asked for. False, and
    /// `self` unchanged, when not even the 12-byte header is there.
    pub fn read(&mut self, data: &[u8], records: bool) -> bool {
        let Some(header) = data.get(..HEADER_LEN) else {
            return false;
        };
        let flags = u16::from_be_bytes([header[2], header[3]]);
        self.id = u16::from_be_bytes([header[0], header[1]]);
        self.response = flags & 0x8000 != 0;
        self.opcode = ((flags >> 11) & 0xf) as u8;
        self.rcode = flags & 0xf;
        self.truncated = flags & 0x0200 != 0;
        self.answers.clear();
        self.others.clear();
        self.error = None;
        self.malformed = false;
        let qdcount = u16::from_be_bytes([header[4], header[5]]);
        if let Err(reason) = read_questions_into(data, qdcount, &mut self.questions) {
            self.questions.clear();
            self.error = Some(reason);
            self.malformed = true;
            return true;
        }
        let counts = [6, 8, 10].map(|at| u16::from_be_bytes([header[at], header[at + 1]]));
        if counts == [0; 3] {
            // No records (most queries): nothing more to read.
            return true;
        }
        if let Some((answers, others)) = dns_records::read(data, records) {
            self.answers = answers;
            self.others = others;
            return true;
        }
        match simple_dns::Packet::parse(data) {
            Ok(packet) if records => (self.answers, self.others) = records_of(&packet),
            Ok(_) => {}
            Err(e) => {
                // simple-dns refuses a question of a type it does not know; the message is
                // fine, only its records go unread.
                let unknown_qtype = self
                    .questions
                    .iter()
                    .any(|q| simple_dns::QTYPE::try_from(q.qtype).is_err());
                self.malformed = !unknown_qtype;
                self.error = Some(format!("records not decoded: {e}"));
            }
        }
        true
    }

    /// The first question, if any.
    pub fn question(&self) -> Option<&Question> {
        self.questions.first()
    }

    /// Wireshark's Info column: `Standard query 0x643d A www.espnfc.com OPT`, or for a response
    /// `Standard query response 0x643d No such name A www.espnfc.cosm`.
    pub fn info(&self) -> String {
        let mut info = String::from(opcode_name(self.opcode));
        if self.response {
            info.push_str(" response");
        }
        info.push_str(&format!(" 0x{:04x}", self.id));
        if self.response && self.rcode != 0 {
            info.push(' ');
            info.push_str(rcode_text(self.rcode));
        }
        for q in &self.questions {
            info.push_str(&format!(" {} {}", type_name(q.qtype), q.name));
        }
        for r in self.answers.iter().chain(&self.others) {
            info.push(' ');
            info.push_str(&r.summary());
        }
        if self.malformed {
            info.push_str(" [Malformed Packet]");
        }
        info
    }
}

/// Reads `count` questions after the header into `questions`, reusing the names it holds.
/// On an error `questions` holds those read so far (and perhaps one half read).
fn read_questions_into(
    data: &[u8],
    count: u16,
    questions: &mut Vec<Question>,
) -> Result<(), String> {
    let mut offset = HEADER_LEN;
    let count = usize::from(count);
    for i in 0..count {
        if i == questions.len() {
            questions.push(Question {
                name: String::new(),
                qtype: 0,
            });
        }
        let q = &mut questions[i];
        let end = read_name_into(data, offset, &mut q.name)?;
        let fixed = data
            .get(end..end + 4)
            .ok_or_else(|| format!("question cut at offset {end}"))?;
        q.qtype = u16::from_be_bytes([fixed[0], fixed[1]]);
        offset = end + 4;
    }
    questions.truncate(count);
    Ok(())
}

/// Reads a possibly compressed name at `offset` into `name` (cleared first); returns the
/// offset after it.
fn read_name_into(data: &[u8], mut offset: usize, name: &mut String) -> Result<usize, String> {
    name.clear();
    let mut end = None;
    // Each pointer must go backwards, so a loop is impossible; the bound is a second guard.
    for _ in 0..128 {
        let len = *data
            .get(offset)
            .ok_or_else(|| format!("name cut at offset {offset}"))?;
        match len & 0xc0 {
            0x00 if len == 0 => {
                if name.is_empty() {
                    name.push_str("<Root>");
                }
                return Ok(end.unwrap_or(offset + 1));
            }
            0x00 => {
                let label = data
                    .get(offset + 1..offset + 1 + usize::from(len))
                    .ok_or_else(|| format!("label cut at offset {offset}"))?;
                if !name.is_empty() {
                    name.push('.');
                }
                // Labels are ASCII almost always: checked whole, copied whole.
                match std::str::from_utf8(label) {
                    Ok(text) => name.push_str(text),
                    Err(_) => name.push_str(&String::from_utf8_lossy(label)),
                }
                offset += 1 + usize::from(len);
            }
            0xc0 => {
                let low = *data
                    .get(offset + 1)
                    .ok_or_else(|| format!("pointer cut at offset {offset}"))?;
                let target = usize::from(u16::from_be_bytes([len & 0x3f, low]));
                if target >= offset {
                    return Err(format!(
                        "name pointer at offset {offset} does not point back"
                    ));
                }
                end.get_or_insert(offset + 2);
                offset = target;
            }
            _ => return Err(format!("bad label type at offset {offset}")),
        }
    }
    Err("name too long".into())
}

fn name_text(name: &simple_dns::Name<'_>) -> String {
    let text = name.to_string();
    if text.is_empty() {
        "<Root>".into()
    } else {
        text
    }
}

/// The answer section and the other records (authority, additional, the EDNS OPT record last)
/// of a packet `simple-dns` read.
pub(super) fn records_of(packet: &simple_dns::Packet<'_>) -> (Vec<Record>, Vec<Record>) {
    let answers = packet.answers.iter().map(record).collect();
    let mut others: Vec<Record> = packet
        .name_servers
        .iter()
        .chain(&packet.additional_records)
        .map(record)
        .collect();
    if packet.opt().is_some() {
        others.push(Record {
            name: "<Root>".into(),
            rtype: 41,
            ttl: 0,
            data: String::new(),
        });
    }
    (answers, others)
}

fn record(rr: &simple_dns::ResourceRecord<'_>) -> Record {
    let data = match &rr.rdata {
        RData::A(a) => Ipv4Addr::from(a.address).to_string(),
        RData::AAAA(a) => Ipv6Addr::from(a.address).to_string(),
        RData::CNAME(n) => name_text(&n.0),
        RData::NS(n) => name_text(&n.0),
        RData::PTR(n) => name_text(&n.0),
        RData::MX(mx) => format!("{} {}", mx.preference, name_text(&mx.exchange)),
        RData::SOA(soa) => name_text(&soa.mname),
        RData::SRV(srv) => format!(
            "{} {} {} {}",
            srv.priority,
            srv.weight,
            srv.port,
            name_text(&srv.target)
        ),
        _ => String::new(),
    };
    Record {
        name: name_text(&rr.name),
        rtype: u16::from(rr.rdata.type_code()),
        ttl: rr.ttl,
        data,
    }
}

/// The opcode as Wireshark names it.
pub fn opcode_name(opcode: u8) -> &'static str {
    match opcode {
        0 => "Standard query",
        1 => "Inverse query",
        2 => "Server status request",
        4 => "Zone change notification",
        5 => "Dynamic update",
        _ => "Unknown operation",
    }
}

/// The response code's mnemonic: `NOERROR`, `NXDOMAIN`, … (as dig prints it).
pub fn rcode_name(rcode: u16) -> Cow<'static, str> {
    Cow::Borrowed(match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        other => return Cow::Owned(format!("RCODE{other}")),
    })
}

/// Parses a response-code mnemonic (case-insensitive) or a number.
pub fn rcode_from_name(text: &str) -> Option<u16> {
    if let Ok(n) = text.parse::<u16>() {
        return (n < 16).then_some(n);
    }
    (0..16).find(|&code| rcode_name(code).eq_ignore_ascii_case(text))
}

/// The response code as Wireshark's Info column words it.
fn rcode_text(rcode: u16) -> &'static str {
    match rcode {
        0 => "No error",
        1 => "Format error",
        2 => "Server failure",
        3 => "No such name",
        4 => "Not implemented",
        5 => "Refused",
        6 => "Name exists",
        7 => "RRset exists",
        8 => "RRset does not exist",
        9 => "Not authoritative",
        10 => "Name out of zone",
        _ => "Unknown error",
    }
}

/// The record type's mnemonic (`A`, `AAAA`, `HTTPS`, …), `Unknown (N)` like Wireshark otherwise.
pub fn type_name(code: u16) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        13 => "HINFO",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        35 => "NAPTR",
        39 => "DNAME",
        41 => "OPT",
        43 => "DS",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        50 => "NSEC3",
        52 => "TLSA",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        251 => "IXFR",
        252 => "AXFR",
        255 => "ANY",
        257 => "CAA",
        other => return Cow::Owned(format!("Unknown ({other})")),
    })
}

/// `name` in wire form, uncompressed (`www.its.ac.id` → `3www3its2ac2id0`), for tests that
/// build DNS messages.
#[cfg(test)]
pub(crate) fn encode_name(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend(label.as_bytes());
    }
    out.push(0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a message: header, one question, then the given raw answer records.
    fn message(id: u16, flags: u16, qname: &str, qtype: u16, answers: &[Vec<u8>]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend(id.to_be_bytes());
        m.extend(flags.to_be_bytes());
        m.extend(1u16.to_be_bytes());
        m.extend((answers.len() as u16).to_be_bytes());
        m.extend([0, 0, 0, 0]);
        m.extend(encode_name(qname));
        m.extend(qtype.to_be_bytes());
        m.extend(1u16.to_be_bytes());
        for a in answers {
            m.extend(a);
        }
        m
    }

    fn answer(rtype: u16, rdata: &[u8]) -> Vec<u8> {
        let mut a = vec![0xc0, 0x0c]; // pointer to the question's name
        a.extend(rtype.to_be_bytes());
        a.extend(1u16.to_be_bytes());
        a.extend(300u32.to_be_bytes());
        a.extend((rdata.len() as u16).to_be_bytes());
        a.extend(rdata);
        a
    }

    #[test]
    fn query_header_and_question() {
        let m = Message::parse(&message(0x643d, 0x0100, "www.espnfc.com", 1, &[])).unwrap();
        assert_eq!(m.id, 0x643d);
        assert!(!m.response);
        assert_eq!(
            m.questions,
            vec![Question {
                name: "www.espnfc.com".into(),
                qtype: 1
            }]
        );
        assert_eq!(m.info(), "Standard query 0x643d A www.espnfc.com");
        assert_eq!(m.error, None);
    }

    #[test]
    fn response_with_answers_of_several_types() {
        let cname = encode_name("www.its.ac.id");
        let bytes = message(
            7,
            0x8180,
            "alias.its.ac.id",
            1,
            &[answer(5, &cname), answer(1, &[203, 0, 113, 5])],
        );
        let m = Message::parse(&bytes).unwrap();
        assert!(m.response);
        assert_eq!(m.rcode, 0);
        assert_eq!(m.answers.len(), 2);
        assert_eq!(m.answers[0].summary(), "CNAME www.its.ac.id");
        assert_eq!(m.answers[1].summary(), "A 203.0.113.5");
        assert_eq!(m.answers[1].ttl, 300);
        assert_eq!(
            m.info(),
            "Standard query response 0x0007 A alias.its.ac.id CNAME www.its.ac.id A 203.0.113.5"
        );
    }

    #[test]
    fn nxdomain_is_named_like_wireshark_and_dig() {
        let m = Message::parse(&message(0x643d, 0x8183, "www.espnfc.cosm", 1, &[])).unwrap();
        assert_eq!(m.rcode, 3);
        assert_eq!(rcode_name(m.rcode), "NXDOMAIN");
        assert_eq!(
            m.info(),
            "Standard query response 0x643d No such name A www.espnfc.cosm"
        );
    }

    #[test]
    fn modern_and_unknown_types_do_not_reject_the_message() {
        let m = Message::parse(&message(1, 0x0100, "example.com", 65, &[])).unwrap();
        assert_eq!(type_name(m.questions[0].qtype), "HTTPS");
        let m = Message::parse(&message(
            2,
            0x8180,
            "example.com",
            1,
            &[answer(4242, b"xyz")],
        ))
        .unwrap();
        assert_eq!(m.error, None);
        assert_eq!(m.answers[0].summary(), "Unknown (4242)");
        let m = Message::parse(&message(3, 0x0100, "example.com", 4242, &[])).unwrap();
        assert_eq!(m.questions[0].qtype, 4242);
        assert!(!m.malformed);
        assert_eq!(m.info(), "Standard query 0x0003 Unknown (4242) example.com");
    }

    #[test]
    fn cut_sections_keep_the_header() {
        let mut bytes = message(
            9,
            0x8180,
            "www.espnfc.com",
            1,
            &[answer(1, &[192, 0, 2, 10])],
        );
        bytes.truncate(bytes.len() - 3);
        let m = Message::parse(&bytes).unwrap();
        assert_eq!((m.id, m.response), (9, true));
        assert!(m.error.is_some() && m.malformed);
        assert!(m.info().ends_with("[Malformed Packet]"));
        assert_eq!(m.questions[0].name, "www.espnfc.com");
        assert_eq!(Message::parse(&bytes[..11]), None);
    }

    #[test]
    fn compression_pointers_must_point_back() {
        let mut bytes = message(4, 0x0100, "a", 1, &[]);
        bytes.truncate(HEADER_LEN);
        bytes.extend([0xc0, 0x0c, 0, 1, 0, 1]); // a pointer to itself
        let m = Message::parse(&bytes).unwrap();
        assert!(m.malformed);
        assert!(m.error.unwrap().contains("does not point back"));
    }

    #[test]
    fn random_and_mangled_messages_never_panic() {
        let mut next = crate::test_rng(0x9e37_79b9_7f4a_7c15);
        let good = message(
            7,
            0x8180,
            "www.its.ac.id",
            1,
            &[answer(1, &[203, 0, 113, 5])],
        );
        for round in 0..20_000 {
            let bytes: Vec<u8> = if round % 2 == 0 {
                (0..next() % 80).map(|_| next() as u8).collect()
            } else {
                let mut b = good.clone();
                for _ in 0..1 + next() % 4 {
                    let at = (next() as usize) % b.len();
                    b[at] = next() as u8;
                }
                b.truncate((next() as usize) % (b.len() + 1));
                b
            };
            if let Some(m) = Message::parse(&bytes) {
                let _ = m.info();
            }
            let _ = first_question(&bytes);
            let _ = Header::parse(&bytes);
        }
    }

    #[test]
    fn mnemonics_round_trip() {
        assert_eq!(rcode_from_name("nxdomain"), Some(3));
        assert_eq!(rcode_from_name("REFUSED"), Some(5));
        assert_eq!(rcode_from_name("2"), Some(2));
        assert_eq!(rcode_from_name("bogus"), None);
        assert_eq!(type_name(28), "AAAA");
        assert_eq!(type_name(65), "HTTPS");
        assert_eq!(type_name(4242), "Unknown (4242)");
        assert_eq!(rcode_name(12), "RCODE12");
    }
}
