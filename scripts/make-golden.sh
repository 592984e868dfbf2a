#!/usr/bin/env bash
# Saves tshark's answers about the bundled fixtures in fixtures/golden/tshark.txt, so the agreement
# tests compare against them instead of starting tshark hundreds of times. Each record is
# `@@ BYTES tshark KEY` (the arguments, the fixture named by path and content hash) and then
# tshark's standard output. Run it after any fixture changes (the fixtures scripts call it) or
# when a test asks tshark something new. Needs tshark, cargo and python3.
# Usage: scripts/make-golden.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
new=$root/target/golden-new
rm -rf "$new"
mkdir -p target
echo "== asking tshark (every test, with LABCAP_GOLDEN=write)"
status=0
LABCAP_GOLDEN=write LABCAP_SKIP_LIVE=1 cargo test --quiet --tests --no-fail-fast >"$root/target/make-golden.log" 2>&1 || status=$?
mkdir -p fixtures/golden
python3 - "$new" fixtures/golden/tshark.txt <<'PY'
import os, sys
new, out = sys.argv[1], sys.argv[2]
records = []
for name in os.listdir(new):
    with open(os.path.join(new, name), "rb") as f:
        key, _, body = f.read().partition(b"\n")
    records.append((key, body))
with open(out, "wb") as f:
    for key, body in sorted(records):
        f.write(b"@@ %d tshark " % len(body) + key + b"\n" + body)
print("== %d tshark answers saved in %s (%d KiB)" % (len(records), out, os.path.getsize(out) // 1024))
PY
find fixtures/golden -type f ! -name tshark.txt -delete
if [ "$status" != 0 ]; then
    echo "some tests failed (labcap disagrees, or something else): see target/make-golden.log" >&2
    grep -E '^test .* FAILED|^---- ' "$root/target/make-golden.log" | head -20 >&2 || true
    exit 1
fi
