"""Tunnelled packets the kernel here cannot make (no GRE, ERSPAN or Geneve modules), built by
hand and sent for real between two namespaces (Python 3 stdlib only).

Usage:
  python3 tunnels.py send SRC DST    send the packets below from SRC to DST (IPv4 addresses)
  python3 tunnels.py sink ADDR       hold a raw GRE socket and UDP 6081 open on ADDR, so the
                                     receiving kernel takes the packets quietly (no ICMP
                                     protocol/port unreachable) until killed

The outer IPv4 header is the kernel's (a raw IPPROTO_GRE socket; a UDP socket for Geneve); the
rest is built here, checksums included:
  1. GRE (0x0800) carrying IPv4 10.99.0.1:40001 > 10.99.0.2:53, a DNS query for small.wire A
  2. GRE (0x86dd) carrying IPv6 fd99::1:40002 > fd99::2:53, the same query
  3. GRE transparent Ethernet bridging (0x6558): Ethernet, IPv4 10.99.1.1:40003 > 10.99.1.2:80 TCP SYN
  4. ERSPAN type II (GRE 0x88be, sequence number): Ethernet, IPv4 UDP 10.99.2.1:40004 > 10.99.2.2:53 DNS query
  5. NSH (GRE 0x894f, MD type 2, next protocol IPv4): IPv4 UDP 10.99.3.1:40005 > 10.99.3.2:53 DNS query
  6. Geneve (UDP 6081, protocol 0x6558, VNI 77): Ethernet, IPv4 10.99.4.1:40006 > 10.99.4.2:53 DNS query
  7. Geneve carrying TCP: Ethernet, IPv4 10.99.4.1:40007 > 10.99.4.2:8000 TCP SYN
  8. GRE carrying GRE carrying IPv4 UDP 10.99.5.1:40008 > 10.99.5.2:53 (nesting)
"""
import socket
import struct
import sys
import time

GRE = 47


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident):
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0,
        socket.inet_aton(src), socket.inet_aton(dst),
    )
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ipv6(src, dst, proto, payload):
    return struct.pack(
        "!IHBB16s16s", 0x60000000, len(payload), proto, 64,
        socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst),
    ) + payload


def pseudo(src, dst, proto, length):
    if ":" in src:
        a = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
        return a + struct.pack("!IxxxB", length, proto)
    return socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!xBH", proto, length)


def udp(src, dst, sport, dport, payload):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = checksum(pseudo(src, dst, 17, len(seg)) + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def tcp_syn(src, dst, sport, dport):
    seg = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, 0x02, 64240, 0, 0)
    c = checksum(pseudo(src, dst, 6, len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def dns_query(qid):
    name = b"\x05small\x04wire\x00"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + name + struct.pack("!HH", 1, 1)


def ethernet(payload, ether_type=0x0800):
    return bytes.fromhex("020000000002") + bytes.fromhex("020000000001") + struct.pack("!H", ether_type) + payload


def gre(proto, payload, seq=None):
    if seq is None:
        return struct.pack("!HH", 0, proto) + payload
    return struct.pack("!HHI", 0x1000, proto, seq) + payload


def v4_udp(src, dst, sport, dport, payload, ident):
    return ipv4(src, dst, 17, udp(src, dst, sport, dport, payload), ident)


def packets():
    """(kind, bytes): kind 'gre' is a GRE packet for the raw socket, 'geneve' a UDP payload."""
    yield "gre", gre(0x0800, v4_udp("10.99.0.1", "10.99.0.2", 40001, 53, dns_query(0x1001), 1))
    yield "gre", gre(0x86DD, ipv6("fd99::1", "fd99::2", 17, udp("fd99::1", "fd99::2", 40002, 53, dns_query(0x1002))))
    yield "gre", gre(0x6558, ethernet(ipv4("10.99.1.1", "10.99.1.2", 6, tcp_syn("10.99.1.1", "10.99.1.2", 40003, 80), 3)))
    erspan = struct.pack("!HHI", 0x1000 | 10, 0x0000 | 5, 0)  # version 1 (type II), VLAN 10, session 5
    inner = ethernet(v4_udp("10.99.2.1", "10.99.2.2", 40004, 53, dns_query(0x1004), 4))
    yield "gre", gre(0x88BE, erspan + inner, seq=1)
    # NSH: version 0, TTL 63, length 2 words (no metadata), MD type 2, next protocol 1 (IPv4);
    # service path 42, service index 255.
    nsh = struct.pack("!HBB", (63 << 6) | 2, 0x02, 0x01) + struct.pack("!I", (42 << 8) | 255)
    yield "gre", gre(0x894F, nsh + v4_udp("10.99.3.1", "10.99.3.2", 40005, 53, dns_query(0x1005), 5))
    geneve = struct.pack("!BBHI", 0, 0, 0x6558, 77 << 8)
    yield "geneve", geneve + ethernet(v4_udp("10.99.4.1", "10.99.4.2", 40006, 53, dns_query(0x1006), 6))
    yield "geneve", geneve + ethernet(ipv4("10.99.4.1", "10.99.4.2", 6, tcp_syn("10.99.4.1", "10.99.4.2", 40007, 8000), 7))
    inner = ipv4("10.13.0.1", "10.13.0.2", GRE, gre(0x0800, v4_udp("10.99.5.1", "10.99.5.2", 40008, 53, dns_query(0x1008), 8)), 9)
    yield "gre", gre(0x0800, inner)


def send(src, dst):
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, GRE)
    raw.bind((src, 0))
    gen = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    gen.bind((src, 46081))
    for kind, data in packets():
        if kind == "gre":
            raw.sendto(data, (dst, 0))
        else:
            gen.sendto(data, (dst, 6081))
        time.sleep(0.05)


def sink(addr):
    held = [socket.socket(socket.AF_INET, socket.SOCK_RAW, GRE)]
    held.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    held[1].bind((addr, 6081))
    print("sink ready", flush=True)
    while held:
        time.sleep(1)


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(sys.argv[2], sys.argv[3])
    else:
        sink(sys.argv[2])
