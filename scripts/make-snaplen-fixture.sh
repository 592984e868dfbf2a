#!/usr/bin/env bash
# fixtures/syn-options-cut.pcapng: the lab's echo connections of mesin1.pcapng (ports 32434 and
# 32444) with every SYN and SYN-ACK cut to 70 bytes, as a short snapshot length (`tcpdump -s
# 70`, Wireshark's "Limit each packet") cuts them: the fixed TCP header whole, the options cut
# inside the timestamps. The other frames stay whole (a cut payload's Info mark depends on
# which of Wireshark's heuristic dissectors read it, which labcap does not model). Made from
# mesin1.pcapng, so run it after that one. Needs tshark, editcap and mergecap (wireshark-common).
# Usage: scripts/make-snaplen-fixture.sh [FIXTURES_DIR]
set -euo pipefail
out=${1:-$(cd "$(dirname "$0")/.." && pwd)/fixtures}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lab='tcp.port==32434 || tcp.port==32444'
tshark -n -r "$out/mesin1.pcapng" -Y "($lab) && tcp.flags.syn==1" -w "$work/syn.pcapng" 2>/dev/null
tshark -n -r "$out/mesin1.pcapng" -Y "($lab) && tcp.flags.syn==0" -w "$work/rest.pcapng" 2>/dev/null
editcap -s 70 "$work/syn.pcapng" "$work/syn-cut.pcapng"
mergecap -w "$out/syn-options-cut.pcapng" "$work/syn-cut.pcapng" "$work/rest.pcapng"
