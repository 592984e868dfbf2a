#!/usr/bin/env bash
# Benchmark (not a test): labcap against tcpdump and tshark on large captures from two
# different generators, at two sizes.
#
#   lab  examples/gen_capture.rs: Linux cooked v1 pcapng as Wireshark records `any`; interleaved
#        echo sessions on the lab's ports (the echo in 32-byte pieces, FIN or RST closes),
#        refused connections, DNS lookups with NXDOMAIN and unanswered queries, noise.
#   mix  scripts/bench/gen_mix.py: Ethernet in a µs pcap; DNS-heavy (A, AAAA, NXDOMAIN, 10%
#        unanswered), short TCP connections to many ports (half refused), UDP noise on many
#        ports, ARP, IPv4 fragments; frames around 100 bytes.
#
# Each file is made once (kept in BENCH_DIR). labcap's TCP conversation and DNS counts are held
# against tshark's first. Then, page cache warm, each command runs BENCH_RUNS times (5),
# labcap and tcpdump in turn, and the median and spread of wall and CPU seconds are printed
# with the peak RSS, and labcap's full analysis as a multiple of tcpdump's filter-only speed
# (median wall over median wall).
#
# Usage: scripts/bench.sh     BENCH_PACKETS="1000000 7500000", BENCH_GENERATORS="lab mix",
#                             BENCH_RUNS=5, BENCH_DIR=/tmp, BENCH_TSHARK=1 (0: skip its timing)
# Needs: tshark, tcpdump, python3, GNU time (/usr/bin/time, package "time").
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${BENCH_PACKETS:-1000000 7500000}
generators=${BENCH_GENERATORS:-lab mix}
runs=${BENCH_RUNS:-5}
dir=${BENCH_DIR:-${TMPDIR:-/tmp}}
for tool in tshark tcpdump python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install tshark tcpdump python3 time)" >&2; exit 2; }
done
cargo build --release --quiet --bin labcap --example gen_capture
labcap=$PWD/target/release/labcap
measure=$(mktemp)
trap 'rm -f "$measure"' EXIT
echo "$(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, load $(cut -d' ' -f1-3 /proc/loadavg); $runs runs each"

# file_for GENERATOR PACKETS: the capture's path, made if missing.
file_for() {
    local gen=$1 packets=$2 file
    case $gen in
        lab) file=$dir/labcap-bench-$packets.pcapng
             [ -s "$file" ] || target/release/examples/gen_capture "$file" "$packets" >&2 ;;
        mix) file=$dir/labcap-bench-mix-$packets.pcap
             [ -s "$file" ] || python3 scripts/bench/gen_mix.py "$file" "$packets" >&2 ;;
        *) echo "bench: unknown generator $gen" >&2; exit 2 ;;
    esac
    echo "$file"
}

# validate FILE: labcap's and tshark's TCP conversations and DNS queries/responses.
validate() {
    local file=$1 json
    json=$($labcap replay "$file" --json)
    field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" <<<"$json"; }
    local ours="$(field 'd["tcp_totals"]["connections"]') $(field 'd["dns_queries"]') $(field 'd["dns_responses"]')"
    local conns queries
    conns=$(tshark -n -r "$file" -q -z conv,tcp 2>/dev/null | grep -c '<->')
    queries=$(tshark -n -r "$file" -Y dns -T fields -e dns.flags.response 2>/dev/null |
        awk '$1=="False"||$1=="0"{q++} $1=="True"||$1=="1"{r++} END{print q+0, r+0}')
    local theirs="$conns $queries"
    echo "  agree with tshark (TCP conversations, DNS queries, responses): labcap $ours, tshark $theirs"
    [ "$ours" = "$theirs" ] || { echo "bench: labcap and tshark disagree on $file" >&2; exit 1; }
}

# stats LIST [DECIMALS]: "median (min–max)" of the numbers.
stats() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -n | awk -v d="${2:-2}" '{v[NR]=$1} END{m=v[int((NR+1)/2)]; f="%." d "f"; printf f " (" f "–" f ")", m, v[1], v[NR]}'; }
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }

for packets in $sizes; do
    for gen in $generators; do
        file=$(file_for "$gen" "$packets")
        cat "$file" >/dev/null # warm the page cache
        echo
        echo "== $gen: $(basename "$file"), $packets packets, $(($(stat -c %s "$file") / 1048576)) MiB"
        validate "$file"
        names=("labcap replay --summary (default: TCP+DNS)" "labcap replay --summary --analyze all"
               "labcap replay -Y tcp.port==32444 --summary" "tcpdump -r -w /dev/null 'tcp port 32444'")
        cmds=("$labcap replay $file --summary" "$labcap replay $file --summary --analyze all"
              "$labcap replay $file -Y tcp.port==32444 --summary" "tcpdump -r $file -w /dev/null tcp port 32444")
        declare -A wall=() cpu=() rss=()
        for _ in $(seq "$runs"); do # in turn, so a noisy moment hits every command alike
            for i in "${!cmds[@]}"; do
                # Wall time to the millisecond (GNU time's %e has 10 ms steps, a tenth of
                # tcpdump's time on a 1 M file); CPU seconds from time's %U and %S.
                start=$(date +%s%N)
                /usr/bin/time -o "$measure" -f '%U %S %M' ${cmds[$i]} >/dev/null 2>&1
                end=$(date +%s%N)
                read -r u s m <"$measure"
                wall[$i]="${wall[$i]:-} $(awk "BEGIN{print ($end - $start) / 1e9}")"
                cpu[$i]="${cpu[$i]:-} $(awk "BEGIN{print $u + $s}")"
                [ "${rss[$i]:-0}" -gt "$m" ] || rss[$i]=$m
            done
        done
        printf '  %-44s %20s %20s %9s\n' command "wall s, median (range)" "CPU s, median (range)" "peak RSS"
        for i in "${!cmds[@]}"; do
            printf '  %-44s %20s %20s %5d MiB\n' "${names[$i]}" "$(stats "${wall[$i]}" 3)" "$(stats "${cpu[$i]}")" $((rss[$i] / 1024))
        done
        if [ "${BENCH_TSHARK:-1}" = 1 ]; then
            /usr/bin/time -o "$measure" -f '%e %U %S %M' tshark -n -r "$file" -q -z conv,tcp >/dev/null 2>&1
            read -r e u s m <"$measure"
            printf '  %-44s %20s %20s %5d MiB\n' "tshark -q -z conv,tcp (once)" "$e" "$(awk "BEGIN{print $u + $s}")" $((m / 1024))
        fi
        full=$(median "${wall[0]}")
        dump=$(median "${wall[3]}")
        awk "BEGIN{printf \"  labcap full analysis at %.2fx tcpdump's filter-only speed (%.1f M packets/s)\n\", $dump / $full, $packets / $full / 1e6}"
        unset wall cpu rss
    done
done
