"""Writes a pcap of frames no kernel sends, which tshark and labcap must read alike (Python 3
stdlib; the frames are made here, not captured).

Usage: python3 odd_frames.py OUT.pcap

Ethernet frames between 02:00:00:00:00:01 10.13.0.1 / fd13::1 and 02:00:00:00:00:02 10.13.0.2 /
fd13::2, one a millisecond:
   1. a well-formed DNS query (UDP 40000 > 53), for reference
   2. IPv4 carrying TCP whose header is cut by the IP total length (10 of 20 bytes)
   3. TCP with a data offset of 4 (a 16-byte header, invalid)
   4. UDP with a length field of 4 (less than its header)
   5. UDP with a length field of 200 in a 40-byte IP payload
   6. IPv4 with a total length of 1000 in a 75-byte frame, carrying a DNS query
   7. IPv4 with a total length of 10 (less than its header), carrying a DNS query
   8. IPv6 with a payload length of 900 in a short frame, carrying a DNS query
   9. IPv4 with a header length of 16 bytes (IHL 4)
  10-13. a DNS response (UDP 53 > 40010, 3 TXT strings of 200 bytes) in IPv4 fragments of 256
      bytes, sent out of order (2, 1, 3) and the first fragment sent again after the datagram
      was complete
  14-17. the same response over IPv6 (fragment header), fragments 3, 1, 2, then 2 again
  18-19. two IPv4 fragments of one datagram that overlap with different bytes, and no end
  20. a TCP segment on port 8000 cut by the snapshot length inside its TCP header
      (captured 44 bytes of 74)
  21. a TCP segment on port 8000 cut inside its payload (captured 80 of 134)
"""
import struct
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from tunnels import checksum, ipv4, ipv6, udp, dns_query  # noqa: E402

A4, B4 = "10.13.0.1", "10.13.0.2"
A6, B6 = "fd13::1", "fd13::2"


def eth(payload, ether_type=0x0800):
    return bytes.fromhex("020000000002020000000001") + struct.pack("!H", ether_type) + payload


def v4(payload, proto=17, ident=1, total=None, ihl=5, frag=0x4000, src=A4, dst=B4):
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x40 | ihl, 0, total if total is not None else 20 + len(payload), ident,
        frag, 64, proto, 0, bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))),
    )
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def tcp(sport, dport, payload=b"", offset=5, flags=0x18):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 1, offset << 4, flags, 512, 0, 0) + payload


def dns_response(qid):
    name = b"\x03big\x04wire\x00"
    out = struct.pack("!HHHHHH", qid, 0x8180, 1, 3, 0, 0) + name + struct.pack("!HH", 16, 1)
    for n in range(3):
        text = (f"part {n} " * 40)[:200].encode()
        out += struct.pack("!HHHIH", 0xC00C, 16, 1, 60, len(text) + 1) + bytes([len(text)]) + text
    return out


def fragments(datagram, size):
    """(offset, more, bytes) of the IP payload `datagram` cut every `size` bytes."""
    out = []
    for start in range(0, len(datagram), size):
        piece = datagram[start : start + size]
        more = start + size < len(datagram)
        out.append((start, more, piece))
    return out


def main(path):
    frames = []  # (bytes, original length)
    query = udp(A4, B4, 40000, 53, dns_query(0x2001))
    frames.append(eth(v4(query)))
    frames.append(eth(v4(tcp(40001, 8000)[:10], proto=6)))
    frames.append(eth(v4(tcp(40002, 8000, offset=4), proto=6)))
    bad = bytearray(udp(A4, B4, 40003, 53, dns_query(0x2003)))
    bad[4:6] = struct.pack("!H", 4)
    frames.append(eth(v4(bytes(bad))))
    bad[4:6] = struct.pack("!H", 200)
    frames.append(eth(v4(bytes(bad))))
    frames.append(eth(v4(udp(A4, B4, 40005, 53, dns_query(0x2005)), total=1000)))
    frames.append(eth(v4(udp(A4, B4, 40006, 53, dns_query(0x2006)), total=10)))
    frames.append(eth(ipv6(A6, B6, 17, udp(A6, B6, 40007, 53, dns_query(0x2007)))[:4] + struct.pack("!H", 900)
                      + ipv6(A6, B6, 17, udp(A6, B6, 40007, 53, dns_query(0x2007)))[6:], 0x86DD))
    frames.append(eth(v4(udp(A4, B4, 40008, 53, dns_query(0x2008)), ihl=4)))
    # IPv4 fragments: 2, 1, 3, then 1 again.
    response = udp(B4, A4, 53, 40010, dns_response(0x2010))
    pieces = fragments(response, 256)
    order = [1, 0, 2, 0]
    for i in order:
        off, more, piece = pieces[i]
        frames.append(eth(v4(piece, ident=0x77, frag=(0x2000 if more else 0) | (off // 8), src=B4, dst=A4)))
    # IPv6 fragments: 3, 1, 2, then 2 again.
    response6 = udp(B6, A6, 53, 40011, dns_response(0x2011))
    pieces6 = fragments(response6, 256)
    for i in [2, 0, 1, 1]:
        off, more, piece = pieces6[i]
        frag = struct.pack("!BBHI", 17, 0, off | int(more), 0x66)
        frames.append(eth(ipv6(B6, A6, 44, frag + piece), 0x86DD))
    # Overlapping IPv4 fragments with different bytes, never completed.
    frames.append(eth(v4(b"A" * 64, ident=0x55, frag=0x2000)))
    frames.append(eth(v4(b"B" * 64, ident=0x55, frag=0x2000 | 4)))
    # Snaplen cuts.
    whole = eth(v4(tcp(40020, 8000), proto=6))
    frames.append((whole[:44], len(whole)))
    whole = eth(v4(tcp(40021, 8000, b"x" * 60), proto=6))
    frames.append((whole[:80], len(whole)))

    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for n, frame in enumerate(frames):
            data, orig = frame if isinstance(frame, tuple) else (frame, len(frame))
            f.write(struct.pack("<IIII", 1764000000, n * 1000, len(data), orig) + data)


if __name__ == "__main__":
    main(sys.argv[1])
