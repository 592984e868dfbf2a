"""The course's UDP client (module 2): sends " ini angka N " for N = 1..COUNT.

Usage: python3 udp_client.py HOST [PORT] [COUNT] [INTERVAL]
One datagram every INTERVAL seconds (default 1; the fixtures use 0.2) to HOST:PORT (default
5005), COUNT of them (default 5), from one socket (one source port).
"""
import socket
import sys
import time

host = sys.argv[1]
port = int(sys.argv[2]) if len(sys.argv) > 2 else 5005
count = int(sys.argv[3]) if len(sys.argv) > 3 else 5
interval = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for n in range(1, count + 1):
    if n > 1:
        time.sleep(interval)
    message = f" ini angka {n} "
    sock.sendto(message.encode(), (host, port))
    print(f"sent {message!r} to {host}:{port}", flush=True)
