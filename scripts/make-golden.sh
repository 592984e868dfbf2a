#!/usr/bin/env bash
# Saves tshark's answers about the bundled fixtures in fixtures/golden/, so the agreement tests
# compare against them instead of starting tshark hundreds of times. Each file holds one tshark
# run: its first line is the command (the fixture named by path and content hash), the rest its
# standard output. Run it after any fixture changes (the fixtures scripts call it) or when a test
# asks a new question of tshark. Needs tshark and cargo.
# Usage: scripts/make-golden.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rm -rf fixtures/golden
mkdir -p fixtures/golden
echo "== asking tshark (every test, with LABCAP_GOLDEN=write)"
status=0
LABCAP_GOLDEN=write LABCAP_SKIP_LIVE=1 cargo test --quiet --tests --no-fail-fast >"$root/target/make-golden.log" 2>&1 || status=$?
n=$(find fixtures/golden -type f | wc -l)
echo "== $n tshark answers saved ($(du -sh fixtures/golden | cut -f1))"
if [ "$status" != 0 ]; then
    echo "some tests failed (labcap disagrees, or something else): see target/make-golden.log" >&2
    grep -E '^test .* FAILED|^---- ' "$root/target/make-golden.log" | head -20 >&2 || true
    exit 1
fi
