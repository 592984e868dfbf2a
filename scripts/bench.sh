#!/usr/bin/env bash
# Benchmark: labcap against tcpdump and tshark on one large, realistic lab capture.
#
# Generates (once) a Linux-cooked pcapng of BENCH_PACKETS packets (default 7.5 M, about 1 GB):
# interleaved echo sessions on the lab's ports (handshake, client data, the echo in 32-byte
# pieces, ACKs, FIN or RST closes), refused connections, DNS lookups with NXDOMAIN and unanswered
# queries, and noise (examples/gen_capture.rs). Checks that labcap's TCP connection and DNS
# counts equal tshark's, then times each command on the same file (page cache warm) and prints
# packets/s, peak RSS and the ratios.
#
# Usage: scripts/bench.sh            (BENCH_PACKETS=N and BENCH_DIR=DIR to change the file)
# Needs: tshark, tcpdump, GNU time (/usr/bin/time, package "time").
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${BENCH_PACKETS:-7500000}
dir=${BENCH_DIR:-${TMPDIR:-/tmp}}
file=$dir/labcap-bench-$packets.pcapng
for tool in tshark tcpdump /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install tshark tcpdump time)" >&2; exit 2; }
done

cargo build --release --quiet --bin labcap --example gen_capture
labcap=target/release/labcap
if [ ! -s "$file" ]; then
    echo "generating $file ($packets packets)…"
    target/release/examples/gen_capture "$file" "$packets"
fi
size=$(stat -c %s "$file")
cat "$file" >/dev/null # warm the page cache: every command reads the same cached file

echo "validating against tshark (this is the slow part)…"
json=$($labcap replay "$file" --json)
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" <<<"$json"; }
ours_conns=$(field 'd["tcp_totals"]["connections"]')
ours_queries=$(field 'd["dns_queries"]')
ours_responses=$(field 'd["dns_responses"]')
ours_unanswered=$(field 'd["dns_totals"]["unanswered"]')
ts_conns=$(tshark -n -r "$file" -q -z conv,tcp 2>/dev/null | grep -c '<->')
read -r ts_queries ts_responses < <(tshark -n -r "$file" -Y dns -T fields -e dns.flags.response 2>/dev/null |
    awk '$1=="False"||$1=="0"{q++} $1=="True"||$1=="1"{r++} END{print q+0, r+0}')
printf '  %-22s %12s %12s\n' "" labcap tshark
printf '  %-22s %12s %12s\n' "TCP conversations" "$ours_conns" "$ts_conns"
printf '  %-22s %12s %12s\n' "DNS queries" "$ours_queries" "$ts_queries"
printf '  %-22s %12s %12s\n' "DNS responses" "$ours_responses" "$ts_responses"
printf '  %-22s %12s\n' "DNS unanswered" "$ours_unanswered"
if [ "$ours_conns" != "$ts_conns" ] || [ "$ours_queries" != "$ts_queries" ] || [ "$ours_responses" != "$ts_responses" ]; then
    echo "bench: labcap and tshark disagree on this file" >&2
    exit 1
fi

# name|command: each is run 3 times; the fastest run counts.
runs=(
    "labcap replay --summary (TCP + DNS analysis)|$labcap replay $file --summary"
    "labcap replay --summary --analyze all (+HTTP,TLS,UDP)|$labcap replay $file --summary --analyze all"
    "labcap replay -Y tcp.port==32444 --summary|$labcap replay $file -Y tcp.port==32444 --summary"
    "tcpdump -r -w /dev/null 'tcp port 32444' (filter only)|tcpdump -r $file -w /dev/null tcp port 32444"
    "tcpdump -r -w /dev/null (read only)|tcpdump -r $file -w /dev/null"
    "tshark -q -z conv,tcp|tshark -n -r $file -q -z conv,tcp"
)
echo
echo "$(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; $file: $packets packets, $((size / 1048576)) MiB"
printf '%-52s %9s %14s %12s\n' command seconds "packets/s" "peak RSS"
declare -A secs
measure=$(mktemp)
trap 'rm -f "$measure"' EXIT
for entry in "${runs[@]}"; do
    name=${entry%%|*}
    cmd=${entry#*|}
    tries=3
    [[ $name == tshark* ]] && tries=1
    best=""
    rss=0
    for _ in $(seq $tries); do
        /usr/bin/time -o "$measure" -f '%e %M' $cmd >/dev/null 2>&1
        read -r t m <"$measure"
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
        [ "$m" -gt "$rss" ] && rss=$m
    done
    secs[$name]=$best
    printf '%-52s %9.2f %14s %9d MiB\n' "$name" "$best" \
        "$(awk "BEGIN{printf \"%.1f M\", $packets / $best / 1e6}")" $((rss / 1024))
done
full=${secs["labcap replay --summary (TCP + DNS analysis)"]}
dump=${secs["tcpdump -r -w /dev/null 'tcp port 32444' (filter only)"]}
shark=${secs["tshark -q -z conv,tcp"]}
echo
awk "BEGIN{printf \"labcap full analysis: %.1fx tshark's speed, %.2fx tcpdump's filter-only speed\n\", $shark / $full, $dump / $full}"
