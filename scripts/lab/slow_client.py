"""A client that sends a file in 20-byte pieces 0.1 s apart, then reads the echo: it keeps a
connection open long enough for a second client to connect meanwhile (lab task 4).

Usage: python3 slow_client.py HOST PORT FILE
"""
import socket
import sys
import time

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = open(path, "rb").read()
s = socket.create_connection((host, port))
for i in range(0, len(data), 20):
    s.sendall(data[i:i + 20])
    time.sleep(0.1)
got = b""
while len(got) < len(data):
    chunk = s.recv(16)
    if not chunk:
        sys.exit("echo cut short")
    got += chunk
s.close()
sys.exit(0 if got == data else "echo differs")
