"""The course's broadcast sender (module 2): datagrams to 255.255.255.255:PORT.

Usage: python3 udp_broadcast.py SOURCE [PORT] [COUNT] [INTERVAL]
Sets SO_BROADCAST and sends " ini broadcast N " for N = 1..COUNT (default 3) every INTERVAL
seconds (default 0.2) to 255.255.255.255:PORT (default 5005). The socket is bound to SOURCE, the
machine's address on the lab network: a machine with no default route (the lab's network
namespaces) has no route to 255.255.255.255 otherwise (sendto fails with "Network is
unreachable"); bound to an address, Linux sends the broadcast out of that address's interface.
"""
import socket
import sys
import time

source = sys.argv[1]
port = int(sys.argv[2]) if len(sys.argv) > 2 else 5005
count = int(sys.argv[3]) if len(sys.argv) > 3 else 3
interval = float(sys.argv[4]) if len(sys.argv) > 4 else 0.2

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
sock.bind((source, 0))
for n in range(1, count + 1):
    if n > 1:
        time.sleep(interval)
    message = f" ini broadcast {n} "
    sock.sendto(message.encode(), ("255.255.255.255", port))
    print(f"sent {message!r} to 255.255.255.255:{port} from {source}", flush=True)
