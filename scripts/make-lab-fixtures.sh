#!/usr/bin/env bash
# Regenerates fixtures/mesin1.pcapng, mesin2.pcapng, mesin3.pcapng: labcap rebuilds the lab's three
# machines as network namespaces (nothing leaves them), plays tasks 1-4 with its own programs while
# each machine captures on `any`, and grades the result. Needs root, dnsmasq, iproute2.
# Usage: scripts/make-lab-fixtures.sh [OUTDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../fixtures}
cd "$here/.."
cargo build --release --quiet
bin=$PWD/target/release/labcap
prefix=lcfx$$-
trap '"$bin" lab --prefix "$prefix" down >/dev/null 2>&1 || true' EXIT
"$bin" lab --prefix "$prefix" up
"$bin" lab --prefix "$prefix" run --out "$out"
chmod 644 "$out"/mesin*.pcapng
