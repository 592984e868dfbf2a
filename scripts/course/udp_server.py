"""The course's UDP server (module 2): prints every datagram it receives.

Usage: python3 udp_server.py [PORT]
Binds 0.0.0.0:PORT (default 5005), so it also receives broadcasts to the port. On SIGINT or
SIGTERM it prints how many datagrams came from each sender and stops.
"""
import collections
import os
import signal
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 5005
counts = collections.Counter()


def stop(signum, frame):
    for sender, n in sorted(counts.items()):
        print(f"{n} datagrams from {sender[0]}:{sender[1]}", flush=True)
    os._exit(0)


signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("0.0.0.0", port))
print(f"udp server on port {port}", flush=True)
while True:
    data, sender = sock.recvfrom(1024)
    counts[sender] += 1
    print(f"{sender[0]}:{sender[1]} {data!r}", flush=True)
