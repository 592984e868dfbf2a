#!/usr/bin/env bash
# Regenerates fixtures/class/: a made-up class of six students' submissions of the lab (tasks 1-4),
# each made for real: labcap rebuilds the lab's three machines as network namespaces (nothing
# leaves them; no traffic to any address outside them), every machine captures on `any` while the
# tasks are played with labcap's own programs (info, server, client), as `labcap lab run` does.
#
#   ani/    everything right: mesin1.pcapng, mesin2.pcapng, mesin3.pcapng (`labcap lab run`)
#   budi/   right, but mesin3's capture is missing (only mesin1.pcapng, mesin2.pcapng)
#   citra/  task 3 on port 32445 instead of 32444 (server and client); the rest right
#   dewi/   her server does not echo: it reads the data but answers b"OK\n" per recv
#           (scripts/lab/noecho_server.py) on 10000, 32444 and 32434; handshakes and FIN closes
#           as usual, the clients give up waiting for the echo (--timeout)
#   eko/    right, but misnamed files: Mesin1.pcapng, mesin2_capture.pcapng, MESIN3.PCAPNG
#   fajar/  right, but task 1 skipped: no DNS lookups, so mesin2's capture has no DNS
#
# Needs root, iproute2, dnsmasq, python3 (for dewi's server), ethtool (optional).
# Usage: sudo scripts/make-class-fixtures.sh
#   LABCAP_BIN=/path/to/labcap  use that binary instead of `cargo build --release` here.
# Idempotent: fixtures/class/ is removed and made again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=$root/fixtures/class
python=${PYTHON:-python3}

die() {
    echo "make-class-fixtures: $*" >&2
    exit 2
}

[[ $EUID -eq 0 ]] || die "needs root (network namespaces and captures): run with sudo"
if [[ -n ${LABCAP_BIN:-} ]]; then
    bin=$(realpath "$LABCAP_BIN")
    [[ -x $bin ]] || die "LABCAP_BIN=$LABCAP_BIN is not an executable"
else
    (cd "$root" && cargo build --release --quiet)
    bin=$root/target/release/labcap
fi

prefix=lccl$$-
work=$(mktemp -d /tmp/labcap-class.XXXXXX)
servers=()
captures=()

# Stops background programs with SIGINT (captures then write their files) and waits for them.
stop_pids() {
    local pid
    for pid in "$@"; do kill -INT "$pid" 2>/dev/null || true; done
    for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}

cleanup() {
    stop_pids "${servers[@]}" "${captures[@]}"
    "$bin" lab --prefix "$prefix" down >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# on MACHINE CMD...: runs CMD in that machine's namespace. (Background programs are started with
# `ip netns exec` directly, not through this function, so that $! is the program itself and a
# SIGINT reaches it, not a subshell that ignores it.)
on() {
    local machine=$1
    shift
    ip netns exec "$prefix$machine" "$@"
}

# The 97-byte text file of task 3 (TASK3_FILE in src/lab/play.rs).
file97=$work/file97.txt
printf '%s' $'Baris pertama file teks untuk tugas tiga.\nBaris kedua, dikirim dengan sendall().\nSelesai.\n123456\n' >"$file97"
[[ $(stat -c %s "$file97") -eq 97 ]] || die "the task 3 file is not 97 bytes"

# start_capture MACHINE FILE: captures on `any` of MACHINE into FILE; returns once armed.
start_capture() {
    local machine=$1 file=$2 log=$work/capture-$1.log i
    ip netns exec "$prefix$machine" "$bin" tcp --iface any -Y 'tcp || udp.port==53' --summary -w "$file" \
        >/dev/null 2>"$log" &
    local pid=$!
    captures+=("$pid")
    for ((i = 0; i < 200; i++)); do
        grep -q "capturing on" "$log" && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    cat "$log" >&2
    die "the capture on $machine did not start"
}

# start_server KIND PORT: the one-at-a-time server on mesin1 (KIND labcap: `labcap server
# --sequential`, like server.py; noecho: scripts/lab/noecho_server.py); returns once it listens.
start_server() {
    local kind=$1 port=$2 log=$work/server-$2.log i
    case $kind in
        labcap) ip netns exec "${prefix}mesin1" "$bin" server --sequential --port "$port" >/dev/null 2>"$log" & ;;
        noecho) ip netns exec "${prefix}mesin1" "$python" "$here/lab/noecho_server.py" "$port" >/dev/null 2>"$log" & ;;
        *) die "unknown server kind $kind" ;;
    esac
    local pid=$!
    servers+=("$pid")
    for ((i = 0; i < 100; i++)); do
        on mesin1 ss -ltnH "sport = :$port" | grep -q LISTEN && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    cat "$log" >&2
    die "the $kind server on mesin1 port $port did not start"
}

# expect WANT NAME CMD...: runs CMD, prints its result line; WANT is an exit code, or `fail`
# (anything but 0). A program that ends otherwise means a wrong fixture: stop.
expect() {
    local want=$1 name=$2 rc=0 text
    shift 2
    text=$("$@" 2>&1) || rc=$?
    printf '  %-16s exit %d: %s\n' "$name" "$rc" "$(head -n1 <<<"$text")"
    if [[ $want == fail ]]; then
        ((rc != 0)) || die "$name: expected a failure, got exit 0"
    elif ((rc != want)); then
        printf '%s\n' "$text" >&2
        die "$name: expected exit $want, got $rc"
    fi
}

# play DIR [--task3-port N] [--server labcap|noecho] [--skip-dns]
# Plays tasks 1-4 as `labcap lab run` does (src/lab/play.rs) while mesin1, mesin2 and mesin3
# capture on `any` into DIR/mesinN.pcapng: captures armed first, then task 1's lookups on mesin2,
# the servers on mesin1, task 2 (localhost refused, then the echo), task 3 (the 97-byte file),
# task 4 (mesin2 sends the file with pauses while mesin3 sends the message), then SIGINT to the
# servers and the captures.
play() {
    local dir=$1
    shift
    local task3_port=32444 server=labcap dns=1
    while (($#)); do
        case $1 in
            --task3-port) task3_port=$2; shift 2 ;;
            --server) server=$2; shift 2 ;;
            --skip-dns) dns=0; shift ;;
            *) die "play: unknown option $1" ;;
        esac
    done
    # A server that does not echo leaves the clients waiting: they give up after --timeout
    # seconds without data and close (FIN). mesin3's task 4 client waits in the backlog while
    # mesin2's session runs (about 0.5 s + mesin2's timeout), so its timeout is longer.
    local echo_ok=0 t2=() t3=()
    if [[ $server == noecho ]]; then
        echo_ok=fail t2=(--timeout 1.5) t3=(--timeout 4)
    fi
    mkdir -p "$dir"
    captures=()
    servers=()
    local m
    for m in mesin1 mesin2 mesin3; do start_capture "$m" "$dir/$m.pcapng"; done

    if ((dns)); then
        # Task 1: two names resolve, the typo is NXDOMAIN (exit 1).
        expect 1 "task 1 lookups" on mesin2 "$bin" info www.espnfc.com www.its.ac.id www.espnfc.cosm
    fi

    local port
    for port in 10000 "$task3_port" 32434; do start_server "$server" "$port"; done

    # Task 2: localhost on mesin2 is refused (exit 2), mesin1's lab address answers.
    expect 2 "task 2 refused" on mesin2 "$bin" client --quiet --server localhost --port 10000
    expect "$echo_ok" "task 2 echo" on mesin2 "$bin" client --quiet --server 172.16.16.101 \
        --port 10000 "${t2[@]}"

    # Task 3: the 97-byte file.
    expect "$echo_ok" "task 3 file" on mesin2 "$bin" client --quiet --server 172.16.16.101 \
        --port "$task3_port" --file "$file97" "${t2[@]}"

    # Task 4: mesin2 sends the file slowly, mesin3 the lab's message meanwhile.
    expect "$echo_ok" "task 4 mesin2" on mesin2 "$bin" client --quiet --server 172.16.16.101 \
        --port 32434 --file "$file97" --pause 150 "${t2[@]}" &
    local slow=$!
    sleep 0.1
    expect "$echo_ok" "task 4 mesin3" on mesin3 "$bin" client --quiet --server 172.16.16.101 \
        --port 32434 "${t3[@]}"
    wait "$slow" || die "task 4 mesin2 did not end as expected"

    # The last ACKs, then everything stops and the captures are written.
    sleep 0.3
    stop_pids "${servers[@]}"
    servers=()
    stop_pids "${captures[@]}"
    captures=()
    for m in mesin1 mesin2 mesin3; do
        [[ -s $dir/$m.pcapng ]] || die "$dir/$m.pcapng was not written"
    done
}

rm -rf "$out"
mkdir -p "$out"
"$bin" lab --prefix "$prefix" up >/dev/null

echo "== ani: everything right (labcap lab run)"
"$bin" lab --prefix "$prefix" run --out "$out/ani" >"$work/ani.log" || {
    cat "$work/ani.log" >&2
    die "lab run for ani did not pass"
}

echo "== budi: right, but mesin3's capture is missing"
"$bin" lab --prefix "$prefix" run --out "$out/budi" >"$work/budi.log" || {
    cat "$work/budi.log" >&2
    die "lab run for budi did not pass"
}
rm "$out/budi/mesin3.pcapng"

echo "== citra: task 3 on port 32445"
play "$out/citra" --task3-port 32445

echo "== dewi: her server answers b\"OK\\n\" instead of the echo"
play "$out/dewi" --server noecho

echo "== eko: right, but misnamed files"
"$bin" lab --prefix "$prefix" run --out "$out/eko" >"$work/eko.log" || {
    cat "$work/eko.log" >&2
    die "lab run for eko did not pass"
}
mv "$out/eko/mesin1.pcapng" "$out/eko/Mesin1.pcapng"
mv "$out/eko/mesin2.pcapng" "$out/eko/mesin2_capture.pcapng"
mv "$out/eko/mesin3.pcapng" "$out/eko/MESIN3.PCAPNG"

echo "== fajar: task 1 skipped (no DNS lookups)"
play "$out/fajar" --skip-dns

chmod 755 "$out" "$out"/*
find "$out" -type f -exec chmod 644 {} +
echo "== written:"
(cd "$out" && find . -type f | sort | xargs ls -l | awk '{ printf "  %6d  %s\n", $5, $NF }')
du -sh "$out"
# The saved tshark answers the agreement tests read are stale now: ask tshark again.
if [ -z "${1:-}" ]; then "$here/make-golden.sh"; fi
