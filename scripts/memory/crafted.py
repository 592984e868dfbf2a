#!/usr/bin/env python3
"""Writes the hostile captures of the memory benchmark (issue #15): each holds state an analyzer
could keep forever. Usage: crafted.py OUTDIR [SCALE]; SCALE (default 1.0) multiplies the counts.

half-open-syns   1 M SYNs from distinct ports within a second, never answered
dns-unanswered   1 M DNS queries with distinct ids and ports within a second, never answered
ooo-zero-cap     1 M out-of-order segments of one connection, each cut to 0 captured bytes
dns-tcp-open     2,000 DNS-over-TCP flows announcing a 65,535-byte message, then 60 KB of it
dns-tcp-long     200,000 DNS-over-TCP flows of one query each, never closed (framing state)
never-echoed     100 connections sending 2 MiB each that the server never echoes
pcapng-ifaces    200,000 pcapng interfaces with 1,000-byte names, then one packet each
udp-many         1 M UDP conversations of one datagram within a second
"""
import os
import struct
import sys


def ip4(src, dst, proto, payload, ident=0):
    total = 20 + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident & 0xFFFF, 0, 64, proto, 0, src, dst)
    return hdr + payload


def tcp(sport, dport, seq, ack, flags, data=b"", win=65535):
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, win, 0, 0) + data


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def dns_query(ident, name):
    q = b"".join(bytes([len(p)]) + p for p in name.encode().split(b".")) + b"\0"
    return struct.pack("!HHHHHH", ident & 0xFFFF, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", 1, 1)


def a(n):
    return bytes([10, (n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF])


CLIENT, SERVER = bytes([10, 0, 0, 1]), bytes([10, 9, 9, 9])
SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01


class Pcap:
    """A raw-IP (linktype 101) pcap writer."""

    def __init__(self, path):
        self.f = open(path, "wb", buffering=1 << 20)
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))

    def add(self, us, pkt, caplen=None):
        cap = pkt if caplen is None else pkt[:caplen]
        self.f.write(struct.pack("<IIII", us // 1_000_000, us % 1_000_000, len(cap), len(pkt)) + cap)

    def close(self):
        self.f.close()


def half_open_syns(out, n):
    p = Pcap(out)
    for i in range(n):
        p.add(i, ip4(a(i), SERVER, 6, tcp(1024 + i % 60000, 80, i * 7919, 0, SYN)))
    p.close()


def dns_unanswered(out, n):
    p = Pcap(out)
    for i in range(n):
        q = dns_query(i, "host%d.example.org" % i)
        p.add(i, ip4(a(i), SERVER, 17, udp(1024 + i % 60000, 53, q)))
    p.close()


def ooo_zero_cap(out, n):
    p = Pcap(out)
    p.add(0, ip4(CLIENT, SERVER, 6, tcp(40000, 80, 1000, 0, SYN)))
    p.add(1, ip4(SERVER, CLIENT, 6, tcp(80, 40000, 5000, 1001, SYN | ACK)))
    p.add(2, ip4(CLIENT, SERVER, 6, tcp(40000, 80, 1001, 5001, ACK)))
    # The first byte never arrives; every later segment is a hole-maker cut to its headers.
    for i in range(n):
        seg = ip4(CLIENT, SERVER, 6, tcp(40000, 80, 1002 + (n - i) * 1000, 5001, ACK, b"x" * 1000))
        p.add(10 + i, seg, caplen=40)
    p.close()


def dns_tcp(out, flows, announced, sent, close):
    p = Pcap(out)
    us = 0
    for i in range(flows):
        c, port = a(i + 1), 1024 + i % 60000
        isn = 1000
        p.add(us, ip4(c, SERVER, 6, tcp(port, 53, isn, 0, SYN))); us += 1
        p.add(us, ip4(SERVER, c, 6, tcp(53, port, 9000, isn + 1, SYN | ACK))); us += 1
        body = dns_query(i, "q%d.example.org" % i) if announced is None else b"\0" * sent
        msg = struct.pack("!H", len(body) if announced is None else announced) + body
        seq = isn + 1
        for off in range(0, len(msg), 1400):
            chunk = msg[off:off + 1400]
            p.add(us, ip4(c, SERVER, 6, tcp(port, 53, seq, 9001, ACK | PSH, chunk))); us += 1
            seq += len(chunk)
        if close:
            p.add(us, ip4(c, SERVER, 6, tcp(port, 53, seq, 9001, ACK | FIN))); us += 1
    p.close()


def never_echoed(out, conns, each):
    p = Pcap(out)
    us = 0
    for i in range(conns):
        port = 30000 + i
        p.add(us, ip4(CLIENT, SERVER, 6, tcp(port, 32434, 0, 0, SYN))); us += 1
        p.add(us, ip4(SERVER, CLIENT, 6, tcp(32434, port, 0, 1, SYN | ACK))); us += 1
        p.add(us, ip4(CLIENT, SERVER, 6, tcp(port, 32434, 1, 1, ACK))); us += 1
    # Interleaved: every connection is alive at once, each sending its megabytes.
    chunk = b"e" * 1400
    for off in range(0, each, len(chunk)):
        for i in range(conns):
            port = 30000 + i
            p.add(us, ip4(CLIENT, SERVER, 6, tcp(port, 32434, 1 + off, 1, ACK | PSH, chunk))); us += 1
            p.add(us, ip4(SERVER, CLIENT, 6, tcp(32434, port, 1, 1 + off + len(chunk), ACK))); us += 1
    p.close()


def pcapng_ifaces(out, n):
    with open(out, "wb", buffering=1 << 20) as f:
        def block(kind, body):
            pad = (-len(body)) % 4
            length = 12 + len(body) + pad
            f.write(struct.pack("<II", kind, length) + body + b"\0" * pad + struct.pack("<I", length))
        block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
        name = b"n" * 1000
        for i in range(n):
            opt = struct.pack("<HH", 2, len(name)) + name + b"\0" * ((-len(name)) % 4) + struct.pack("<HH", 0, 0)
            block(1, struct.pack("<HHI", 101, 0, 65535) + opt)
        for i in range(n):
            pkt = ip4(a(i), SERVER, 17, udp(1000, 2000, b"hi"))
            body = struct.pack("<IIIII", i, 0, i, len(pkt), len(pkt)) + pkt + b"\0" * ((-len(pkt)) % 4)
            block(6, body)


def udp_many(out, n):
    p = Pcap(out)
    for i in range(n):
        p.add(i, ip4(a(i), SERVER, 17, udp(1024 + i % 60000, 9999, b"hello")))
    p.close()


def main():
    outdir = sys.argv[1]
    scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    s = lambda n: max(1, int(n * scale))
    os.makedirs(outdir, exist_ok=True)
    jobs = {
        "half-open-syns": lambda o: half_open_syns(o, s(1_000_000)),
        "dns-unanswered": lambda o: dns_unanswered(o, s(1_000_000)),
        "ooo-zero-cap": lambda o: ooo_zero_cap(o, s(1_000_000)),
        "dns-tcp-open": lambda o: dns_tcp(o, s(2_000), 65535, 60_000, False),
        "dns-tcp-long": lambda o: dns_tcp(o, s(200_000), None, 0, False),
        "never-echoed": lambda o: never_echoed(o, s(100), 2 << 20),
        "pcapng-ifaces": lambda o: pcapng_ifaces(o, s(200_000)),
        "udp-many": lambda o: udp_many(o, s(1_000_000)),
    }
    for name, job in jobs.items():
        ext = "pcapng" if name == "pcapng-ifaces" else "pcap"
        path = os.path.join(outdir, "%s.%s" % (name, ext))
        if not os.path.exists(path):
            job(path)
        print(path)


if __name__ == "__main__":
    main()
