#!/usr/bin/env python3
"""Rewrites real captures into file layouts that are valid but rarely written by libpcap tools:

- lo-echo-be.pcap: the Ethernet capture as a big-endian microsecond pcap;
- mixed.pcapng: two sections; the first big-endian with an Ethernet interface (µs) and a
  Linux cooked v2 interface (if_tsresol = ns) whose packets interleave by time, the second
  little-endian with one raw-IP interface (link type 101) carrying the same IP packets.

Usage: pcap-variants.py ETHERNET_US.pcap SLL2_NS.pcap OUTDIR
"""
import struct
import sys


def read_pcap(path):
    data = open(path, "rb").read()
    magic = data[:4]
    order = {b"\xd4\xc3\xb2\xa1": ("<", 1000), b"\x4d\x3c\xb2\xa1": ("<", 1),
             b"\xa1\xb2\xc3\xd4": (">", 1000), b"\xa1\xb2\x3c\x4d": (">", 1)}[magic]
    e, ns_per_unit = order
    _, _, _, _, _, snaplen, linktype = struct.unpack(e + "IHHiIII", data[:24])
    records, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        records.append((sec * 10**9 + frac * ns_per_unit, data[off + 16:off + 16 + incl], orig))
        off += 16 + incl
    return linktype, snaplen, records


def write_pcap_be(path, linktype, snaplen, records):
    with open(path, "wb") as f:
        f.write(struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        for ts, pkt, orig in records:
            f.write(struct.pack(">IIII", ts // 10**9, (ts % 10**9) // 1000, len(pkt), orig) + pkt)


def block(e, btype, body):
    pad = (-len(body)) % 4
    total = 12 + len(body) + pad
    return struct.pack(e + "II", btype, total) + body + b"\0" * pad + struct.pack(e + "I", total)


def option(e, code, value):
    return struct.pack(e + "HH", code, len(value)) + value + b"\0" * ((-len(value)) % 4)


def shb(e):
    return block(e, 0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1) + option(e, 0, b""))


def idb(e, linktype, name, tsresol=None):
    opts = option(e, 2, name.encode())
    if tsresol is not None:
        opts += option(e, 9, bytes([tsresol]))
    return block(e, 1, struct.pack(e + "HHI", linktype, 0, 262144) + opts + option(e, 0, b""))


def epb(e, iface, units, pkt, orig):
    return block(e, 6, struct.pack(e + "IIIII", iface, units >> 32, units & 0xFFFFFFFF, len(pkt), orig) + pkt)


def main():
    eth_path, sll2_path, outdir = sys.argv[1:4]
    eth_link, eth_snap, eth = read_pcap(eth_path)
    sll2_link, _, sll2 = read_pcap(sll2_path)
    assert eth_link == 1 and sll2_link == 276, (eth_link, sll2_link)
    write_pcap_be(f"{outdir}/lo-echo-be.pcap", eth_link, eth_snap, eth)

    merged = sorted([(ts, 0, p, o) for ts, p, o in eth] + [(ts, 1, p, o) for ts, p, o in sll2])
    with open(f"{outdir}/mixed.pcapng", "wb") as f:
        f.write(shb(">") + idb(">", 1, "lo") + idb(">", 276, "any", 9))
        for ts, iface, pkt, orig in merged:
            units = ts // 1000 if iface == 0 else ts
            f.write(epb(">", iface, units, pkt, orig))
        f.write(shb("<") + idb("<", 101, "raw", 9))
        for ts, pkt, orig in eth:
            f.write(epb("<", 0, ts, pkt[14:], orig - 14))


main()
