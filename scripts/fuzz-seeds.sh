#!/usr/bin/env bash
# Builds the fuzz targets' seed corpus (fuzz/corpus/<target>/seed-*) from the fixtures:
#   replay  every distinct capture under fixtures/ (the large one cut to 16 KiB), a gzip and a
#           zstd copy of a few, and a few cut short;
#   decode  the first frames of each link type found in the captures;
#   dns     the DNS payloads of UDP port-53 frames, and a two-message DNS-over-TCP stream;
#   filter  the filter texts of tests/bpf_agreement.rs and a few more.
# Needs python3, gzip and zstd. Rerun it after changing the fixtures; the seeds are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/corpus
rm -f "$out"/*/seed-*
mkdir -p "$out"/{replay,decode,dns,filter}

python3 - "$out" <<'PY'
import gzip, hashlib, os, struct, subprocess, sys

out = sys.argv[1]
def put(target, name, data):
    path = os.path.join(out, target, "seed-" + name)
    with open(path, "wb") as f:
        f.write(data)

# Every distinct capture, smallest first.
captures, seen = [], set()
for root, _, files in sorted(os.walk("fixtures")):
    for f in sorted(files):
        p = os.path.join(root, f)
        data = open(p, "rb").read()
        h = hashlib.sha1(data).hexdigest()
        if data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1",
                            b"\xa1\xb2\x3c\x4d", b"\x0a\x0d\x0d\x0a") or h in seen:
            continue
        seen.add(h)
        captures.append((p.replace("fixtures/", "").replace("/", "-"), data))

for name, data in captures:
    put("replay", name, data[:16384])
for name, data in captures[:3]:
    put("replay", name + ".gz", gzip.compress(data, mtime=0))
    put("replay", name + ".zst", subprocess.run(["zstd", "-q", "-c", "-3"], input=data,
                                                stdout=subprocess.PIPE, check=True).stdout)
    put("replay", name + ".cut", data[: len(data) * 2 // 3])

def frames(data):
    """(link type, frame bytes) of a pcap or pcapng capture."""
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        pos, links, e = 0, [], "<"
        while pos + 12 <= len(data):
            btype = struct.unpack_from(e + "I", data, pos)[0]
            if btype == 0x0A0D0D0A:
                e = "<" if data[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                links = []
            blen = struct.unpack_from(e + "I", data, pos + 4)[0]
            if blen < 12:
                return
            if btype == 1:
                links.append(struct.unpack_from(e + "H", data, pos + 8)[0])
            elif btype == 6:
                iface, _, _, cap, _ = struct.unpack_from(e + "IIIII", data, pos + 8)
                yield links[iface], data[pos + 28:pos + 28 + cap]
            pos += blen
    else:
        e = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        link = struct.unpack_from(e + "I", data, 20)[0]
        pos = 24
        while pos + 16 <= len(data):
            cap = struct.unpack_from(e + "I", data, pos + 8)[0]
            yield link, data[pos + 16:pos + 16 + cap]
            pos += 16 + cap

def udp_payload(link, f):
    off = {1: 14, 113: 16, 276: 20, 0: 4, 108: 4, 101: 0, 12: 0, 228: 0, 229: 0}.get(link)
    if off is None or len(f) < off + 1:
        return None
    if link == 1 and f[12:14] == b"\x81\x00":
        off += 4
    ip = f[off:]
    if ip and ip[0] >> 4 == 4 and len(ip) >= 20 and ip[9] == 17:
        u = ip[(ip[0] & 15) * 4:]
    elif ip and ip[0] >> 4 == 6 and len(ip) >= 40 and ip[6] == 17:
        u = ip[40:]
    else:
        return None
    if len(u) >= 8 and 53 in struct.unpack(">HH", u[:4]):
        return u[8:]
    return None

per_link, dns_seen = {}, set()
for name, data in captures:
    for i, (link, f) in enumerate(frames(data)):
        if per_link.setdefault(link, 0) < 12 and i % 3 == 0:
            per_link[link] += 1
            put("decode", f"{link}-{name}-{i}", f)
        p = udp_payload(link, f)
        if p and p not in dns_seen and len(dns_seen) < 40:
            dns_seen.add(p)
            put("dns", f"{name}-{i}", p)
            # The same message as a DNS-over-TCP stream: seed byte, length prefix, message.
            put("dns", f"{name}-{i}-tcp", bytes([i & 255]) + struct.pack(">H", len(p)) + p
                + struct.pack(">H", len(p)) + p)
PY

# The filter texts the BPF agreement test holds against libpcap, and some edges.
n=0
while IFS= read -r text; do
  n=$((n + 1))
  printf '%s' "$text" > "$out/filter/seed-$(printf %03d "$n")"
done < <(
  sed -n '/^const FILTERS/,/^];/p' tests/bpf_agreement.rs | sed -n 's/^    "\(.*\)",$/\1/p' | sed 's/\\"/"/g'
  cat <<'TXT'
http.request.method == "GET" and tcp.port == 80
tls.handshake.type == 1 || tls
tcp.stream == 0 or udp.stream in {0, 1}
eth.addr == 02:00:00:00:00:01 and !(ip.ttl > 10)
frame.len > 60 && not (udp or icmp)
dns.qry.name == "example.com" and dns.flags.rcode != 0
ip.addr in {172.16.16.101, 172.16.16.102} and tcp.len >= 1
tcp.port in {80 8000}
frame.time_relative in {0..1.5} and frame.number > 3
tcp.payload matches r"^(?-i)GET /\d+" or tcp.payload[-2:] == "\r\n"
dns.a in {10.0.0.1..10.0.0.9, 172.16.16.0/24} or dns.resp.name contains "its"
ip.flags.mf == 1 or ip.frag_offset > 0 or ip[6:2] & 0x3fff
((((tcp))))
TXT
)
du -sh fuzz/corpus
for t in replay decode dns filter; do echo "$t: $(ls fuzz/corpus/$t | wc -l) seeds"; done
