"""An HTTP client over raw sockets for the module 5 server.

Usage: python3 http_client.py HOST PORT [PATH=CODE ...] [--pipeline PATH=CODE,PATH=CODE,...]
Every PATH=CODE is one HTTP/1.0 GET on its own connection; the response is read until the server
closes. --pipeline sends its requests as HTTP/1.1 on one keep-alive connection all at once (the
last with Connection: close) and reads the responses in order. Every response is checked: the
status code is CODE and the body is Content-Length bytes. Exit 0 when all were as expected.
"""
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
single, pipelined = [], []
it = iter(sys.argv[3:])
for a in it:
    if a == "--pipeline":
        pipelined = [p.split("=") for p in next(it).split(",")]
    else:
        single.append(a.split("="))


def read_all(s):
    buf = b""
    while True:
        data = s.recv(4096)
        if not data:
            return buf
        buf += data


def parse(buf):
    """One response off the front of buf: (code, headers, body, rest)."""
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("iso-8859-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    length = int(headers["content-length"])
    return int(lines[0].split(" ")[1]), lines[0], headers, rest[:length], rest[length:]


ok = True


def report(path, want, status, headers, body):
    global ok
    good = status[1] == want and len(body) == int(headers["content-length"])
    ok &= good
    extra = f" Location: {headers['location']}" if "location" in headers else ""
    print(f"GET {path}: {status[0]}  {headers.get('content-type')} {len(body)} bytes{extra}"
          f"{'' if good else f'  (wanted {want})'}")


for path, want in single:
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n".encode())
        buf = read_all(s)
    code, line, headers, body, _ = parse(buf)
    report(path, int(want), (line, code), headers, body)

if pipelined:
    requests = b""
    for i, (path, _) in enumerate(pipelined):
        last = "Connection: close\r\n" if i == len(pipelined) - 1 else ""
        requests += f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{last}\r\n".encode()
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(requests)
        buf = read_all(s)
    for path, want in pipelined:
        code, line, headers, body, buf = parse(buf)
        report(path, int(want), (line, code), headers, body)
sys.exit(0 if ok else 1)
