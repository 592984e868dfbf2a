#!/usr/bin/env python3
"""A seeded, hostile Ethernet bridge between two interfaces (user space, AF_PACKET).

Every frame read on one interface is written to the other, after a fixed one-way delay. TCP
frames (IPv4, protocol 6) may also be dropped, duplicated or held back a little longer (so that
later frames overtake them: reordering), each decided by a random generator seeded with --seed,
in the order the frames arrive (the same seed makes the same decisions for the same sequence of
frames; the captures still differ run to run, as the kernels' timers do). Everything else
(ARP) passes untouched. The decisions are
logged to stderr, one line a frame, so a capture can be explained afterwards.

This kernel has no netem; this stands in for `tc qdisc ... netem loss/duplicate/reorder`.

Usage: bridge.py IF_A IF_B --seed N [--drop P] [--dup P] [--reorder P] [--delay MS]
                 [--reorder-ms MS] [--spare N] [--duration S]
  --spare N   leave the first N TCP frames of each direction alone (the handshake).
Stops after --duration seconds, or on SIGINT/SIGTERM.
"""

import argparse
import heapq
import random
import select
import signal
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def is_tcp(frame):
    return len(frame) >= 34 and frame[12:14] == b"\x08\x00" and frame[23] == 6


def describe(frame):
    """Ports, flags and payload length of a TCP/IPv4 frame, for the log."""
    ihl = (frame[14] & 0x0F) * 4
    total = int.from_bytes(frame[16:18], "big")
    t = 14 + ihl
    if len(frame) < t + 14:
        return "short"
    sport = int.from_bytes(frame[t : t + 2], "big")
    dport = int.from_bytes(frame[t + 2 : t + 4], "big")
    seq = int.from_bytes(frame[t + 4 : t + 8], "big")
    off = (frame[t + 12] >> 4) * 4
    flags = frame[t + 13]
    names = "".join(c for c, bit in zip("FSRPAU", range(6)) if flags >> bit & 1)
    return f"{sport}>{dport} {names} seq={seq} len={total - ihl - off}"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("if_a")
    p.add_argument("if_b")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--drop", type=float, default=0.0)
    p.add_argument("--dup", type=float, default=0.0)
    p.add_argument("--reorder", type=float, default=0.0)
    p.add_argument("--delay", type=float, default=0.0, help="one-way delay, ms")
    p.add_argument("--reorder-ms", type=float, default=8.0, help="extra hold, ms")
    p.add_argument("--spare", type=int, default=3)
    p.add_argument("--duration", type=float, default=120.0)
    args = p.parse_args()

    rng = random.Random(args.seed)
    socks = {}
    for name in (args.if_a, args.if_b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, 0))
        s.setblocking(False)
        socks[name] = s
    other = {args.if_a: args.if_b, args.if_b: args.if_a}
    seen = {args.if_a: 0, args.if_b: 0}
    queue = []  # (release time, order, interface, frame)
    order = 0
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    end = time.monotonic() + args.duration
    print("bridge ready", file=sys.stderr, flush=True)

    def later(at, out, frame):
        nonlocal order
        order += 1
        heapq.heappush(queue, (at, order, out, frame))

    while not stop and time.monotonic() < end:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, out, frame = heapq.heappop(queue)
            try:
                socks[out].send(frame)
            except OSError as e:
                print(f"send on {out}: {e}", file=sys.stderr, flush=True)
        timeout = max(0.0, queue[0][0] - now) if queue else 0.05
        try:
            ready, _, _ = select.select(list(socks.values()), [], [], min(timeout, 0.05))
        except InterruptedError:
            continue
        now = time.monotonic()
        for name, s in socks.items():
            if s not in ready:
                continue
            while True:
                try:
                    frame, addr = s.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue
                out = other[name]
                base = now + args.delay / 1000
                if not is_tcp(frame):
                    later(base, out, frame)
                    continue
                seen[name] += 1
                if seen[name] <= args.spare:
                    later(base, out, frame)
                    continue
                what = describe(frame)
                r = rng.random()
                if r < args.drop:
                    print(f"{name} drop {what}", file=sys.stderr, flush=True)
                elif r < args.drop + args.dup:
                    print(f"{name} dup {what}", file=sys.stderr, flush=True)
                    later(base, out, frame)
                    later(base + rng.uniform(0.5, 3) / 1000, out, frame)
                elif r < args.drop + args.dup + args.reorder:
                    hold = rng.uniform(0.5, 1) * args.reorder_ms / 1000
                    print(f"{name} hold {what}", file=sys.stderr, flush=True)
                    later(base + hold, out, frame)
                else:
                    later(base, out, frame)
    for s in socks.values():
        s.close()


if __name__ == "__main__":
    main()
