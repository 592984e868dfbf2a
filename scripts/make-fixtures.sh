#!/usr/bin/env bash
# Regenerates the small real captures in fixtures/ that the tests hold against tshark.
# Every packet is real traffic between processes in network namespaces this script creates
# (nothing leaves them), captured with tcpdump and dumpcap. Needs root, tcpdump, dumpcap,
# dnsmasq, dig, nft, python3. Usage: scripts/make-fixtures.sh [OUTDIR]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../fixtures}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
lab=$here/lab
ns=lcfx$$
nsb=lcfxb$$

cleanup() {
    set +e
    for p in $(ip netns pids "$ns" 2>/dev/null) $(ip netns pids "$nsb" 2>/dev/null); do kill "$p" 2>/dev/null; done
    sleep 0.2
    ip netns del "$ns" 2>/dev/null
    ip netns del "$nsb" 2>/dev/null
    rm -rf "/etc/netns/$ns" "$work"
}
trap cleanup EXIT

in_ns() { ip netns exec "$ns" "$@"; }
in_nsb() { ip netns exec "$nsb" "$@"; }

# Starts a capture in the background and waits until it is armed.
capture() { # ns, outfile, tool args...
    local where=$1 file=$2; shift 2
    ip netns exec "$where" "$@" -w "$file" >"$work/cap.log" 2>&1 &
    cap_pid=$!
    for _ in $(seq 50); do
        grep -qiE "listening on|capturing on" "$work/cap.log" 2>/dev/null && break
        sleep 0.1
    done
    sleep 0.3
}
stop_capture() {
    sleep 0.5
    kill -INT "$cap_pid" 2>/dev/null || true
    wait "$cap_pid" 2>/dev/null || true
}
wait_port() { # ns, port
    for _ in $(seq 50); do
        ip netns exec "$1" ss -ltn | grep -q ":$2 " && return 0
        sleep 0.1
    done
    echo "server on port $2 did not start" >&2
    return 1
}
python_server() { # ns, port, bind
    ip netns exec "$1" python3 "$lab/server.py" "$2" "$3" >"$work/server-$2.log" 2>&1 &
    wait_port "$1" "$2"
}

ip netns add "$ns"
in_ns ip link set lo up
in_ns ip addr add ::1/128 dev lo 2>/dev/null || true

# 97-byte text file: echoed back as PSH,ACK of 32, 32, 32, 1 (lab task 3).
printf 'Baris pertama file teks untuk tugas tiga.\nBaris kedua, dikirim dengan sendall().\nSelesai.\n123456\n' >"$work/file97.txt"
test "$(wc -c <"$work/file97.txt")" -eq 97

# 1. lo, Ethernet link type, µs pcap: refused connection, then the lab's echo (task 2).
capture "$ns" "$out/lo-echo.pcap" tcpdump --immediate-mode -i lo -U 'tcp port 10000'
in_ns timeout 20 python3 "$lab/client.py" 127.0.0.1 10000 >/dev/null 2>&1 || true
python_server "$ns" 10000 0.0.0.0
in_ns timeout 20 python3 "$lab/client.py" 127.0.0.1 10000 >/dev/null 2>&1
stop_capture

# 2. any, Linux cooked v1, pcapng (dumpcap): a 97-byte file on 32444 (task 3), IPv6 echo,
#    and a UDP datagram that is not DNS.
python_server "$ns" 32444 0.0.0.0
capture "$ns" "$out/any-sll.pcapng" dumpcap -q -i any -f 'tcp port 32444 or tcp port 10006 or udp port 9999'
in_ns timeout 20 python3 "$lab/client.py" 127.0.0.1 32444 "$work/file97.txt" >/dev/null 2>&1
in_ns timeout 20 python3 - <<'EOF'
import socket, threading
srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("::1", 10006)); srv.listen(1)
def serve():
    c, _ = srv.accept()
    while True:
        d = c.recv(32)
        if not d: break
        c.sendall(d)
    c.close()
t = threading.Thread(target=serve); t.start()
cl = socket.create_connection(("::1", 10006))
msg = b"IPv6 echo\x00\x1b[31m control bytes\n"
cl.sendall(msg)
got = b""
while len(got) < len(msg):
    got += cl.recv(16)
cl.close(); t.join()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"not dns", ("127.0.0.1", 9999))
EOF
stop_capture

# 2b. Task 4: two clients at once on 32434 against the lab's one-at-a-time server; the kernel
#     completes the second handshake while the first connection is served.
python_server "$ns" 32434 0.0.0.0
capture "$ns" "$out/concurrent.pcapng" dumpcap -q -i any -f 'tcp port 32434'
# mesin2's role: the 97-byte file in pieces; mesin3's: the lab message, while mesin2 is served.
in_ns timeout 20 python3 "$lab/slow_client.py" 127.0.0.1 32434 "$work/file97.txt" &
first=$!
sleep 0.15
in_ns timeout 20 python3 "$lab/client.py" 127.0.0.1 32434 >/dev/null 2>&1
wait "$first"
stop_capture

# 3. any, Linux cooked v2, nanosecond pcap (tcpdump): the lab message on 10000 again.
# (no capture filter: libpcap 1.10.3 drops every SLL2 packet a filter matches; the namespace is quiet)
capture "$ns" "$out/any-sll2-ns.pcap" tcpdump --immediate-mode -i any -y LINUX_SLL2 --time-stamp-precision=nano -U
in_ns timeout 20 python3 "$lab/client.py" 127.0.0.1 10000 >/dev/null 2>&1
stop_capture

# 4. DNS (task 1): dnsmasq at 127.0.0.11 as Docker's resolver, the namespace's resolv.conf
#    pointing there; getaddrinfo (A+AAAA), gethostbyname (A), the typo (NXDOMAIN), dig: a
#    CNAME, a name dnsmasq has no server for (REFUSED), an HTTPS query, DNS over TCP, and a
#    query to an address nobody serves, sent twice with the same id (a retry).
mkdir -p "/etc/netns/$ns"
echo "nameserver 127.0.0.11" >"/etc/netns/$ns/resolv.conf"
in_ns ip addr add 127.0.0.11/8 dev lo 2>/dev/null || true
in_ns dnsmasq --no-daemon --no-resolv --no-hosts --listen-address=127.0.0.11 --bind-interfaces \
    --host-record=www.espnfc.com,192.0.2.10 \
    --host-record=www.its.ac.id,203.0.113.5,2001:db8::5 --cname=alias.its.ac.id,www.its.ac.id \
    --address=/cosm/ --pid-file= --user=root >"$work/dnsmasq.log" 2>&1 &
for _ in $(seq 50); do in_ns ss -lun | grep -q '127.0.0.11:53 ' && break; sleep 0.1; done
capture "$ns" "$out/dns.pcapng" dumpcap -q -i any -f 'port 53'
in_ns timeout 20 python3 - <<'EOF' || true
import socket
for host in ["www.espnfc.cosm", "www.espnfc.com"]:
    try:
        print(host, socket.gethostbyname(host))
    except Exception as e:
        print("ERROR :", e)
try:
    print(sorted({a[4][0] for a in socket.getaddrinfo("www.its.ac.id", None)}))
except Exception as e:
    print("ERROR :", e)
EOF
in_ns dig +short +tries=1 +time=2 @127.0.0.11 www.its.ac.id AAAA >/dev/null || true
in_ns dig +short +tries=1 +time=2 @127.0.0.11 alias.its.ac.id >/dev/null || true
in_ns dig +short +tries=1 +time=2 @127.0.0.11 other.example >/dev/null || true
in_ns dig +short +tries=1 +time=2 @127.0.0.11 www.espnfc.com HTTPS >/dev/null || true
in_ns dig +short +tcp +tries=1 +time=2 @127.0.0.11 www.espnfc.com >/dev/null || true
in_ns dig +short +tries=2 +time=1 @127.0.0.12 unanswered.example >/dev/null 2>&1 || true
stop_capture

# 5. Two hosts over a veth pair (Ethernet frames), and a lossy link: the
#    client side drops 15% of what it receives, so the server retransmits for real.
ip netns add "$nsb"
ip link add "v$ns" netns "$ns" type veth peer name "v$nsb" netns "$nsb"
in_ns ip link set "v$ns" up
in_nsb ip link set "v$nsb" up
in_nsb ip link set lo up
in_ns ip addr add 172.16.16.102/24 dev "v$ns"
in_nsb ip addr add 172.16.16.101/24 dev "v$nsb"
in_nsb ethtool -K "v$nsb" tso off gso off gro off >/dev/null 2>&1 || true
in_ns ethtool -K "v$ns" tso off gso off gro off >/dev/null 2>&1 || true
python_server "$nsb" 10000 0.0.0.0
capture "$ns" "$out/veth-echo.pcap" tcpdump --immediate-mode -i "v$ns" -U 'tcp port 10000'
in_ns timeout 20 python3 "$lab/client.py" 172.16.16.101 10000 >/dev/null 2>&1
stop_capture

head -c 30000 /dev/zero | tr '\0' 'x' >"$work/file30k.txt"
python_server "$nsb" 32444 0.0.0.0
in_ns nft -f - <<'EOF'
table inet lossy {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp sport 32444 meta length > 100 numgen random mod 100 < 15 drop
    }
}
EOF
in_ns ip link set "v$ns" mtu 600
in_nsb ip link set "v$nsb" mtu 600
# Random drops can stall a transfer past the capture: retry until both FINs are in the file.
for attempt in 1 2 3 4 5; do
    capture "$ns" "$out/lossy.pcap" tcpdump --immediate-mode -i "v$ns" -U 'tcp port 32444'
    in_ns timeout 20 python3 "$lab/client.py" 172.16.16.101 32444 "$work/file30k.txt" >/dev/null 2>&1 || true
    sleep 1
    stop_capture
    fins=$(tshark -n -r "$out/lossy.pcap" -Y 'tcp.flags.fin==1 && !tcp.analysis.retransmission' 2>/dev/null | wc -l)
    retrans=$(tshark -n -r "$out/lossy.pcap" -Y 'tcp.analysis.retransmission' 2>/dev/null | wc -l)
    [ "$fins" -ge 2 ] && [ "$retrans" -ge 1 ] && break
    echo "lossy capture attempt $attempt incomplete (FINs $fins, retransmissions $retrans); again" >&2
done

# 6. Layouts tshark reads but libpcap tools rarely write: big-endian µs pcap, a pcapng with
#    two sections and mixed link types, nanosecond if_tsresol and big-endian blocks.
python3 "$here/pcap-variants.py" "$out/lo-echo.pcap" "$out/any-sll2-ns.pcap" "$out"

# 7. The whole assignment on three namespaces, captured by labcap itself.
"$here/make-lab-fixtures.sh" "$out" >"$work/lab.log" || { cat "$work/lab.log"; exit 1; }

# 7b. Those echo connections with their SYNs cut inside the TCP options by a short snaplen.
"$here/make-snaplen-fixture.sh" "$out"

# 8. A made-up class of six submissions of it (fixtures/class/), for `labcap grade`.
LABCAP_BIN=${LABCAP_BIN:-$here/../target/release/labcap} "$here/make-class-fixtures.sh" >"$work/class.log" || { cat "$work/class.log"; exit 1; }

# 9. The course's other modules (time server, file server, UDP, HTTP, TLS) in fixtures/course/.
LABCAP_BIN=${LABCAP_BIN:-$here/../target/release/labcap} "$here/make-course-fixtures.sh" >"$work/course.log" || { cat "$work/course.log"; exit 1; }

chown -R --reference="$here" "$out" 2>/dev/null || true
du -sh "$out"
# The saved tshark answers the agreement tests read are stale now: ask tshark again.
if [ -z "${1:-}" ]; then "$here/make-golden.sh"; fi
