"""A client of the time server (module 3).

Usage: python3 time_client.py HOST [PORT] [--count N] [--interval S] [--linger S]
Sends TIME\\r\\n N times (default 3), S seconds apart (default 0.1), reading each answer line,
then QUIT\\r\\n, and waits up to --linger seconds (default 0.3) for the server to close; then it
closes its own side. Exit 0 when every answer matched JAM hh:mm:ss and the server closed after
QUIT; 1 otherwise (the answers and what happened are printed either way).
"""
import re
import socket
import sys
import time

args, opts = [], {"--count": "3", "--interval": "0.1", "--linger": "0.3"}
it = iter(sys.argv[1:])
for a in it:
    if a in opts:
        opts[a] = next(it)
    else:
        args.append(a)
host = args[0]
port = int(args[1]) if len(args) > 1 else 45000
count, interval, linger = int(opts["--count"]), float(opts["--interval"]), float(opts["--linger"])

ok = True
s = socket.create_connection((host, port), timeout=5)
buf = b""
for i in range(count):
    if i:
        time.sleep(interval)
    s.sendall(b"TIME\r\n")
    while b"\r\n" not in buf:
        data = s.recv(64)
        if not data:
            sys.exit("the server closed before answering")
        buf += data
    line, buf = buf.split(b"\r\n", 1)
    good = re.fullmatch(rb"JAM \d\d:\d\d:\d\d", line) is not None
    ok &= good
    print(f"{line.decode()}{'' if good else '  (not JAM hh:mm:ss)'}")
time.sleep(interval)
s.sendall(b"QUIT\r\n")
s.settimeout(linger)
try:
    closed = s.recv(64) == b""
except socket.timeout:
    closed = False
print("the server closed after QUIT" if closed else f"no close from the server after {linger} s")
ok &= closed
s.close()
sys.exit(0 if ok else 1)
