#!/usr/bin/env bash
# Regenerates fixtures/hostile/: real TCP traffic on hostile links, for the sequence-analysis
# agreement with tshark (tests/hostile_agreement.rs). Three network namespaces made here (nothing
# leaves them): a client (10.77.0.1, veth c0), a server (10.77.0.2, veth s0) and between them a
# bridge namespace whose two veth ends (b0, b1) are joined by scripts/lab/bridge.py, a seeded
# user-space bridge (AF_PACKET) that delays every frame and, when asked, drops, duplicates and
# holds back (reorders) TCP frames. Offloads are off on every veth (frames of at most the
# 1000-byte MTU, true checksums). The programs are scripts/lab/hostile.py. Captures by tcpdump,
# snaplen 128 (headers and the first payload bytes), in immediate mode (tcpdump's buffered
# mode lost the last packets when stopped).
#
#   lossy-client.pcap, lossy-server.pcap  both ends of two echo connections to port 47000
#        (40000 then 20000 bytes, written while the echo is read) across the bridge with seed
#        13: 4 ms each way, 4% of TCP frames dropped, 3% duplicated, 6% held back 4-8 ms
#        (the handshakes spared). Retransmissions (fast, spurious), out of order, lost segments,
#        dup ACKs with SACK blocks, ACKed unseen segments.
#   slow-reader.pcap    the client end of a connection to port 47001 whose server sends 12000
#        bytes to a client with a 2 KiB receive buffer that first reads nothing for 1.2 s,
#        then 700 bytes every 0.25 s (2 ms each way, no loss): window full, zero windows,
#        zero-window probes and their ACKs, window updates.
#   capture-gap.pcap    the slow reader again, captured in two parts a second apart (the first
#        stops after 24 packets; mergecap joins them): the second part acknowledges data it
#        never saw (ACKed unseen segment) and continues after a hole (previous segment not
#        captured), as a restarted capture does.
#   keepalive.pcap      a client with SO_KEEPALIVE (idle 1 s, interval 1 s) on port 47000 that
#        sends one line and stays idle 3.5 s: keep-alives and keep-alive ACKs.
#   port-reuse.pcap     two connections in a row from client port 40100 (SO_REUSEADDR: the
#        first one waits in TIME_WAIT) to port 47000: the second SYN reuses the ports.
#   mid-capture.pcap    a connection to port 47000 opened (and one line echoed) before the
#        capture starts; then two more lines, the last one sent with its FIN in one segment.
#
# Needs root, iproute2, ethtool, tcpdump, mergecap (from tshark), python3.
# Usage: sudo scripts/make-hostile-fixtures.sh [--no-golden]
#   (--no-golden: do not run scripts/make-golden.sh afterwards)
# Idempotent: fixtures/hostile/ is removed and made again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=$root/fixtures/hostile
python=${PYTHON:-python3}
prog=$here/lab/hostile.py

die() {
    echo "make-hostile-fixtures: $*" >&2
    exit 2
}

[[ $EUID -eq 0 ]] || die "needs root (network namespaces and captures): run with sudo"
for tool in ip ethtool tcpdump mergecap "$python"; do
    command -v "$tool" >/dev/null || die "needs $tool"
done

prefix=lch$$
cns=$prefix-c
bns=$prefix-b
sns=$prefix-s
work=$(mktemp -d /tmp/labcap-hostile.XXXXXX)
pids=()

cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for ns in "$cns" "$bns" "$sns"; do
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# Stops background programs with SIGINT (tcpdump then writes its file) and waits for them.
stop() {
    for pid in "$@"; do
        kill -INT "$pid" 2>/dev/null || true
    done
    for pid in "$@"; do
        wait "$pid" 2>/dev/null || true
    done
}

# The three namespaces and their veths.
for ns in "$cns" "$bns" "$sns"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
done
ip link add c0 netns "$cns" type veth peer name b0 netns "$bns"
ip link add s0 netns "$sns" type veth peer name b1 netns "$bns"
ip -n "$cns" addr add 10.77.0.1/24 dev c0
ip -n "$sns" addr add 10.77.0.2/24 dev s0
for pair in "$cns c0" "$bns b0" "$bns b1" "$sns s0"; do
    set -- $pair
    ip -n "$1" link set "$2" mtu 1000
    ip netns exec "$1" ethtool -K "$2" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
    ip -n "$1" link set "$2" up
done
ip -n "$bns" link set b0 promisc on
ip -n "$bns" link set b1 promisc on

# Runs the bridge with the given impairments until stop_bridge.
bridge_pid=
start_bridge() {
    ip netns exec "$bns" "$python" "$here/lab/bridge.py" b0 b1 "$@" 2>>"$work/bridge.log" &
    bridge_pid=$!
    pids+=("$bridge_pid")
    for _ in $(seq 50); do
        grep -q "bridge ready" "$work/bridge.log" 2>/dev/null && return
        sleep 0.1
    done
    die "the bridge did not start"
}

# Starts a capture in namespace $1 on $2 into $3, waiting until tcpdump listens.
capture() {
    local log=$work/tcpdump.$RANDOM
    ip netns exec "$1" tcpdump --immediate-mode -i "$2" -s 128 -U -w "$3" tcp 2>"$log" &
    pids+=("$!")
    for _ in $(seq 50); do
        grep -q "listening on" "$log" && return
        sleep 0.1
    done
    die "tcpdump did not start on $2"
}

server() {
    ip netns exec "$sns" "$python" "$prog" "$@" &
    pids+=("$!")
    sleep 0.3
}

client() {
    ip netns exec "$cns" "$python" "$prog" "$@"
}

rm -rf "$out"
mkdir -p "$out"

echo "== lossy link (seed 13)"
: >"$work/bridge.log"
start_bridge --seed 13 --drop 0.04 --dup 0.03 --reorder 0.06 --delay 4 --reorder-ms 8
server server 47000
capture "$cns" c0 "$out/lossy-client.pcap"
cap_c=${pids[-1]}
capture "$sns" s0 "$out/lossy-server.pcap"
cap_s=${pids[-1]}
sleep 0.5
# The SYNs are spared (retransmitted SYNs would wait a second): each connection's first
# three TCP frames each way pass, so the bridge restarts between the connections.
client echo 10.77.0.2 47000 40000
stop "$bridge_pid"
start_bridge --seed 14 --drop 0.04 --dup 0.03 --reorder 0.06 --delay 4 --reorder-ms 8
client echo 10.77.0.2 47000 20000
sleep 1
stop "$cap_c" "$cap_s" "$bridge_pid"
grep -cE ' (drop|dup|hold) ' "$work/bridge.log" | sed 's/^/   frames impaired: /'

echo "== clean link for the rest (2 ms each way)"
start_bridge --seed 1 --delay 2

echo "== slow reader"
server slow-server 47001 12000
capture "$cns" c0 "$out/slow-reader.pcap"
cap=${pids[-1]}
client slow 10.77.0.2 47001
sleep 0.5
stop "$cap"

echo "== capture with a gap"
ip netns exec "$cns" tcpdump --immediate-mode -i c0 -s 128 -U -c 24 -w "$work/gap-1.pcap" tcp \
    2>"$work/gap-1.log" &
first=$!
pids+=("$first")
for _ in $(seq 50); do
    grep -q "listening on" "$work/gap-1.log" && break
    sleep 0.1
done
client slow 10.77.0.2 47001 &
slow=$!
wait "$first"
sleep 1.2
capture "$cns" c0 "$work/gap-2.pcap"
cap=${pids[-1]}
wait "$slow"
sleep 0.5
stop "$cap"
mergecap -a -F pcap -w "$out/capture-gap.pcap" "$work/gap-1.pcap" "$work/gap-2.pcap"

echo "== keep-alive"
capture "$cns" c0 "$out/keepalive.pcap"
cap=${pids[-1]}
client keepalive 10.77.0.2 47000
sleep 0.5
stop "$cap"

echo "== port reuse"
capture "$cns" c0 "$out/port-reuse.pcap"
cap=${pids[-1]}
client reuse 10.77.0.2 47000 40100
sleep 0.5
stop "$cap"

echo "== mid-capture connection, FIN with data"
client mid 10.77.0.2 47000 "$work/ready" "$work/go" &
mid=$!
for _ in $(seq 50); do
    [[ -e $work/ready ]] && break
    sleep 0.1
done
capture "$cns" c0 "$out/mid-capture.pcap"
cap=${pids[-1]}
touch "$work/go"
wait "$mid"
sleep 0.5
stop "$cap" "$bridge_pid"

ls -l "$out"
du -sh "$out"
if [ -z "${1:-}" ]; then "$here/make-golden.sh"; fi
