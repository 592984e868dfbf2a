#!/usr/bin/env bash
# Regenerates fixtures/filters/fragments.pcap, the capture the display-filter tests use for IP
# fragment fields (ip.flags.mf, ip.frag_offset, ipv6.nxt == 44): between two network
# namespaces this script creates (nothing leaves them), a UDP datagram of 2,000 bytes over IPv4
# and one over IPv6, which the 1,500-byte MTU splits in two fragments each, to a receiver (so
# no ICMP error follows). Needs root, tcpdump, python3. Usage: scripts/make-filter-fixtures.sh [OUTDIR]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../fixtures}
mkdir -p "$out/filters"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
a=lcflta$$
b=lcfltb$$

cleanup() {
    set +e
    for p in $(ip netns pids "$a" 2>/dev/null) $(ip netns pids "$b" 2>/dev/null); do kill "$p" 2>/dev/null; done
    sleep 0.2
    ip netns del "$a" 2>/dev/null
    ip netns del "$b" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$a"
ip netns add "$b"
ip link add veth0 netns "$a" type veth peer name veth0 netns "$b"
for n in "$a" "$b"; do
    ip -n "$n" link set lo up
    ip -n "$n" link set veth0 up
done
ip -n "$a" addr add 10.77.0.1/24 dev veth0
ip -n "$b" addr add 10.77.0.2/24 dev veth0
ip -n "$a" addr add fd77::1/64 dev veth0 nodad
ip -n "$b" addr add fd77::2/64 dev veth0 nodad
sleep 0.5
ip netns exec "$b" python3 -c '
import socket, threading
def serve(family, address):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((address, 9999))
    s.recv(4096)
threads = [threading.Thread(target=serve, args=a) for a in
           ((socket.AF_INET, "10.77.0.2"), (socket.AF_INET6, "fd77::2"))]
for t in threads: t.start()
for t in threads: t.join(5)
' &
sleep 0.5

ip netns exec "$a" tcpdump -i veth0 -n -s 0 -U -w "$work/fragments.pcap" \
    'udp or (ip6 and ip6[6] == 44)' >"$work/cap.log" 2>&1 &
cap=$!
for _ in $(seq 50); do
    grep -q "listening on" "$work/cap.log" 2>/dev/null && break
    sleep 0.1
done
sleep 0.3

ip netns exec "$a" python3 - <<'PY'
import socket
for family, address in ((socket.AF_INET, "10.77.0.2"), (socket.AF_INET6, "fd77::2")):
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.sendto(b"fragmented datagram " * 100, (address, 9999))
PY

sleep 0.5
kill -INT "$cap" 2>/dev/null || true
wait "$cap" 2>/dev/null || true
cp "$work/fragments.pcap" "$out/filters/fragments.pcap"
echo "wrote $out/filters/fragments.pcap"
if [ -z "${1:-}" ]; then "$here/make-golden.sh"; fi
