#!/usr/bin/env bash
# Benchmark (not a test): a class of 60 submissions × 3 captures graded against the built-in
# Tugas 1 spec. The class is made from fixtures/class/ (six real submissions made in
# namespaces, each copied ten times under new names), so every kind of submission is in it:
# right, missing capture, another port, no echo, misnamed files, no DNS.
# Prints each run's wall and CPU seconds and peak RSS, then the median; with --jobs 1 as well.
# Usage: scripts/bench-grade.sh [STUDENTS]   (needs GNU time: apt-get install time)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
students=${1:-60}
runs=${BENCH_RUNS:-5}
cd "$root"
cargo build --release --quiet
bin=$root/target/release/labcap
[ -x /usr/bin/time ] || { echo "bench-grade: needs GNU time (/usr/bin/time)" >&2; exit 2; }

class=$(mktemp -d /tmp/labcap-class-bench.XXXXXX)
trap 'rm -rf "$class"' EXIT
kinds=("$root"/fixtures/class/*/)
for ((i = 0; i < students; i++)); do
    src=${kinds[$((i % ${#kinds[@]}))]}
    cp -r "$src" "$class/student$(printf %03d "$i")-$(basename "$src")"
done
files=$(find "$class" -type f | wc -l)
bytes=$(du -sb "$class" | cut -f1)
echo "class: $students submissions, $files captures, $((bytes / 1024)) KiB; $(nproc) cores"

measure() { # label, args...
    local label=$1
    shift
    local walls=()
    for ((r = 0; r < runs; r++)); do
        /usr/bin/time -f "%e %U %S %M" -o "$class.time" "$bin" grade --spec tugas1 --class "$class" "$@" >/dev/null || true
        read -r wall user sys rss < <(tail -n 1 "$class.time")
        walls+=("$wall")
        printf '  %-24s run %d: %6.3f s wall, %6.3f s CPU, %6d KiB peak RSS\n' "$label" "$((r + 1))" "$wall" "$(echo "$user + $sys" | bc)" "$rss"
    done
    local median
    median=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
    printf '%-26s median %s s (%s runs)\n' "$label" "$median" "$runs"
}
measure "grade (all cores)"
measure "grade --jobs 1" --jobs 1
rm -f "$class.time"
