"""A DNS server and client for the fragmentation fixtures (Python 3 stdlib only).

Usage:
  python3 big_dns.py server ADDR PORT      answer queries on ADDR:PORT (IPv4 or IPv6) until killed
  python3 big_dns.py client ADDR PORT NAME TYPE ID   send one query (EDNS, 4096-byte buffer) and
                                           wait up to 1 s for its answer (or ICMP's refusal)

The server answers `big.wire` TXT with 14 strings of 200 bytes (an answer of about 2.9 KB, more
than a 1280-byte MTU: the kernel fragments it, IPv4 and IPv6), `small.wire` A with 10.13.9.9 and
every other name with NXDOMAIN. Answers are deterministic, so the fixtures are too.
"""
import socket
import struct
import sys

TXT, A, OPT = 16, 1, 41


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def question(msg):
    """The question's name bytes, type and the offset after it."""
    i = 12
    while msg[i] != 0:
        i += msg[i] + 1
    i += 1
    qtype = struct.unpack("!H", msg[i : i + 2])[0]
    return msg[12:i], qtype, i + 4


def answer(query):
    qid, flags = struct.unpack("!HH", query[:4])
    qname, qtype, end = question(query)
    records = []
    rcode = 0
    if qname == encode_name("big.wire") and qtype == TXT:
        for n in range(14):
            text = (f"chunk {n:02d} " * 40)[:200].encode()
            rdata = bytes([len(text)]) + text
            records.append(struct.pack("!HHHIH", 0xC00C, TXT, 1, 300, len(rdata)) + rdata)
    elif qname == encode_name("small.wire") and qtype == A:
        records.append(struct.pack("!HHHIH", 0xC00C, A, 1, 300, 4) + bytes([10, 13, 9, 9]))
    else:
        rcode = 3
    header = struct.pack("!HHHHHH", qid, 0x8400 | (flags & 0x0100) | rcode, 1, len(records), 0, 1)
    opt = b"\0" + struct.pack("!HHIH", OPT, 4096, 0, 0)
    return header + query[12:end] + b"".join(records) + opt


def server(addr, port):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((addr, port))
    print(f"big_dns on {addr} port {port}", flush=True)
    while True:
        query, peer = sock.recvfrom(4096)
        try:
            sock.sendto(answer(query), peer)
        except (IndexError, struct.error):
            pass


def client(addr, port, name, qtype, qid):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.settimeout(1)
    sock.connect((addr, port))
    qtype = {"A": A, "TXT": TXT}[qtype]
    header = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 1)
    opt = b"\0" + struct.pack("!HHIH", OPT, 4096, 0, 0)
    sock.send(header + encode_name(name) + struct.pack("!HH", qtype, 1) + opt)
    try:
        reply = sock.recv(8192)
        print(f"{name}: {len(reply)} bytes")
    except (socket.timeout, ConnectionRefusedError) as e:
        print(f"{name}: {e!r}")


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]))
    else:
        client(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6]))
