#!/usr/bin/env bash
# Benchmark (not a test): peak RSS of `labcap replay --summary` on hostile captures, each made
# to hold state an analyzer could keep forever (scripts/memory/crafted.py: 1 M half-open SYNs,
# 1 M unanswered DNS queries, 1 M out-of-order segments cut to 0 bytes, 2,000 unfinished
# 65,535-byte DNS-over-TCP messages, 200,000 DNS-over-TCP flows never closed, 100 connections
# × 2 MiB never echoed, 200,000 pcapng interfaces with 1,000-byte names, 1 M UDP
# conversations). Each runs with the default analyzers and with --analyze all, under the
# default 64 MiB memory cap; a peak above LIMIT_MIB (80) fails the script.
# Usage: scripts/bench-memory.sh [SCALE]   (SCALE multiplies the counts; needs GNU time)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
scale=${1:-1}
limit_mib=${LIMIT_MIB:-80}
cd "$root"
cargo build --release --quiet
bin=$root/target/release/labcap
[ -x /usr/bin/time ] || { echo "bench-memory: needs GNU time (/usr/bin/time)" >&2; exit 2; }

dir=${BENCH_DIR:-/tmp/labcap-bench-memory-$scale}
echo "== crafted captures in $dir (kept for the next run)"
python3 "$here/memory/crafted.py" "$dir" "$scale" >/dev/null
over=0
printf '%-26s %8s %10s %8s %8s  %s\n' capture MiB packets "RSS MiB" seconds evicted
for f in "$dir"/*; do
    for analyze in "" "all"; do
        args=(replay "$f" --summary)
        [ -n "$analyze" ] && args+=(--analyze "$analyze")
        out=$(mktemp)
        /usr/bin/time -f '%M %e' -o "$out.time" "$bin" "${args[@]}" >"$out" 2>/dev/null || true
        read -r kib secs <"$out.time"
        packets=$(grep -oE '^[^:]+: [0-9,]+ packets? read' "$out" | grep -oE '[0-9,]+ packets?' | cut -d' ' -f1)
        evicted=$(grep -oE 'evicted [^(]*' "$out" | head -1 || true)
        rss=$((kib / 1024))
        label="$(basename "$f")${analyze:+ (all)}"
        printf '%-26s %8s %10s %8s %8s  %s\n' "$label" "$(($(stat -c %s "$f") / 1048576))" "$packets" "$rss" "$secs" "${evicted:-nothing evicted}"
        if [ "$rss" -gt "$limit_mib" ]; then over=$((over + 1)); fi
        rm -f "$out" "$out.time"
    done
done
if [ "$over" -gt 0 ]; then
    echo "bench-memory: $over runs above $limit_mib MiB" >&2
    exit 1
fi
echo "== every run within $limit_mib MiB"
