#!/usr/bin/env python3
"""The benchmark's second capture, made by a different generator than examples/gen_capture.rs
and shaped differently: Ethernet frames in a microsecond pcap (not Linux cooked pcapng),
DNS-heavy (answers, NXDOMAIN, AAAA, 10% unanswered), short TCP connections to many ports
(half refused with RST), UDP noise on many ports, ARP, and IPv4 fragments of large UDP
datagrams; frames around 100 bytes. Deterministic (seeded).

Usage: gen_mix.py OUT.pcap PACKETS
"""
import random
import struct
import sys

rnd = random.Random(20261125)
MAC_A, MAC_B = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
SERVER = bytes([172, 16, 16, 1])


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip(src, dst, proto, payload, ident=0, frag=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def eth(payload, ethertype=0x0800, out=True):
    return (MAC_B + MAC_A if out else MAC_A + MAC_B) + struct.pack("!H", ethertype) + payload


def tcp(sp, dp, seq, ack, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags, 64240, 0, 0) + data


def udp(sp, dp, data):
    return struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data


def qname(name):
    return b"".join(bytes([len(p)]) + p for p in name.split(b".")) + b"\0"


def dns(ident, name, qtype, response=False, rcode=0, answer=None):
    flags = (0x8180 | rcode) if response else 0x0100
    body = struct.pack("!HHHHHH", ident, flags, 1, 1 if answer else 0, 0, 0) + qname(name) + struct.pack("!HH", qtype, 1)
    if answer:
        body += b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 300, len(answer)) + answer
    return body


NAMES = [b"www.lab%d.example.org" % i for i in range(500)] + [b"mesin%d.lab" % i for i in range(1, 4)]


def client(i):
    return bytes([10, 20 + (i >> 16) % 200, (i >> 8) & 0xFF, i & 0xFF])


def dns_lookup(t, i):
    c, port, ident = client(i % 50000), 1024 + i % 60000, i & 0xFFFF
    name, qtype = rnd.choice(NAMES), rnd.choice((1, 1, 1, 28))
    out = [(t, eth(ip(c, SERVER, 17, udp(port, 53, dns(ident, name, qtype)))))]
    r = rnd.random()
    if r < 0.1:
        return out  # unanswered
    if r < 0.3:
        resp = dns(ident, name, qtype, True, 3)  # NXDOMAIN
    else:
        ans = bytes([93, 184, (i >> 8) & 0xFF, i & 0xFF]) if qtype == 1 else bytes(15) + b"\x01"
        resp = dns(ident, name, qtype, True, 0, ans)
    out.append((t + 300, eth(ip(SERVER, c, 17, udp(53, port, resp)), out=False)))
    return out


def short_tcp(t, i):
    c, cp, sp = client(i % 30000), 1024 + (i * 7) % 60000, 1024 + rnd.randrange(60000)
    isn, ssn = rnd.getrandbits(32), rnd.getrandbits(32)
    out = [(t, eth(ip(c, SERVER, 6, tcp(cp, sp, isn, 0, 0x02))))]
    if rnd.random() < 0.5:  # refused
        out.append((t + 50, eth(ip(SERVER, c, 6, tcp(sp, cp, 0, isn + 1, 0x14)), out=False)))
        return out
    data = b"GET /%d HTTP/1.0\r\n\r\n" % i
    reply = b"HTTP/1.0 200 OK\r\n\r\nok"
    s = [
        (c, SERVER, cp, sp, isn + 1, ssn + 1, 0x10, b""),
        (c, SERVER, cp, sp, isn + 1, ssn + 1, 0x18, data),
        (SERVER, c, sp, cp, ssn + 1, isn + 1 + len(data), 0x18, reply),
        (c, SERVER, cp, sp, isn + 1 + len(data), ssn + 1 + len(reply), 0x11, b""),
        (SERVER, c, sp, cp, ssn + 1 + len(reply), isn + 2 + len(data), 0x11, b""),
        (c, SERVER, cp, sp, isn + 2 + len(data), ssn + 2 + len(reply), 0x10, b""),
    ]
    out.append((t + 40, eth(ip(SERVER, c, 6, tcp(sp, cp, ssn, isn + 1, 0x12)), out=False)))
    for k, (a, b, pa, pb, seq, ack, fl, d) in enumerate(s):
        out.append((t + 80 + 40 * k, eth(ip(a, b, 6, tcp(pa, pb, seq, ack, fl, d)), out=a == c)))
    return out


def noise(t, i):
    r = rnd.random()
    if r < 0.4:  # ARP who-has
        arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, MAC_A, client(i), bytes(6), SERVER)
        return [(t, b"\xff" * 6 + MAC_A + b"\x08\x06" + arp)]
    if r < 0.8:  # UDP on some port
        c = client(i)
        return [(t, eth(ip(c, SERVER, 17, udp(4000 + i % 3000, 5000 + i % 1000, b"x" * rnd.randrange(20, 70)))))]
    # A 3000-byte UDP datagram in three fragments.
    c, ident = client(i), i & 0xFFFF
    whole = udp(6000, 7000, bytes(3000))
    frags = [whole[o:o + 1480] for o in range(0, len(whole), 1480)]
    out = []
    for k, part in enumerate(frags):
        more = 0x2000 if k < len(frags) - 1 else 0
        out.append((t + k, eth(ip(c, SERVER, 17, part, ident, more | (k * 1480 // 8)))))
    return out


def main():
    path, total = sys.argv[1], int(sys.argv[2])
    with open(path, "wb", buffering=1 << 22) as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        t, n, i = 1_764_000_000_000_000, 0, 0
        pending = []  # (time, frame), written in time order
        while n < total:
            r = rnd.random()
            gen = dns_lookup if r < 0.45 else short_tcp if r < 0.85 else noise
            pending.extend(gen(t, i))
            i += 1
            t += 97
            if len(pending) > 4096 or n + len(pending) >= total:
                pending.sort(key=lambda p: p[0])
                keep = [p for p in pending if p[0] > t]
                for ts, frame in pending:
                    if ts > t and n + len(pending) < total:
                        continue
                    if n >= total:
                        break
                    f.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(frame), len(frame)) + frame)
                    n += 1
                pending = keep if n < total else []


if __name__ == "__main__":
    main()
