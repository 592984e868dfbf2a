#!/usr/bin/env python3
"""Both ends of the hostile-link captures (scripts/make-hostile-fixtures.sh), one role a run.

  server PORT            echo server: each connection's bytes are sent back as they come;
                         when the client shuts its side, the server closes too. Serves
                         connections one after another until killed.
  echo HOST PORT N       client: sends N bytes (byte i = i mod 251) in 1000-byte writes while
                         reading the echo, shuts down its side, reads to the end, checks it.
  slow-server PORT N     sends N bytes to each client, then closes its side and reads to the
                         end.
  slow HOST PORT         client with a 2 KiB receive buffer that reads nothing for 1.2 s, then
                         reads 700 bytes every 0.25 s: zero windows, window updates, probes.
  keepalive HOST PORT    client with SO_KEEPALIVE (idle 1 s, interval 1 s): sends one line,
                         reads its echo, stays idle for 3.5 s, closes.
  reuse HOST PORT SPORT  two connections in a row from the same source port SPORT (bound with
                         SO_REUSEADDR while the first waits in TIME_WAIT); each sends a line.
  mid HOST PORT READY GO client of a connection already open when the capture starts:
                         connects, sends a line, creates file READY, waits for file GO, then
                         sends two lines, the last one corked and followed by shutdown (one
                         segment carrying the data and the FIN), reads to the end.
"""

import os
import socket
import sys
import time


def pattern(n):
    return bytes(i % 251 for i in range(n))


def serve(port, handler):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("", port))
    ls.listen(8)
    while True:
        conn, _ = ls.accept()
        with conn:
            handler(conn)


def echo_handler(conn):
    while True:
        data = conn.recv(4096)
        if not data:
            break
        conn.sendall(data)
    conn.shutdown(socket.SHUT_WR)


def read_all(s):
    out = bytearray()
    while True:
        data = s.recv(65536)
        if not data:
            return bytes(out)
        out += data


def echo_client(host, port, n):
    s = socket.create_connection((host, port))
    want = pattern(n)
    got = bytearray()
    s.setblocking(False)
    sent = 0
    while sent < n:
        try:
            sent += s.send(want[sent : sent + 1000])
        except BlockingIOError:
            time.sleep(0.002)
        try:
            got += s.recv(65536)
        except BlockingIOError:
            pass
    s.setblocking(True)
    s.shutdown(socket.SHUT_WR)
    got += read_all(s)
    s.close()
    if bytes(got) != want:
        sys.exit(f"echo: {len(got)} bytes back of {n}, or different")


def slow_client(host, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    s.connect((host, port))
    time.sleep(1.2)
    total = 0
    while True:
        data = s.recv(700)
        if not data:
            break
        total += len(data)
        time.sleep(0.25)
    s.close()
    print(f"slow: read {total} bytes", file=sys.stderr)


def keepalive_client(host, port):
    s = socket.create_connection((host, port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 5)
    s.sendall(b"keep me alive\n")
    s.recv(100)
    time.sleep(3.5)
    s.shutdown(socket.SHUT_WR)
    read_all(s)
    s.close()


def reuse_client(host, port, sport):
    for i in range(2):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", sport))
        s.connect((host, port))
        s.sendall(b"connection %d from port %d\n" % (i + 1, sport))
        time.sleep(0.05)
        s.shutdown(socket.SHUT_WR)
        read_all(s)
        s.close()
        time.sleep(0.2)


def mid_client(host, port, ready, go):
    s = socket.create_connection((host, port))
    s.sendall(b"before the capture\n")
    s.recv(100)
    open(ready, "w").close()
    while not os.path.exists(go):
        time.sleep(0.05)
    time.sleep(0.2)
    s.sendall(b"during the capture\n")
    time.sleep(0.1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
    s.send(b"last words, then FIN\n")
    s.shutdown(socket.SHUT_WR)
    read_all(s)
    s.close()


def slow_server(port, n):
    def handler(conn):
        conn.sendall(pattern(n))
        conn.shutdown(socket.SHUT_WR)
        read_all(conn)

    serve(port, handler)


def main():
    role, args = sys.argv[1], sys.argv[2:]
    if role == "server":
        serve(int(args[0]), echo_handler)
    elif role == "echo":
        echo_client(args[0], int(args[1]), int(args[2]))
    elif role == "slow-server":
        slow_server(int(args[0]), int(args[1]))
    elif role == "slow":
        slow_client(args[0], int(args[1]))
    elif role == "keepalive":
        keepalive_client(args[0], int(args[1]))
    elif role == "reuse":
        reuse_client(args[0], int(args[1]), int(args[2]))
    elif role == "mid":
        mid_client(args[0], int(args[1]), args[2], args[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
