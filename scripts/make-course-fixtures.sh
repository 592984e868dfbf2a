#!/usr/bin/env bash
# Regenerates fixtures/course/: captures of the course's later modules (COURSE.md), each made for
# real: labcap rebuilds the lab's three machines as network namespaces (`labcap lab up`; nothing
# leaves them, no traffic to any address outside them), small versions of the course's programs
# (scripts/course/*.py, Python 3 stdlib) are played in them, and mesin1 captures on `any`
# (`labcap tcp --iface any -Y FILTER -w`, Linux cooked v1 frames) into <module>/mesin1.pcapng.
#
#   time/        module 3: the threaded time server on mesin1:45000 (time_server.py); clients on
#                mesin2 and mesin3 at once (overlapping connections), each sends TIME\r\n three
#                times 0.1 s apart (answer JAM hh:mm:ss\r\n), then QUIT\r\n: the server closes
#                (FIN) without answering, the client closes too. Filter tcp.port==45000.
#   time-wrong/  the same played with a wrong server (time_server.py --wrong): it answers
#                JAM hh:mm\r\n (no seconds) and ignores QUIT; the clients close after 0.3 s, then
#                the server closes.
#   fileserver/  module 4: the file server on mesin1:6666 (file_server.py), one connection per
#                command, requests ending in \r\n, JSON replies ending in \r\n\r\n. mesin2
#                (file_client.py) sends: LIST; GET donalbebek.txt; UPLOAD upload.bin <base64>;
#                LIST; DELETE upload.bin; GET missing.txt (status ERROR). Filter tcp.port==6666.
#                  donalbebek.txt: 97 bytes, sha256
#                    8f1f6c96c09a7c1fb3b0c6b74149c36b1dc5ef458494ec088c3d995785d55e35
#                  upload.bin: 2000 bytes, byte i = (31*i + 7) mod 256, sha256
#                    e0f38f73dfc5ecb45e2eeafad1d949d1af3ca858ae9dfba89da8d85afa6d1c15
#                    (its base64: 2668 characters)
#   udp/         module 2: the UDP server on mesin1:5005 (udp_server.py); mesin2 and mesin3 at
#                once each send " ini angka N " (N = 1..5) every 0.2 s (udp_client.py); then
#                mesin2 sends 3 broadcasts " ini broadcast N " to 255.255.255.255:5005 with
#                SO_BROADCAST (udp_broadcast.py, its socket bound to 172.16.16.102: the
#                namespaces have no default route). Filter udp.port==5005.
#   http/        module 5: the HTTP server on mesin1:8885 (http_server.py); mesin2
#                (http_client.py) makes four HTTP/1.0 requests, one connection each, answered
#                with Connection: close: GET / 200 text/html; GET /video 302 Location
#                https://youtu.be/katoxpnTf04; GET /donalbebek.txt 200 text/plain
#                Content-Length 97 (the file above); GET /missing 404. Then one keep-alive
#                connection with two pipelined HTTP/1.1 requests (GET /, GET /donalbebek.txt
#                with Connection: close), answered in order. Filter tcp.port==8885 (Wireshark
#                needs `-d tcp.port==8885,http` to decode it as HTTP).
#   tls/         modules 1a, 5 (HTTPS on 8443) and 8: the TLS server on mesin1:8443 (tls_server.py,
#                Python's ssl) with a self-signed RSA 2048 certificate made at run time by openssl
#                (CN=mesin1, subjectAltName DNS:mesin1, DNS:localhost, IP:172.16.16.101-103; kept
#                in the temporary directory, not committed). mesin2 (tls_client.py, verifying the
#                certificate as its own CA) makes two connections, each sending versi\r\n\r\n
#                (answer {"versi": "1.0"}\r\n\r\n, encrypted) and closing cleanly (close_notify
#                both ways, then FIN): 1. TLS 1.2 (the client's maximum), cipher
#                ECDHE-RSA-AES128-GCM-SHA256, SNI mesin1, ALPN http/1.1 chosen by the server, the
#                Certificate message in clear; 2. TLS 1.3, SNI localhost, ALPN http/1.1 (the
#                certificate and the server's ALPN are encrypted). Filter tcp.port==8443.
#
# Needs root, iproute2, dnsmasq (for `labcap lab up`), python3, openssl.
# Usage: sudo scripts/make-course-fixtures.sh
#   LABCAP_BIN=/path/to/labcap  use that binary instead of `cargo build --release` here.
# Idempotent: fixtures/course/ is removed and made again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
progs=$here/course
out=$root/fixtures/course
python=${PYTHON:-python3}

die() {
    echo "make-course-fixtures: $*" >&2
    exit 2
}

[[ $EUID -eq 0 ]] || die "needs root (network namespaces and captures): run with sudo"
command -v openssl >/dev/null || die "needs openssl (the TLS capture's certificate)"
if [[ -n ${LABCAP_BIN:-} ]]; then
    bin=$(realpath "$LABCAP_BIN")
    [[ -x $bin ]] || die "LABCAP_BIN=$LABCAP_BIN is not an executable"
else
    (cd "$root" && cargo build --release --quiet)
    bin=$root/target/release/labcap
fi

prefix=lcco$$-
work=$(mktemp -d /tmp/labcap-course.XXXXXX)
servers=()
captures=()
clients=()

# Stops background programs with SIGINT (captures then write their files) and waits for them.
stop_pids() {
    local pid
    for pid in "$@"; do kill -INT "$pid" 2>/dev/null || true; done
    for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}

cleanup() {
    stop_pids "${clients[@]}" "${servers[@]}" "${captures[@]}"
    "$bin" lab --prefix "$prefix" down >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# on MACHINE CMD...: runs CMD in that machine's namespace. (Background programs are started with
# `ip netns exec` directly, so that $! is the program itself and a SIGINT reaches it.)
on() {
    local machine=$1
    shift
    ip netns exec "$prefix$machine" "$@"
}

# The files: the server's donalbebek.txt (file server and HTTP server), the client's upload.bin.
files=$work/files
client=$work/client
mkdir -p "$files" "$client"
printf '%s' $'Donal Bebek tinggal di Kota Bebek\nbersama keponakannya: Kwik, Kwek, dan Kwak.\nPamannya si Gober.\n' \
    >"$files/donalbebek.txt"
"$python" -c 'import sys; sys.stdout.buffer.write(bytes((i * 31 + 7) % 256 for i in range(2000)))' \
    >"$client/upload.bin"
check_file() {
    local file=$1 size=$2 sum=$3
    [[ $(stat -c %s "$file") -eq $size ]] || die "$file is not $size bytes"
    [[ $(sha256sum <"$file" | cut -d' ' -f1) == "$sum" ]] || die "$file has not the sha256 $sum"
}
check_file "$files/donalbebek.txt" 97 8f1f6c96c09a7c1fb3b0c6b74149c36b1dc5ef458494ec088c3d995785d55e35
check_file "$client/upload.bin" 2000 e0f38f73dfc5ecb45e2eeafad1d949d1af3ca858ae9dfba89da8d85afa6d1c15

# start_capture FILE FILTER: captures on `any` of mesin1 into FILE; returns once armed.
start_capture() {
    local file=$1 filter=$2 log=$work/capture.log i
    ip netns exec "${prefix}mesin1" "$bin" tcp --iface any -Y "$filter" --summary -w "$file" \
        >/dev/null 2>"$log" &
    local pid=$!
    captures+=("$pid")
    for ((i = 0; i < 200; i++)); do
        grep -q "capturing on" "$log" && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    cat "$log" >&2
    die "the capture on mesin1 did not start"
}

# start_server tcp|udp PORT PROGRAM ARGS...: runs scripts/course/PROGRAM on mesin1; returns
# once it listens on PORT.
start_server() {
    local proto=$1 port=$2 program=$3 log=$work/server-$2.log i
    shift 3
    ip netns exec "${prefix}mesin1" "$python" "$progs/$program" "$@" >"$log" 2>&1 &
    local pid=$!
    servers+=("$pid")
    local ss_opt=-ltnH
    [[ $proto == udp ]] && ss_opt=-lunH
    for ((i = 0; i < 100; i++)); do
        on mesin1 ss "$ss_opt" "sport = :$port" | grep -q . && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    cat "$log" >&2
    die "$program on mesin1 port $port did not start"
}

# finish DIR: the last ACKs, then the servers and the capture stop and mesin1.pcapng is written.
finish() {
    local dir=$1
    sleep 0.3
    stop_pids "${servers[@]}"
    servers=()
    stop_pids "${captures[@]}"
    captures=()
    [[ -s $dir/mesin1.pcapng ]] || die "$dir/mesin1.pcapng was not written"
}

# client WANT NAME MACHINE PROGRAM ARGS...: runs scripts/course/PROGRAM on MACHINE in the
# background (its output in $work/NAME.log); `wait_clients` then checks each exit against WANT
# (an exit code, or `fail` for anything but 0).
client_names=()
client_wants=()
client() {
    local want=$1 name=$2 machine=$3 program=$4
    shift 4
    ip netns exec "$prefix$machine" "$python" "$progs/$program" "$@" >"$work/$name.log" 2>&1 &
    clients+=("$!")
    client_names+=("$name")
    client_wants+=("$want")
}
wait_clients() {
    local i rc
    for i in "${!clients[@]}"; do
        rc=0
        wait "${clients[$i]}" || rc=$?
        local name=${client_names[$i]} want=${client_wants[$i]}
        printf '  %s (exit %d):\n' "$name" "$rc"
        sed 's/^/    /' "$work/$name.log"
        if [[ $want == fail ]]; then
            ((rc != 0)) || die "$name: expected a failure, got exit 0"
        elif ((rc != want)); then
            die "$name: expected exit $want, got $rc"
        fi
    done
    clients=()
    client_names=()
    client_wants=()
}

# time DIR [--wrong]: module 3, clients on mesin2 and mesin3 at once.
play_time() {
    local dir=$1 wrong=${2:-} want=0
    [[ -n $wrong ]] && want=fail
    mkdir -p "$dir"
    start_capture "$dir/mesin1.pcapng" 'tcp.port==45000'
    start_server tcp 45000 time_server.py 45000 $wrong
    client "$want" time-mesin2 mesin2 time_client.py 172.16.16.101 45000 --count 3 --interval 0.1 --linger 0.3
    client "$want" time-mesin3 mesin3 time_client.py 172.16.16.101 45000 --count 3 --interval 0.1 --linger 0.3
    wait_clients
    finish "$dir"
}

rm -rf "$out"
mkdir -p "$out"
"$bin" lab --prefix "$prefix" up >/dev/null

echo "== time: the threaded time server, clients on mesin2 and mesin3 at once"
play_time "$out/time"

echo "== time-wrong: JAM hh:mm, QUIT ignored"
play_time "$out/time-wrong" --wrong

echo "== fileserver: LIST, GET, UPLOAD, LIST, DELETE, GET of a missing file"
mkdir -p "$out/fileserver"
start_capture "$out/fileserver/mesin1.pcapng" 'tcp.port==6666'
start_server tcp 6666 file_server.py "$files" 6666
client 0 fileserver-mesin2 mesin2 file_client.py 172.16.16.101 6666 "$client" \
    "LIST" "GET donalbebek.txt" "UPLOAD upload.bin" "LIST" "DELETE upload.bin" "!GET missing.txt"
wait_clients
cmp -s "$files/donalbebek.txt" "$client/donalbebek.txt" || die "the file GET brought differs"
[[ ! -e $files/upload.bin ]] || die "upload.bin was not deleted on the server"
finish "$out/fileserver"

echo "== udp: \" ini angka N \" from mesin2 and mesin3 at once, then broadcasts from mesin2"
mkdir -p "$out/udp"
start_capture "$out/udp/mesin1.pcapng" 'udp.port==5005'
start_server udp 5005 udp_server.py 5005
client 0 udp-mesin2 mesin2 udp_client.py 172.16.16.101 5005 5 0.2
client 0 udp-mesin3 mesin3 udp_client.py 172.16.16.101 5005 5 0.2
wait_clients
client 0 udp-broadcast-mesin2 mesin2 udp_broadcast.py 172.16.16.102 5005 3 0.2
wait_clients
finish "$out/udp"
echo "  the server on mesin1:"
grep datagrams "$work/server-5005.log" | sed 's/^/    /'
[[ $(grep -c datagrams "$work/server-5005.log") -eq 3 ]] || die "the UDP server did not hear three senders"

echo "== http: /, /video, /donalbebek.txt, /missing (HTTP/1.0), then two pipelined HTTP/1.1 requests"
mkdir -p "$out/http"
start_capture "$out/http/mesin1.pcapng" 'tcp.port==8885'
start_server tcp 8885 http_server.py "$files" 8885
client 0 http-mesin2 mesin2 http_client.py 172.16.16.101 8885 \
    /=200 /video=302 /donalbebek.txt=200 /missing=404 --pipeline /=200,/donalbebek.txt=200
wait_clients
finish "$out/http"

echo "== tls: versi over TLS 1.2 (ECDHE-RSA, SNI mesin1, ALPN http/1.1), then TLS 1.3 (SNI localhost)"
tls=$work/tls
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mesin1" \
    -addext "subjectAltName=DNS:mesin1,DNS:localhost,IP:172.16.16.101,IP:172.16.16.102,IP:172.16.16.103" \
    -keyout "$tls/key.pem" -out "$tls/cert.pem" 2>"$tls/openssl.log" ||
    { cat "$tls/openssl.log" >&2; die "openssl req failed"; }
mkdir -p "$out/tls"
start_capture "$out/tls/mesin1.pcapng" 'tcp.port==8443'
start_server tcp 8443 tls_server.py "$tls/cert.pem" "$tls/key.pem" 8443
client 0 tls12-mesin2 mesin2 tls_client.py 172.16.16.101 8443 --sni mesin1 --cafile "$tls/cert.pem" \
    --tls12 --cipher ECDHE-RSA-AES128-GCM-SHA256 --alpn http/1.1 --expect TLSv1.2
wait_clients
client 0 tls13-mesin2 mesin2 tls_client.py 172.16.16.101 8443 --sni localhost --cafile "$tls/cert.pem" \
    --alpn http/1.1 --expect TLSv1.3
wait_clients
finish "$out/tls"
echo "  the server on mesin1:"
grep -E 'TLSv|request' "$work/server-8443.log" | sed 's/^/    /'

chmod 755 "$out" "$out"/*
find "$out" -type f -exec chmod 644 {} +
echo "== written:"
(cd "$out" && find . -type f | sort | xargs ls -l | awk '{ printf "  %6d  %s\n", $5, $NF }')
du -sh "$out"
# The saved tshark answers the agreement tests read are stale now: ask tshark again.
if [ -z "${1:-}" ]; then "$here/make-golden.sh"; fi
