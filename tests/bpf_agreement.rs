//! The kernel back end, checked by libpcap itself: each filter's BPF translation compiles, and
//! on every fixture frame it selects exactly what the in-process matcher selects (or, where
//! the translation says superset, at least that). First for a list of filters by hand, then
//! for generated ones: every field with every operator and values around its edges and those
//! the fixtures hold (subnets with host bits set for addresses), sets and ranges (`in`), masks
//! (`&`), `contains`, `matches` and byte slices, and random combinations of them with
//! and/or/not, from a fixed seed.

mod common;

use std::collections::HashMap;
use std::ops::ControlFlow;

use common::all_fixtures;
use labcap::filter::{Field, Filter, Kind, Values, FIELD_NAMES};
use labcap::source::FileSource;

const FILTERS: &[&str] = &[
    "tcp",
    "udp.port==53",
    "dns",
    "tcp.port==10000",
    "tcp.port != 10000",
    "tcp.srcport >= 32444",
    "tcp.dstport < 1024",
    "ip.addr == 127.0.0.0/8",
    "ip.addr == 127.0.0.5/8",
    "ip.src != 172.16.16.200/24",
    "ip.addr == 10.9.8.7/0 and not ip.dst != 1.2.3.4/0",
    "ipv6.addr == ::2/64",
    "ip.src == 172.16.16.101",
    "ipv6.addr == ::1",
    "ipv6",
    "tcp.flags.syn == 1 && tcp.flags.ack == 0",
    "tcp.flags.reset == 1",
    "tcp.flags.rst != 1",
    "tcp.flags.syn > 0",
    "tcp.flags.fin >= 1 or tcp.flags.push < 1",
    "tcp.len > 0",
    "frame.len >= 100",
    "ip.proto == 17 or ip.ttl < 64",
    "not tcp.port == 10000 and tcp",
    "udp.length > 20",
    "dns.flags.rcode == 3",
    "not dns.flags.response == 1 and dns",
    "tcp.port in {10000, 32434..32444}",
    "udp.port in {53}",
    "not tcp.srcport in {1..1024, 10000}",
    "ip.addr in {127.0.0.1, 172.16.16.0/24}",
    "tcp.flags & 0x02",
    "tcp.flags & 0x12 == 0x12",
    "not tcp.port & 1",
    "ip.proto & 0x10 != 0",
    "frame[0:2] == 00:00",
    "frame[12:2] == 08:00 or frame[14] == 0x45",
    "ip[0] == 45",
    "tcp[13] == 0x18",
    "tcp.payload[0:4] == \"GET \"",
    "udp.payload[2] == 01",
    "frame contains \"GET\"",
    "tcp contains 0d:0a and not udp",
    "tcp.payload matches \"^[a-z]+\"",
    "ip.flags.df == 1 and ip.frag_offset == 0",
    "ip.flags.mf == 1 or ip.id < 100",
    "ipv6.nxt == 6 or ipv6.hlim < 64",
    "dns.a == 203.0.113.5 or dns.resp.name == \"<Root>\"",
];

#[test]
fn libpcap_selects_what_the_matcher_selects() {
    for path in all_fixtures() {
        let mut frames = Vec::new();
        FileSource::open(&path)
            .unwrap()
            .for_each_frame(&mut |f| {
                // A frame the snaplen cut is left out: libpcap is given the captured bytes here
                // as the whole frame (syn-options-cut.pcapng's SYNs).
                if f.data.len() as u32 == f.orig_len {
                    frames.push((f.link.0, f.data.to_vec(), f.orig_len, f.ts));
                }
                ControlFlow::Continue(())
            })
            .unwrap();
        for text in FILTERS {
            let filter = Filter::parse(text).unwrap();
            let bpf = filter.to_bpf();
            for (link, data, orig_len, ts) in &frames {
                let frame = labcap::source::Frame {
                    ts: *ts,
                    link: labcap::source::LinkType(*link),
                    data,
                    orig_len: *orig_len,
                    interface: None,
                };
                let ours = filter.matches(&labcap::wire::decode(&frame));
                // libpcap takes DLT values: LINKTYPE_RAW (101) is DLT_RAW (12) here.
                let dlt = if *link == 101 { 12 } else { *link as i32 };
                let dead = pcap::Capture::dead(pcap::Linktype(dlt)).unwrap();
                let kernel = match &bpf.expr {
                    None => true,
                    Some(expr) => {
                        let program = dead
                            .compile(expr, false)
                            .unwrap_or_else(|e| panic!("{text} → {expr}: {e}"));
                        // Only frames not snaplen-cut are here: the captured length is the wire
                        // length that `pcap_offline_filter` is given.
                        assert_eq!(data.len() as u32, *orig_len);
                        program.filter(data)
                    }
                };
                if bpf.exact {
                    assert_eq!(kernel, ours, "{}: {text} → {bpf}", path.display());
                } else {
                    assert!(
                        kernel || !ours,
                        "{}: superset {bpf} missed a packet {text} matches",
                        path.display()
                    );
                }
            }
        }
    }
}

/// A deterministic xorshift generator: the same filters on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Every fixture frame (not the class folder's), with its libpcap link type (DLT).
struct Frames {
    frames: Vec<(String, i32, Vec<u8>, u32, std::time::Duration)>,
}

impl Frames {
    fn load() -> Frames {
        let mut frames = Vec::new();
        for path in all_fixtures() {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let mut index = 0;
            FileSource::open(&path)
                .unwrap()
                .for_each_frame(&mut |f| {
                    index += 1;
                    // A frame the snaplen cut is left out: `pcap_offline_filter` is given the
                    // captured bytes as the whole frame (syn-options-cut.pcapng's SYNs).
                    if f.data.len() as u32 != f.orig_len {
                        return ControlFlow::Continue(());
                    }
                    // libpcap takes DLT values: LINKTYPE_RAW (101) is DLT_RAW (12) there.
                    let dlt = if f.link.0 == 101 { 12 } else { f.link.0 as i32 };
                    frames.push((
                        format!("{name} frame {index}"),
                        dlt,
                        f.data.to_vec(),
                        f.orig_len,
                        f.ts,
                    ));
                    ControlFlow::Continue(())
                })
                .unwrap();
        }
        Frames { frames }
    }

    fn packets(&self) -> Vec<labcap::wire::Packet<'_>> {
        self.frames
            .iter()
            .map(|(_, link, data, orig_len, ts)| {
                let link = if *link == 12 { 101 } else { *link as u32 };
                labcap::wire::decode(&labcap::source::Frame {
                    ts: *ts,
                    link: labcap::source::LinkType(link),
                    data,
                    orig_len: *orig_len,
                    interface: None,
                })
            })
            .collect()
    }
}

/// Values worth comparing `field` with: its edges, values around those the fixtures hold,
/// a few at random; for addresses, subnets of them with host bits set.
fn values_for(
    field: Field,
    packets: &[labcap::wire::Packet<'_>],
    rng: &mut Rng,
) -> Vec<(String, bool)> {
    let dns = labcap::wire::DnsPorts::default();
    let mut numbers = Vec::new();
    let mut addresses = Vec::new();
    let mut texts = Vec::new();
    let mut bytes: Vec<Vec<u8>> = Vec::new();
    for packet in packets {
        match field.values(packet, &dns) {
            Values::Number(n) => numbers.push(n),
            Values::Numbers(a, b) => numbers.extend([a, b]),
            Values::Addr(a) => addresses.push(a),
            Values::Addrs(a, b) => addresses.extend([a, b]),
            Values::Many(all) => numbers.extend(all),
            Values::Text(t) => texts.push(t),
            Values::Texts(all) => texts.extend(all),
            Values::AddrList(all) => addresses.extend(all),
            Values::Bytes(b) => bytes.push(b[..b.len().min(4)].to_vec()),
            Values::None | Values::Present | Values::Time(_) => {}
        }
    }
    numbers.sort_unstable();
    numbers.dedup();
    addresses.sort_unstable();
    addresses.dedup();
    // (text, whether ordering operators take it)
    let mut values: Vec<(String, bool)> = Vec::new();
    match field.kind() {
        Kind::Protocol => {}
        Kind::Time => {
            for v in ["0", "0.0005", "1.5", "-1"] {
                values.push((v.to_string(), true));
            }
        }
        Kind::Bytes => {
            bytes.sort_unstable();
            bytes.dedup();
            for _ in 0..6.min(bytes.len()) {
                let b = rng.pick(&bytes);
                values.push((hex(&b[..1 + rng.below(b.len())]), true));
            }
            values.push(("\"GET \"".to_string(), true));
            values.push(("00".to_string(), true));
        }
        Kind::Mac => {
            let mut pool = numbers.clone();
            pool.extend([0xffff_ffff_ffff, 0, 0x0242_ac10_1065]);
            for n in pool {
                let b = n.to_be_bytes();
                let text = b[2..]
                    .iter()
                    .map(|x| format!("{x:02x}"))
                    .collect::<Vec<_>>()
                    .join(":");
                values.push((text, true));
            }
        }
        Kind::Text => {
            texts.sort_unstable();
            texts.dedup();
            texts.extend(["GET".to_string(), "mesin1".into(), "nothing here".into()]);
            for t in texts {
                values.push((format!("{t:?}"), true));
            }
        }
        Kind::Boolean => {
            for v in ["0", "1", "false", "true"] {
                values.push((v.to_string(), true));
            }
        }
        Kind::Number => {
            let max = field.max();
            let mut pool = vec![0, 1, 2, 53, 64, 1024, 10000, max / 2, max - 1, max];
            for _ in 0..8.min(numbers.len()) {
                let n = *rng.pick(&numbers);
                pool.extend([n.saturating_sub(1), n, n + 1]);
            }
            for _ in 0..3 {
                pool.push(rng.next() % (max + 1));
            }
            pool.retain(|n| *n <= max);
            pool.sort_unstable();
            pool.dedup();
            for n in pool {
                let text = if rng.below(4) == 0 {
                    format!("{n:#x}")
                } else {
                    n.to_string()
                };
                values.push((text, true));
            }
        }
        Kind::Ipv4 | Kind::Ipv6 => {
            let v4 = field.kind() == Kind::Ipv4;
            let mut pool: Vec<std::net::IpAddr> = addresses;
            if v4 {
                pool.extend(
                    ["10.1.2.3", "0.0.0.0", "255.255.255.255"]
                        .map(|a| a.parse::<std::net::IpAddr>().unwrap()),
                );
            } else {
                pool.extend(
                    ["2001:db8::7", "::", "fe80::1"]
                        .map(|a| a.parse::<std::net::IpAddr>().unwrap()),
                );
            }
            let prefixes: &[u8] = if v4 {
                &[0, 1, 8, 16, 24, 31]
            } else {
                &[0, 10, 64, 120, 127]
            };
            for addr in pool {
                values.push((addr.to_string(), true));
                for p in prefixes {
                    values.push((format!("{addr}/{p}"), false));
                }
            }
        }
    }
    values
}

/// Bytes as a filter writes them: `47:45:54`.
fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Sets, masks, searches and slices of `field` (called `name`), from its interesting values.
fn operator_atoms(
    name: &str,
    field: Field,
    values: &[(String, bool)],
    packets: &[labcap::wire::Packet<'_>],
    rng: &mut Rng,
) -> Vec<String> {
    let mut atoms = Vec::new();
    let plain: Vec<&String> = values.iter().filter(|(_, o)| *o).map(|(v, _)| v).collect();
    if !plain.is_empty() {
        for _ in 0..4 {
            let elements: Vec<String> = (0..1 + rng.below(3))
                .map(|_| {
                    let low = rng.pick(&plain);
                    // Ranges where values order (not of Ethernet addresses, flags or texts).
                    if matches!(field.kind(), Kind::Number | Kind::Ipv4 | Kind::Ipv6)
                        && rng.below(2) == 0
                    {
                        format!("{low}..{}", rng.pick(&plain))
                    } else {
                        low.to_string()
                    }
                })
                .collect();
            atoms.push(format!("{name} in {{{}}}", elements.join(", ")));
        }
    }
    if field.kind() == Kind::Number {
        for _ in 0..4 {
            let mask = 1 + rng.next() % field.max();
            atoms.push(format!("{name} & {mask:#x}"));
            let value = (rng.next() % (field.max() + 1)) & mask;
            let op = *rng.pick(&["==", "!=", ">", "<="]);
            atoms.push(format!("{name} & {mask:#x} {op} {value}"));
        }
    }
    if field.has_bytes() || matches!(field.kind(), Kind::Text | Kind::Bytes) {
        for needle in ["\"GET\"", "0d:0a", "\"mesin\"", "00:00:00"] {
            atoms.push(format!("{name} contains {needle}"));
        }
        for pattern in ["^get", r"(?-i)HTTP/1\\.[01]", r"\\x00{4}", r"its\\.ac"] {
            atoms.push(format!("{name} matches \"{pattern}\""));
        }
    }
    if field.has_bytes() {
        let dns = labcap::wire::DnsPorts::default();
        let seen: Vec<&[u8]> = packets
            .iter()
            .filter(|p| field.values(p, &dns) != Values::None)
            .filter_map(|p| field.bytes(p, &dns))
            .collect();
        for _ in 0..8.min(seen.len()) {
            let b = rng.pick(&seen);
            let start = rng.below(b.len().min(40));
            let len = [1, 2, 3, 4][rng.below(4)].min(b.len() - start);
            let op = *rng.pick(&["==", "!=", "<", ">="]);
            atoms.push(format!(
                "{name}[{start}:{len}] {op} {}",
                hex(&b[start..start + len])
            ));
        }
        atoms.push(format!("{name}[-1] == 0a"));
        atoms.push(format!("{name}[2-3] != 00:00"));
        atoms.push(format!("{name}[4:] contains 00"));
    }
    atoms
}

/// One test of every field with every operator and its interesting values.
fn atoms(packets: &[labcap::wire::Packet<'_>], rng: &mut Rng) -> Vec<String> {
    const OPERATORS: [(&str, &str, bool); 6] = [
        ("==", "eq", false),
        ("!=", "ne", false),
        ("<", "lt", true),
        ("<=", "le", true),
        (">", "gt", true),
        (">=", "ge", true),
    ];
    let mut atoms = Vec::new();
    for (name, field) in FIELD_NAMES {
        atoms.push(name.to_string());
        let values = values_for(*field, packets, rng);
        atoms.extend(operator_atoms(name, *field, &values, packets, rng));
        for (value, orders) in values {
            for (symbol, word, ordering) in OPERATORS {
                let op = if rng.below(3) == 0 { word } else { symbol };
                let text = format!("{name} {op} {value}");
                if ordering && !orders {
                    // A subnet compares with == and != only.
                    assert!(Filter::parse(&text).is_err(), "{text}");
                } else {
                    atoms.push(text);
                }
            }
        }
        if field.kind() == Kind::Number || field.kind() == Kind::Boolean {
            for too_big in [field.max() + 1, 1 << 32, u64::MAX] {
                let text = format!("{name} >= {too_big}");
                let e = Filter::parse(&text).unwrap_err();
                assert!(e.message.contains("out of range"), "{text}: {e}");
            }
        }
    }
    atoms
}

/// A random filter of atoms joined by and/or/not, up to `depth` levels.
fn combination(atoms: &[String], rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || rng.below(4) == 0 {
        return rng.pick(atoms).clone();
    }
    match rng.below(5) {
        0 => {
            let inner = combination(atoms, rng, depth - 1);
            match rng.below(3) {
                0 => format!("not {inner}"),
                1 => format!("!({inner})"),
                _ => format!("not ({inner})"),
            }
        }
        kind => {
            let op = *rng.pick(if kind % 2 == 0 {
                &["and", "&&"]
            } else {
                &["or", "||"]
            });
            let terms: Vec<String> = (0..2 + rng.below(3))
                .map(|_| {
                    let term = combination(atoms, rng, depth - 1);
                    // Mostly parenthesised; bare terms exercise the precedence.
                    if rng.below(4) == 0 {
                        term
                    } else {
                        format!("({term})")
                    }
                })
                .collect();
            terms.join(&format!(" {op} "))
        }
    }
}

/// What the BPF translation of each filter does on every frame, against the matcher.
#[derive(Default)]
struct Agreement {
    filters: usize,
    exact: usize,
    selective: usize,
    rejects_all: usize,
    failures: Vec<String>,
}

impl Agreement {
    fn check(
        &mut self,
        text: &str,
        frames: &Frames,
        packets: &[labcap::wire::Packet<'_>],
        dead: &HashMap<i32, pcap::Capture<pcap::Dead>>,
    ) {
        let filter = Filter::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let bpf = filter.to_bpf();
        self.filters += 1;
        self.exact += usize::from(bpf.exact);
        // None: every packet passes. Some(None): libpcap found the program rejects every
        // packet (it refuses to compile that, "expression rejects all packets").
        let mut programs: HashMap<i32, Option<Option<pcap::BpfProgram>>> = HashMap::new();
        let mut matched = 0;
        for ((name, dlt, data, ..), packet) in frames.frames.iter().zip(packets) {
            let ours = filter.matches(packet);
            matched += usize::from(ours);
            let program = programs.entry(*dlt).or_insert_with(|| {
                bpf.expr
                    .as_ref()
                    .map(|expr| match dead[dlt].compile(expr, false) {
                        Ok(program) => Some(program),
                        Err(e) if e.to_string().contains("rejects all packets") => None,
                        Err(e) => panic!("{text} → {expr} (DLT {dlt}): libpcap refused it: {e}"),
                    })
            });
            let kernel = match program {
                None => true,
                Some(None) => false,
                Some(Some(program)) => program.filter(data),
            };
            let wrong = if bpf.exact {
                kernel != ours
            } else {
                ours && !kernel
            };
            if wrong && self.failures.len() < 20 {
                self.failures.push(format!(
                    "{name}: {text} → {} ({}): matcher {ours}, BPF {kernel}",
                    bpf,
                    if bpf.exact { "exact" } else { "superset" }
                ));
            }
        }
        self.rejects_all += usize::from(programs.values().any(|p| matches!(p, Some(None))));
        self.selective += usize::from(matched > 0 && matched < packets.len());
    }
}

#[test]
fn every_field_and_operator_and_random_combinations_agree_with_libpcap() {
    let frames = Frames::load();
    let packets = frames.packets();
    let mut dead = HashMap::new();
    for (_, dlt, ..) in &frames.frames {
        dead.entry(*dlt)
            .or_insert_with(|| pcap::Capture::dead(pcap::Linktype(*dlt)).unwrap());
    }
    let mut rng = Rng(0x1abc_a9f1_17e5);
    let atoms = atoms(&packets, &mut rng);
    let mut agreement = Agreement::default();
    for atom in &atoms {
        agreement.check(atom, &frames, &packets, &dead);
    }
    let single = agreement.filters;
    for _ in 0..4000 {
        let text = combination(&atoms, &mut rng, 3);
        agreement.check(&text, &frames, &packets, &dead);
    }
    let Agreement {
        filters,
        exact,
        selective,
        rejects_all,
        failures,
    } = agreement;
    eprintln!(
        "{filters} filters ({single} single tests) on {} frames: {exact} exact, {selective} \
         selecting some frames but not all, {rejects_all} that libpcap found reject everything",
        packets.len()
    );
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    // The generator is worth something: many filters select some frames and not others.
    assert!(selective * 3 > filters, "{selective} of {filters}");
}

#[test]
fn live_capture_lets_through_what_carries_the_packets_a_filter_wants() {
    // The kernel cannot reassemble fragments, read an ICMP error's quote or look into a
    // tunnel: for live capture the filter is widened by those carriers, so that a fragmented
    // DNS answer reaches labcap whole (the plain translation drops its later fragments).
    let filters = [
        "udp.port==53",
        "dns",
        "udp",
        "tcp",
        "ip.proto==17",
        "icmp",
        "dns.flags.response==1",
    ];
    for name in [
        "frag-dns.pcap",
        "icmp-unreach.pcap",
        "vxlan.pcap",
        "gre-geneve.pcap",
    ] {
        let path = common::fixture("wire").join(name);
        let mut frames = Vec::new();
        FileSource::open(&path)
            .unwrap()
            .for_each_frame(&mut |f| {
                assert_eq!(f.data.len() as u32, f.orig_len, "{name} is not snaplen-cut");
                let dlt = if f.link.0 == 101 { 12 } else { f.link.0 as i32 };
                let fragment = labcap::wire::decode(&f).ip_fragment.is_some();
                frames.push((dlt, f.data.to_vec(), fragment));
                ControlFlow::Continue(())
            })
            .unwrap();
        for text in filters {
            let (matched, _) = common::replay(&path, Some(text));
            let kernel = Filter::parse(text).unwrap().to_kernel_bpf();
            let expr = kernel.expr.expect("a kernel filter");
            for (i, (dlt, data, fragment)) in frames.iter().enumerate() {
                let number = i as u64 + 1;
                let wanted = *fragment || matched.iter().any(|l| l.number == number);
                let dead = pcap::Capture::dead(pcap::Linktype(*dlt)).unwrap();
                let program = dead.compile(&expr, false).unwrap();
                assert!(
                    !wanted || program.filter(data),
                    "{name} frame {number}: {text} → {expr} drops it"
                );
            }
        }
    }
}
