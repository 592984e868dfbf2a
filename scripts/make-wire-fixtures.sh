#!/usr/bin/env bash
# Regenerates fixtures/wire/: captures of what the link/network decoding must read as Wireshark
# 4.0 does — IP fragments, ICMP errors quoting the packet they refuse, tunnels and odd frames.
# Real traffic between two network namespaces (wa 10.13.0.1 / fd13::1 and wb 10.13.0.2 /
# fd13::2, a veth pair with an MTU of 1280; nothing leaves them), captured by tcpdump on wa's
# veth (Ethernet frames):
#
#   frag-dns.pcap      Python DNS server (scripts/wire/big_dns.py) on wb:53, IPv4 and IPv6;
#                      wa asks big.wire TXT (a ~2.9 KB answer the kernel fragments: 3 IPv4
#                      fragments, 3 IPv6 ones) and small.wire A, over each family.
#   icmp-unreach.pcap  wa sends DNS queries to wb port 53 over IPv4 and IPv6 with no server
#                      there: ICMP / ICMPv6 port unreachable quoting the query; and one to
#                      5353 the same way.
#   vxlan.pcap         a kernel VXLAN tunnel (VNI 42, UDP 4789) over the veth, 192.168.42.1 (wa)
#                      and .2 (wb) inside it: a DNS query and answer (small.wire) and a TCP
#                      connection to 192.168.42.2:8000 sending "hello over vxlan".
#   gre-geneve.pcap    GRE, GRE transparent Ethernet bridging, ERSPAN type II, NSH over GRE,
#                      Geneve and GRE in GRE, built by scripts/wire/tunnels.py (this kernel has
#                      no GRE/Geneve modules) and sent for real on raw/UDP sockets from wa to
#                      wb (a sink there keeps wb's kernel from answering with ICMP).
#   snaplen.pcap       tcpdump -s 80: a TCP connection to wb:8000 sending 600 bytes each way
#                      (payloads cut by the snapshot length) and a DNS exchange.
#   odd-frames.pcap    frames no kernel sends, written by scripts/wire/odd_frames.py (a Python
#                      pcap writer, not a capture): cut and invalid TCP/UDP headers, impossible
#                      IPv4/IPv6 lengths, out-of-order, duplicate and overlapping fragments,
#                      snaplen cuts inside the TCP header and inside its payload.
#
# Needs root, iproute2, tcpdump, python3.
# Usage: sudo scripts/make-wire-fixtures.sh [--no-golden]
# Idempotent: fixtures/wire/ is removed and made again; then scripts/make-golden.sh (unless an
# argument is given).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
progs=$here/wire
out=$root/fixtures/wire
python=${PYTHON:-python3}

[[ $EUID -eq 0 ]] || { echo "make-wire-fixtures: needs root" >&2; exit 2; }

wa=lcwa$$
wb=lcwb$$
work=$(mktemp -d /tmp/labcap-wire.XXXXXX)
pids=()

stop_all() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
}
cleanup() {
    stop_all
    ip netns del "$wa" 2>/dev/null || true
    ip netns del "$wb" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

in_wa() { ip netns exec "$wa" "$@"; }
in_wb() { ip netns exec "$wb" "$@"; }

# Starts a background program in a namespace.
bg() {
    ip netns exec "$@" >>"$work/bg.log" 2>&1 &
    pids+=($!)
}
# Captures on wa's veth into $1 with tcpdump options $2...; stop with stop_capture.
capture() {
    local file=$1
    shift
    ip netns exec "$wa" tcpdump -i veth-wa -U --immediate-mode -w "$file" "$@" 2>>"$work/tcpdump.log" &
    cap=$!
    sleep 0.5
}
stop_capture() {
    sleep 0.3
    kill -INT "$cap"
    wait "$cap" || true
}
wait_udp() { for _ in $(seq 50); do in_wb ss -lun | grep -q "$1" && return; sleep 0.1; done; }

rm -rf "$out"
mkdir -p "$out"

ip netns add "$wa"
ip netns add "$wb"
ip link add veth-wa netns "$wa" type veth peer name veth-wb netns "$wb"
for ns in "$wa" "$wb"; do
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0
done
in_wa ip link set veth-wa mtu 1280 up
in_wb ip link set veth-wb mtu 1280 up
in_wa ip addr add 10.13.0.1/24 dev veth-wa
in_wb ip addr add 10.13.0.2/24 dev veth-wb
in_wa ip addr add fd13::1/64 dev veth-wa nodad
in_wb ip addr add fd13::2/64 dev veth-wb nodad
for ns in "$wa" "$wb"; do
    ip netns exec "$ns" ethtool -K "veth-${ns:2:2}" tso off gso off gro off >/dev/null 2>&1 || true
done
sleep 1

# 1. Fragmented DNS answers.
bg "$wb" "$python" "$progs/big_dns.py" server 10.13.0.2 53
bg "$wb" "$python" "$progs/big_dns.py" server fd13::2 53
wait_udp '10.13.0.2:53 '
wait_udp '\[fd13::2\]:53 '
capture "$out/frag-dns.pcap" 'udp port 53 or (ip[6:2] & 0x1fff != 0) or ip6[6] == 44'
in_wa "$python" "$progs/big_dns.py" client 10.13.0.2 53 big.wire TXT 4097
in_wa "$python" "$progs/big_dns.py" client 10.13.0.2 53 small.wire A 4098
in_wa "$python" "$progs/big_dns.py" client fd13::2 53 big.wire TXT 4099
in_wa "$python" "$progs/big_dns.py" client fd13::2 53 small.wire A 4100
stop_capture
stop_all

# 2. ICMP errors quoting DNS queries (nothing listens on wb now).
capture "$out/icmp-unreach.pcap" 'icmp or icmp6[0] == 1 or udp'
in_wa "$python" "$progs/big_dns.py" client 10.13.0.2 53 small.wire A 4200
in_wa "$python" "$progs/big_dns.py" client fd13::2 53 small.wire A 4201
in_wa "$python" "$progs/big_dns.py" client 10.13.0.2 5353 small.wire A 4202
stop_capture

# 3. VXLAN.
in_wa ip link add vx42 type vxlan id 42 remote 10.13.0.2 local 10.13.0.1 dstport 4789 dev veth-wa
in_wb ip link add vx42 type vxlan id 42 remote 10.13.0.1 local 10.13.0.2 dstport 4789 dev veth-wb
in_wa ip link set vx42 up
in_wb ip link set vx42 up
in_wa ip addr add 192.168.42.1/24 dev vx42
in_wb ip addr add 192.168.42.2/24 dev vx42
bg "$wb" "$python" "$progs/big_dns.py" server 192.168.42.2 53
bg "$wb" "$python" -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.168.42.2", 8000)); s.listen(1)
c, _ = s.accept(); c.sendall(c.recv(100).upper()); c.close()
'
wait_udp '192.168.42.2:53 '
capture "$out/vxlan.pcap" 'udp port 4789'
in_wa "$python" "$progs/big_dns.py" client 192.168.42.2 53 small.wire A 4300
in_wa "$python" -c '
import socket
c = socket.create_connection(("192.168.42.2", 8000)); c.sendall(b"hello over vxlan")
print(c.recv(100)); c.close()
'
stop_capture
stop_all

# 4. GRE, ERSPAN, NSH and Geneve, built by hand.
bg "$wb" "$python" "$progs/tunnels.py" sink 10.13.0.2
sleep 0.5
capture "$out/gre-geneve.pcap" 'proto 47 or udp port 6081'
in_wa "$python" "$progs/tunnels.py" send 10.13.0.1 10.13.0.2
stop_capture
stop_all

# 5. A snaplen-cut capture.
bg "$wb" "$python" "$progs/big_dns.py" server 10.13.0.2 53
bg "$wb" "$python" -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.13.0.2", 8000)); s.listen(1)
c, _ = s.accept(); c.sendall(c.recv(1000).upper()); c.close()
'
wait_udp '10.13.0.2:53 '
capture "$out/snaplen.pcap" -s 80 'tcp port 8000 or udp port 53'
in_wa "$python" "$progs/big_dns.py" client 10.13.0.2 53 small.wire A 4500
in_wa "$python" -c '
import socket
c = socket.create_connection(("10.13.0.2", 8000)); c.sendall(b"snaplen " * 75)
got = b""
while len(got) < 600:
    d = c.recv(1000)
    if not d: break
    got += d
c.close()
'
stop_capture
stop_all

# 6. Frames no kernel sends.
"$python" "$progs/odd_frames.py" "$out/odd-frames.pcap"

for f in "$out"/*.pcap; do echo "$(basename "$f"): $(tshark -n -r "$f" 2>/dev/null | wc -l) frames"; done
if [ -z "${1:-}" ]; then "$here/make-golden.sh"; fi
